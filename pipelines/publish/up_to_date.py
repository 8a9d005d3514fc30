"""Whether the published mart is already what a run would make, so that `ictbench run` starts nothing.

A run with nothing new used to cost a Dagster run: imports, planning over every delivery's record,
landing the account mappings and reference data again, and a dbt no-op; with ten years kept that
was 20 seconds for no change. Now a run that finished records what it was made from (every file in
the drop zone, the code, the dbt project, the expectations, the calendar year that decides which
fiscal years are valid, the pseudonymisation key's identity) and what it left behind (the landed
files, the load results, the quarantine, the build database, the published file and its export).
The next run that finds both exactly as they were has nothing to do, as a sensor skips a tick.

Any difference starts a real run: a file touched in the drop zone, a run from the Dagster UI that
landed something, a rollback, a killed run (a run forgets the record before it starts, so one that
does not finish leaves none).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pipelines.publish.publication import publication
from pipelines.readers.pseudonymise import KEY_ENV_VAR
from pipelines.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, PACKAGE_DIR, Paths
from pipelines.storage.files import read_json, write_json_atomic
from pipelines.transform.manifest import project_fingerprint

RECORD_NAME = "last_run.json"
# versions of what reads, checks and builds: an upgrade may change what a run makes
PACKAGES = ("dagster", "dagster-dbt", "duckdb", "great-expectations", "pyarrow", "pandas")
# settings that change what a run makes (the key changes every employee pseudonym); the others
# (memory limit, the supervisor's and the tests' variables) do not
SETTINGS = (KEY_ENV_VAR,)


@dataclass(frozen=True)
class LastRun:
    """What the last finished run was made from and left behind, and what it told the operator."""

    inputs: str
    warehouse: str
    run_id: str
    finished: str
    # deliveries not taken whole, as run_summary.Problem's fields: the same list is shown again
    problems: list[dict] = field(default_factory=list)


def record_path(paths: Paths) -> Path:
    return paths.build_db.with_name(RECORD_NAME)


def unchanged_since_last_run(paths: Paths, inputs: str) -> LastRun | None:
    """The last finished run, when nothing it was made from (`inputs`: inputs_fingerprint, now)
    nor anything it left has changed."""
    recorded = read_json(record_path(paths))
    if not recorded:
        return None
    try:
        last = LastRun(**recorded)
    except TypeError:  # written by another version of this module
        return None
    # the inputs first: a new delivery need not list the warehouse's 30,000 files
    if last.inputs != inputs or last.warehouse != warehouse_fingerprint(paths):
        return None
    return last


def forget(paths: Paths) -> None:
    """Called before a run starts: a run that does not finish must not leave a record behind."""
    record_path(paths).unlink(missing_ok=True)


def remember(paths: Paths, inputs: str, run_id: str, problems: Iterable[dict]) -> None:
    """Called after a run published (or found the mart up to date), with the inputs_fingerprint
    taken before it started."""
    last = LastRun(
        inputs=inputs,
        warehouse=warehouse_fingerprint(paths),
        run_id=run_id,
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        problems=list(problems),
    )
    write_json_atomic(asdict(last), record_path(paths))


def inputs_fingerprint(paths: Paths) -> str:
    """A digest of everything a run reads: the drop zone's files (names, sizes, inodes and
    modification times: deliveries are replaced, never edited in place unnoticed), the code, the
    dbt project, the expectations, the package versions, the pseudonymisation key and the year."""
    digest = hashlib.sha256()
    digest.update(f"year {dt.date.today().year}\n".encode())
    for name in PACKAGES:
        digest.update(f"{name} {version(name)}\n".encode())
    for name in SETTINGS:
        value = os.environ.get(name, "")
        digest.update(f"{name} {hashlib.sha256(value.encode()).hexdigest()}\n".encode())
    digest.update(f"dbt project {project_fingerprint(DBT_PROJECT_DIR)}\n".encode())
    for folder in (PACKAGE_DIR, EXPECTATIONS_DIR):
        for path in _files(folder):
            digest.update(str(path.relative_to(folder.parent)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    _add_listing(digest, paths.data_raw)
    key = paths.pseudonym_key_file
    if key.exists():
        _add_listing(digest, key)
    return digest.hexdigest()


def warehouse_fingerprint(paths: Paths) -> str:
    """A digest of what a run leaves in the warehouse that the next one would read or repair."""
    digest = hashlib.sha256()
    for folder in (paths.landing, paths.load_results, paths.quarantine):
        _add_listing(digest, folder)
    for database in (paths.build_db, paths.build_db.with_name(paths.build_db.name + ".wal")):
        _add_listing(digest, database)
    digest.update(f"published {publication(paths.published_db)}\n".encode())
    export = paths.warehouse / "export"
    digest.update(f"export {os.readlink(export) if export.is_symlink() else None}\n".encode())
    return digest.hexdigest()


def _add_listing(digest: Any, root: Path) -> None:  # a hashlib object
    """Names, sizes, inodes and modification times of root's files (plain os calls: ten years kept
    are some 30,000 files, and pathlib costs seconds on that many)."""
    top = str(root)
    digest.update(f"[{top}]\n".encode())
    if os.path.isfile(top):
        stat = os.stat(top)
        digest.update(f"{stat.st_size}|{stat.st_ino}|{stat.st_mtime_ns}\n".encode())
        return
    start = len(top) + 1
    for path in _file_names(top):
        stat = os.stat(path)
        digest.update(f"{path[start:]}|{stat.st_size}|{stat.st_ino}|{stat.st_mtime_ns}\n".encode())


def _files(root: Path) -> Iterator[Path]:
    return (Path(name) for name in _file_names(str(root)))


def _file_names(root: str) -> Iterator[str]:
    """Every file under root, in a stable order, without Python's byte-code caches."""
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            yield os.path.join(folder, name)
