"""The Dagster instance of a warehouse: its folder, its dagster.yaml (telemetry off, batched event
log), and the tags that say which warehouse and which process a run belongs to."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import Paths, default_paths

WAREHOUSE_TAG = "ictbench/warehouse"
PROCESS_TAG = "ictbench/pid"  # the process running it in place: gone means the run was stopped


def dagster_home_dir(paths: Paths | None = None) -> Path:
    """DAGSTER_HOME when it is set (one instance shared on purpose, e.g. on PostgreSQL), else the
    warehouse's own instance, `<warehouse>/dagster`: each warehouse keeps its own run history."""
    configured = os.environ.get("DAGSTER_HOME")
    if configured:
        return Path(configured).resolve()
    return (paths or default_paths()).dagster_home


def ensure_dagster_home(paths: Paths | None = None) -> Path:
    """The warehouse's Dagster instance (runs visible in `make dev`), telemetry off; this process
    and what it starts use it."""
    home = dagster_home_dir(paths)
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_instance_yaml(home), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_tags(paths: Paths) -> dict[str, str]:
    """Tags of a run started in this process: its warehouse (the UI filters on it) and its pid."""
    return {WAREHOUSE_TAG: str(paths.warehouse), PROCESS_TAG: str(os.getpid())}


def dagster_instance_yaml(home: Path) -> str:
    """dagster_instance.yaml (beside this module) with the run history's folder spelled out, so that the
    instance also opens from its folder alone (`ictbench status`), without DAGSTER_HOME."""
    import yaml

    template = Path(__file__).with_name("dagster_instance.yaml")
    config = yaml.safe_load(template.read_text(encoding="utf-8"))
    config["event_log_storage"]["config"] = {"base_dir": str(home / "history" / "runs")}
    return f"# written by ictbench from {template.name}\n" + yaml.safe_dump(config, sort_keys=False)
