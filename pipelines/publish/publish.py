"""Publish the mart: make a new file with the BI tables of the build, then move it over the published
one.

BI readers open warehouse/benchmark.duckdb read-only. The pipeline never writes that file: it
builds in warehouse/build/, makes a new file in the format DuckDB 1.5 clients read, checkpoints it
and renames it into place. A reader that has the old file open keeps reading the old version; the
next open sees the new one. Nothing ever sees half a file.

The new file is never a copy of the build: DuckDB does not clear the blocks a dropped or rewritten
table leaves free, so a copy would keep the intermediate tables (employee pseudonyms, department
names the mart suppresses) readable in its bytes. It is either written fresh, holding only what
its tables show, or (update.py) a copy of the published file with only what differs from the
build written again, whose freed space can hold rows earlier versions published and nothing else.
A file is written fresh when there is none yet, when the tables or their comments changed, when
freed space passes a quarter of the file, and when asked (`ictbench run --full`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.publish.export import Changes, export_parquet
from pipelines.publish.published_copy import PublishedCopy
from pipelines.publish.sql import literal, name
from pipelines.publish.update import MAX_FREE_SHARE, update_to_build
from pipelines.settings import duckdb_memory_limit
from pipelines.storage import stop_points
from pipelines.storage.duckdb_format import (
    STORAGE_VERSION,
    connected_storage_version,
    in_bi_storage_format,
)
from pipelines.storage.files import read_json, write_json_atomic
from pipelines.storage.litter import owned_prefix

BI_SCHEMA = "main"
VERSIONS_KEPT = 3
# inodes of the files this code made (fresh or updated): kept versions that are not among them
# were published by a copy of the build and are written fresh once
WRITTEN_HERE = ".written_here.json"
TABLE_FINGERPRINTS = ".table_fingerprints.json"


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]
    how: str = "written fresh"
    changes: Changes | None = None  # None: everything written
    table_fingerprints: dict[str, list[list]] | None = None  # update.Updated.fingerprints


def publish(
    build_db: Path,
    published_db: Path,
    *,
    fresh: bool = False,
    copied: PublishedCopy | None = None,
) -> Published:
    """Make a new file with the BI-facing tables of the build and move it over the published one.

    copied: a copy of the published file started ahead (published_copy.py), used when it is a
    copy of the file still published."""
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
        result = None if fresh else _updated_copy(build_db, published_db, staging, config, copied)
        if result is None:
            staging.unlink(missing_ok=True)
            result = Published(published_db, _write_fresh(build_db, staging, config))
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    _fsync(staging)
    _remember_written_here(published_db, staging)
    _keep_table_fingerprints(published_db, staging, result)
    stop_points.moment("publish")
    keep_previous_version(published_db)
    os.replace(staging, published_db)
    _fsync(published_db.parent)
    export_parquet(published_db, result.changes)
    return result


def _updated_copy(
    build_db: Path,
    published_db: Path,
    staging: Path,
    config: dict,
    copied: PublishedCopy | None = None,
) -> Published | None:
    """The published file, copied to `staging` and updated to the build; None when a new file
    must be written instead."""
    taken = copied.take() if copied is not None else None
    if taken is None:  # none started ahead, or of a file replaced since: copied here and now
        taken = PublishedCopy.started(published_db).take()
    if taken is None:
        return None
    path, basis = taken
    os.replace(path, staging)
    kept = read_json(versions_dir(published_db) / TABLE_FINGERPRINTS) or {}
    known = kept.get("tables") if kept.get("file") == basis["file"] else None
    updated = update_to_build(staging, build_db, BI_SCHEMA, config, known)
    if updated is None or updated.free_share > MAX_FREE_SHARE:
        return None
    slots = sum(len(s) for s in updated.slots.values())
    how = f"updated: {len(updated.replaced)} tables replaced, {slots} municipality-years written"
    changes = Changes(basis, frozenset(updated.replaced), updated.slots)
    return Published(published_db, updated.tables, how, changes, updated.fingerprints)


def _write_fresh(build_db: Path, target: Path, config: dict) -> dict[str, int]:
    """A new database file at `target` with the BI schema of `build_db`: tables (their DDL, rows
    in order), views and comments; {table: rows}."""
    fresh_config = {**config, "storage_compatibility_version": STORAGE_VERSION}
    with duckdb.connect(str(target), config=fresh_config) as connection:
        connection.execute(f"ATTACH {literal(str(build_db))} AS build (READ_ONLY)")
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
        for table, ddl, _ in tables:
            connection.execute(ddl)  # unqualified: created in the new file, the default database
            connection.execute(
                f"INSERT INTO main.{name(table)} SELECT * FROM build.{BI_SCHEMA}.{name(table)}"
            )
        for _, ddl, _ in views:
            connection.execute(ddl)
        for relation, _, comment in [*tables, *views]:
            if comment is not None:
                kind = "TABLE" if any(relation == t[0] for t in tables) else "VIEW"
                connection.execute(f"COMMENT ON {kind} main.{name(relation)} IS {literal(comment)}")
        for table, column, comment in columns:
            connection.execute(
                f"COMMENT ON COLUMN main.{name(table)}.{name(column)} IS {literal(comment)}"
            )
        connection.execute("COMMIT")
        connection.execute("DETACH build")
        connection.execute("CHECKPOINT")
        version = connected_storage_version(connection)
        counts = {
            table: connection.execute(f"SELECT count(*) FROM main.{name(table)}").fetchone()[0]
            for table, _, _ in tables
        }
    if not in_bi_storage_format(version):
        raise ValueError(
            f"the new file was written in storage format {version}, not {STORAGE_VERSION}"
        )
    return counts


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
    written_here = set(read_json(folder / WRITTEN_HERE) or [])
    for version in sorted(folder.glob("benchmark-*.duckdb")):
        if version.stat().st_ino not in written_here:
            _rewrite_if_it_has_free_blocks(version)


def _keep_table_fingerprints(published_db: Path, made: Path, result: Published) -> None:
    """The fingerprints of the tables of the file about to be published, for the next update to
    compare with instead of reading its rows (tied to the file: a rollback makes them not apply)."""
    stat = made.stat()
    record = versions_dir(published_db) / TABLE_FINGERPRINTS
    (versions_dir(published_db) / ".slot_fingerprints.json").unlink(missing_ok=True)  # its old name
    if result.table_fingerprints is None:
        record.unlink(missing_ok=True)
        return
    write_json_atomic(
        {
            "file": [stat.st_ino, stat.st_size, stat.st_mtime_ns],
            "tables": result.table_fingerprints,
        },
        record,
    )


def _remember_written_here(published_db: Path, made: Path) -> None:
    """Add `made` to the files this code made (their inodes survive the rename into place and the
    hard link that keeps a version); files no longer there are dropped from the list."""
    folder = versions_dir(published_db)
    folder.mkdir(parents=True, exist_ok=True)
    existing = [published_db, *folder.glob("benchmark-*.duckdb")]
    alive = {path.stat().st_ino for path in existing if path.exists()}
    known = set(read_json(folder / WRITTEN_HERE) or []) & alive
    write_json_atomic(sorted(known | {made.stat().st_ino}), folder / WRITTEN_HERE)


def _rewrite_if_it_has_free_blocks(version: Path) -> None:
    """A version published by a copy of the build (before files were written fresh or updated)
    keeps the dropped intermediate tables in its free blocks: it is written fresh once, in place."""
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
