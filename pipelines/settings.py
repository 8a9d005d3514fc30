"""Where things live and which environment variables change that: the only module that knows."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# where `dbt parse` writes it and dagster-dbt's DbtProject reads it
DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# the ICT cost categories: dbt builds the mart's columns from it, Python reads it for the rest
ICT_CATEGORIES_SEED = DBT_PROJECT_DIR / "seeds" / "ict_categories.csv"
# municipal mergers since 2015: a predecessor delivers its years before the merger under its code
MUNICIPALITY_SUCCESSORS_SEED = DBT_PROJECT_DIR / "seeds" / "municipality_successors.csv"

# dbt lives next to the interpreter in the project's virtualenv, whether or not it is activated
_BESIDE_PYTHON = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_BESIDE_PYTHON) if _BESIDE_PYTHON.exists() else (shutil.which("dbt") or "dbt")


def available_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than exist)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


DATA_RAW_ENV = "ICTBENCH_DATA_RAW"
WAREHOUSE_ENV = "ICTBENCH_WAREHOUSE"
PSEUDONYM_KEY_FILE_ENV = "ICTBENCH_PSEUDONYM_KEY_FILE"
# DuckDB's memory cap in dbt (profiles.yml reads the same variable) and when publishing
DUCKDB_MEMORY_LIMIT_ENV = "ICTBENCH_DUCKDB_MEMORY_LIMIT"


def duckdb_memory_limit() -> str:
    return os.environ.get(DUCKDB_MEMORY_LIMIT_ENV, "1GB")


# Public-sector users expect no phoning home, and the nightly machine has no internet anyway.
TELEMETRY_OFF = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}


def disable_telemetry() -> None:
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)


@dataclass(frozen=True)
class Paths:
    """The drop zone (read only) and the warehouse (derived, rebuildable)."""

    data_raw: Path
    warehouse: Path

    @property
    def deliveries(self) -> Path:
        return self.data_raw / "deliveries"

    @property
    def reference(self) -> Path:
        return self.data_raw / "reference"

    @property
    def landing(self) -> Path:
        return self.warehouse / "landing"

    @property
    def quarantine(self) -> Path:
        return self.warehouse / "quarantine"

    @property
    def load_results(self) -> Path:
        return self.warehouse / "load_results"

    @property
    def build_db(self) -> Path:
        return self.warehouse / "build" / "benchmark.duckdb"

    @property
    def published_db(self) -> Path:
        return self.warehouse / "benchmark.duckdb"

    @property
    def data_docs(self) -> Path:
        """The Data Docs: index.html, a page per delivery in deliveries/, GX's suite pages."""
        return self.warehouse / "docs"

    @property
    def run_log(self) -> Path:
        """What dbt printed during the last `ictbench run` (its full log: build/dbt_target/)."""
        return self.warehouse / "logs" / "last_run.log"

    @property
    def dagster_home(self) -> Path:
        """The warehouse's own Dagster instance: run history, schedules, sensors."""
        return self.warehouse / "dagster"

    @property
    def pseudonym_key_file(self) -> Path:
        configured = os.environ.get(PSEUDONYM_KEY_FILE_ENV)
        return Path(configured) if configured else REPO_ROOT / ".ictbench" / "pseudonym.key"


def default_paths() -> Paths:
    return Paths(
        data_raw=Path(os.environ.get(DATA_RAW_ENV, REPO_ROOT / "data_raw")).resolve(),
        warehouse=Path(os.environ.get(WAREHOUSE_ENV, REPO_ROOT / "warehouse")).resolve(),
    )
