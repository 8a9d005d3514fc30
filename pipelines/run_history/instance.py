"""The Dagster instance of a warehouse: its folder, its dagster.yaml (telemetry off, batched event
log; or a person's own, e.g. on PostgreSQL), and the tags that say which warehouse and which process
a run belongs to."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import Paths, default_paths

WAREHOUSE_TAG = "ictbench/warehouse"
PROCESS_TAG = "ictbench/pid"  # the process running it in place: gone means the run was stopped
# the first line of a dagster.yaml that ictbench wrote, and may write again
WRITTEN_BY_ICTBENCH = "# written by ictbench"
# ... and of one that an earlier ictbench copied from its template
COPIED_BY_ICTBENCH = "# The local Dagster instance of `make run` and `make dev`"


def dagster_home_dir(paths: Paths | None = None) -> Path:
    """DAGSTER_HOME when it is set (one instance shared on purpose, e.g. on PostgreSQL), else the
    warehouse's own instance, `<warehouse>/dagster`: each warehouse keeps its own run history."""
    configured = os.environ.get("DAGSTER_HOME")
    if configured:
        return Path(configured).resolve()
    return (paths or default_paths()).dagster_home


def ensure_dagster_home(paths: Paths | None = None) -> Path:
    """The warehouse's Dagster instance (runs visible in `make dev`), telemetry off; this process
    and what it starts use it.

    A dagster.yaml that ictbench did not write (one on PostgreSQL, docs/examples/dagster-postgres.yaml,
    or the one a Helm chart mounts) is the instance as a person configured it: it is used as it is."""
    home = dagster_home_dir(paths)
    home.mkdir(parents=True, exist_ok=True)
    instance_file = home / "dagster.yaml"
    if not is_configured_by_hand(instance_file):
        instance_file.write_text(dagster_instance_yaml(home), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def is_configured_by_hand(instance_file: Path) -> bool:
    if not instance_file.exists():
        return False
    with instance_file.open(encoding="utf-8") as lines:
        return not lines.readline().startswith((WRITTEN_BY_ICTBENCH, COPIED_BY_ICTBENCH))


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
    return f"{WRITTEN_BY_ICTBENCH} from {template.name}\n" + yaml.safe_dump(config, sort_keys=False)
