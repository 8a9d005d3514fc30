"""The dbt manifest is prepared once per command, before Dagster loads the asset graph from it."""

from __future__ import annotations

import fcntl
import os
import subprocess

from pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR


def prepare_manifest() -> None:
    """`dbt parse` into dbt_project/target, one process at a time (test workers share the folder)."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    lock = DBT_PROJECT_DIR / ".manifest.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _parse(env)


def _parse(env: dict[str, str]) -> None:
    completed = subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
