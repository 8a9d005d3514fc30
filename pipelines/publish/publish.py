"""Publish the mart: copy the build into a fresh file, then move it over the published one at once.

BI readers open warehouse/benchmark.duckdb read-only. The pipeline never opens that file: it builds
in warehouse/build/ in a format DuckDB 1.5 clients read, copies that file, drops all but the
BI-facing schema from the copy, checkpoints it and renames it into place. A reader that has the
old file open keeps reading the old version; the next open sees the new one. Nothing ever sees
half a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.publish.export import export_parquet
from pipelines.settings import duckdb_memory_limit
from pipelines.storage import stop_points
from pipelines.storage.duckdb_format import (
    STORAGE_VERSION,
    connected_storage_version,
    in_bi_storage_format,
)
from pipelines.storage.litter import owned_prefix

BI_SCHEMA = "main"
VERSIONS_KEPT = 3


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]


def publish(build_db: Path, published_db: Path) -> Published:
    """Copy the build file, drop what is not for BI tools, and move it over the published file.

    The build is made in the storage format BI clients read (see warehouse/build.py), so the copy
    is a file copy: seconds faster than re-writing every table.
    """
    staging = published_db.with_name(owned_prefix(f".{published_db.name}") + "new")
    staging.unlink(missing_ok=True)
    config = {"memory_limit": duckdb_memory_limit()}
    with duckdb.connect(str(build_db), config=config) as connection:
        # everything in the file itself, nothing left in a write-ahead log beside it
        connection.execute("CHECKPOINT")
        version = connected_storage_version(connection)
    if not in_bi_storage_format(version):
        raise ValueError(
            f"{build_db} is in DuckDB storage format {version}, not {STORAGE_VERSION}: "
            "run the build again, it is made in the right format"
        )
    try:
        shutil.copyfile(build_db, staging)
        with duckdb.connect(str(staging), config=config) as connection:
            schemas = connection.execute(
                "SELECT schema_name FROM duckdb_schemas() "
                "WHERE database_name = current_database() AND NOT internal AND schema_name <> ?",
                [BI_SCHEMA],
            ).fetchall()
            for (schema,) in schemas:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
            tables = dict(
                connection.execute(
                    "SELECT table_name, estimated_size FROM duckdb_tables() "
                    "WHERE database_name = current_database() ORDER BY table_name"
                ).fetchall()
            )
            connection.execute("CHECKPOINT")
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    _fsync(staging)
    stop_points.moment("publish")
    keep_previous_version(published_db)
    os.replace(staging, published_db)
    _fsync(published_db.parent)
    export_parquet(published_db)
    return Published(published_db, tables)


def publication(published_db: Path) -> dict | None:
    """Which file is published, and the code and DuckDB version that made it from the build."""
    if not published_db.exists():
        return None
    stat = published_db.stat()
    code = Path(__file__).read_bytes() + duckdb.__version__.encode()
    return {
        "file": [stat.st_ino, stat.st_size, stat.st_mtime_ns],
        "publisher": hashlib.sha256(code).hexdigest(),
    }


def versions_dir(published_db: Path) -> Path:
    return published_db.parent / "versions"


def keep_previous_version(published_db: Path, kept: int = VERSIONS_KEPT) -> None:
    """The file about to be replaced stays as a version for rollback (a hard link: no copy, and
    safe, because a published file is only ever replaced, never written in place)."""
    if not published_db.exists():
        return
    folder = versions_dir(published_db)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    os.link(published_db, folder / f"benchmark-{stamp}.duckdb")
    for old in sorted(folder.glob("benchmark-*.duckdb"))[:-kept]:
        old.unlink()


def rollback(published_db: Path) -> Path:
    """Put the newest kept version back in place, atomically; it stops being a kept version."""
    versions = sorted(versions_dir(published_db).glob("benchmark-*.duckdb"))
    if not versions:
        raise FileNotFoundError(f"no earlier version in {versions_dir(published_db)}")
    newest = versions[-1]
    os.replace(newest, published_db)
    _fsync(published_db.parent)
    export_parquet(published_db)
    return newest


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
