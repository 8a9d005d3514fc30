"""Publish the mart: write the BI tables into a brand-new file, then move it over the published one.

BI readers open warehouse/benchmark.duckdb read-only. The pipeline never opens that file: it builds
in warehouse/build/, creates a new file in the format DuckDB 1.5 clients read, writes into it only
the BI-facing schema's tables and views (with their comments) from the build, checkpoints it and
renames it into place. A reader that has the old file open keeps reading the old version; the next
open sees the new one. Nothing ever sees half a file.

The file is written fresh, never copied from the build: DuckDB does not clear the blocks a dropped
or rewritten table leaves free, so a copy would keep the intermediate tables (employee pseudonyms,
department names the mart suppresses) readable in its bytes. The new file holds only what its
tables show, and so does every version kept of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
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
    """Write the BI-facing tables of the build into a new file and move it over the published one."""
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
        tables = _write_fresh(build_db, staging, config)
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


def _write_fresh(build_db: Path, target: Path, config: dict) -> dict[str, int]:
    """A new database file at `target` with the BI schema of `build_db`: tables (their DDL, rows
    in order), views and comments; {table: rows}."""
    fresh_config = {**config, "storage_compatibility_version": STORAGE_VERSION}
    with duckdb.connect(str(target), config=fresh_config) as connection:
        connection.execute(f"ATTACH {_literal(build_db)} AS build (READ_ONLY)")
        tables = connection.execute(
            "SELECT table_name, sql, comment FROM duckdb_tables() "
            "WHERE database_name = 'build' AND schema_name = ? ORDER BY table_name",
            [BI_SCHEMA],
        ).fetchall()
        views = connection.execute(
            "SELECT view_name, sql, comment FROM duckdb_views() "
            "WHERE database_name = 'build' AND schema_name = ? AND NOT internal ORDER BY view_name",
            [BI_SCHEMA],
        ).fetchall()
        columns = connection.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = 'build' AND schema_name = ? AND comment IS NOT NULL "
            "ORDER BY table_name, column_index",
            [BI_SCHEMA],
        ).fetchall()
        connection.execute("BEGIN")
        for name, ddl, _ in tables:
            connection.execute(ddl)  # unqualified: created in the new file, the default database
            connection.execute(
                f'INSERT INTO main."{_name(name)}" SELECT * FROM build.{BI_SCHEMA}."{_name(name)}"'
            )
        for _, ddl, _ in views:
            connection.execute(ddl)
        for name, _, comment in [*tables, *views]:
            if comment is not None:
                kind = "TABLE" if any(name == t[0] for t in tables) else "VIEW"
                connection.execute(f'COMMENT ON {kind} main."{_name(name)}" IS {_quoted(comment)}')
        for table, column, comment in columns:
            connection.execute(
                f'COMMENT ON COLUMN main."{_name(table)}"."{_name(column)}" IS {_quoted(comment)}'
            )
        connection.execute("COMMIT")
        connection.execute("DETACH build")
        connection.execute("CHECKPOINT")
        version = connected_storage_version(connection)
        counts = {
            name: connection.execute(f'SELECT count(*) FROM main."{_name(name)}"').fetchone()[0]
            for name, _, _ in tables
        }
    if not in_bi_storage_format(version):
        raise ValueError(
            f"the new file was written in storage format {version}, not {STORAGE_VERSION}"
        )
    return counts


def _name(identifier: str) -> str:
    return identifier.replace('"', '""')


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(path: Path) -> str:
    return _quoted(str(path))


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
    for version in sorted(folder.glob("benchmark-*.duckdb")):
        _rewrite_if_it_has_free_blocks(version)


def _rewrite_if_it_has_free_blocks(version: Path) -> None:
    """A version published by a copy of the build (before files were written fresh) keeps the
    dropped intermediate tables in its free blocks: it is written fresh once, in place."""
    config = {"memory_limit": duckdb_memory_limit()}
    with duckdb.connect(str(version), read_only=True, config=config) as connection:
        [free] = connection.execute("SELECT free_blocks FROM pragma_database_size()").fetchone()
    if not free:
        return
    fresh = version.with_name(owned_prefix(f".{version.name}") + "new")
    fresh.unlink(missing_ok=True)
    try:
        _write_fresh(version, fresh, config)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    _fsync(fresh)
    os.replace(fresh, version)


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
