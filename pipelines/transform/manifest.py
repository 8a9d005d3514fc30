"""The dbt manifest is prepared once per command, before Dagster loads the asset graph from it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from importlib.metadata import version
from pathlib import Path

from pipelines.settings import DBT_EXECUTABLE, DBT_MANIFEST, DBT_PROJECT_DIR

# dbt's own output and caches; everything else in the project folder shapes the manifest
NOT_PROJECT_SOURCES = {"target", "logs", "dbt_packages", ".manifest.lock", ".user.yml"}


def prepare_manifest() -> None:
    """`dbt parse` into dbt_project/target, unless the project is unchanged since the last parse.

    Dagster only reads the asset graph from the manifest; `dbt build` parses again on its own, so a
    manifest from the same project files is as good as a new one (and saves seconds per command).
    One process at a time: test workers share the folder.
    """
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    lock = DBT_PROJECT_DIR / ".manifest.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        stamp = DBT_MANIFEST.with_name("manifest.sources.sha256")
        fingerprint = project_fingerprint(DBT_PROJECT_DIR)
        if DBT_MANIFEST.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            return
        stamp.unlink(missing_ok=True)
        _parse(env)
        stamp.write_text(fingerprint)


def project_fingerprint(project_dir: Path) -> str:
    """A hash of every project file's path and bytes, and of the dbt versions."""
    digest = hashlib.sha256()
    digest.update(f"dbt-core {version('dbt-core')} dbt-duckdb {version('dbt-duckdb')}".encode())
    tops = [p for p in project_dir.iterdir() if p.name not in NOT_PROJECT_SOURCES]
    files = [p for top in tops for p in ([top] if top.is_file() else top.rglob("*"))]
    for path in sorted(p for p in files if p.is_file()):
        relative = path.relative_to(project_dir)
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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
