"""The local Dagster instance: its folder and its dagster.yaml (telemetry off, batched event log)."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import REPO_ROOT


def dagster_home_dir() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", REPO_ROOT / ".dagster_home")).resolve()


def ensure_dagster_home() -> Path:
    """A local Dagster instance (runs visible in `make dev`), telemetry off."""
    home = dagster_home_dir()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_instance_yaml(home), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def dagster_instance_yaml(home: Path) -> str:
    """dagster_instance.yaml (beside this module) with the run history's folder spelled out, so that the
    instance also opens from its folder alone (`ictbench status`), without DAGSTER_HOME."""
    import yaml

    template = Path(__file__).with_name("dagster_instance.yaml")
    config = yaml.safe_load(template.read_text(encoding="utf-8"))
    config["event_log_storage"]["config"] = {"base_dir": str(home / "history" / "runs")}
    return f"# written by ictbench from {template.name}\n" + yaml.safe_dump(config, sort_keys=False)
