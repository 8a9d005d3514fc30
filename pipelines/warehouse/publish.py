"""Publish the mart: copy the build into a fresh file, then move it over the published one at once.

BI readers open warehouse/benchmark.duckdb read-only. The pipeline never opens that file: it builds
in warehouse/build/ in a format DuckDB 1.5 clients read, copies that file, drops all but the
BI-facing schema from the copy, checkpoints it and renames it into place. A reader that has the
old file open keeps reading the old version; the next open sees the new one. Nothing ever sees
half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.settings import duckdb_memory_limit
from pipelines.warehouse.build import (
    STORAGE_VERSION,
    connected_storage_version,
    in_bi_storage_format,
)
from pipelines.warehouse.files import read_json, write_json_atomic

BI_SCHEMA = "main"
VERSIONS_KEPT = 3
# Tables of ledger lines: millions of rows nationally, more than Excel opens, and a re-delivery
# changes one municipality's share of them.
EXPORTED_PER_MUNICIPALITY = {"fct_ict_cost_line"}
PARTITION_COLUMN = "municipality_code"
FINGERPRINTS = ".fingerprints.json"
FILES_OPEN_AT_ONCE = 20


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]


def _literal(path: Path) -> str:
    return _quoted(str(path))


def publish(build_db: Path, published_db: Path) -> Published:
    """Copy the build file, drop what is not for BI tools, and move it over the published file.

    The build is made in the storage format BI clients read (see warehouse/build.py), so the copy
    is a file copy: seconds faster than re-writing every table.
    """
    staging = published_db.with_name(f".{published_db.name}.{os.getpid()}.new")
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
    keep_previous_version(published_db)
    os.replace(staging, published_db)
    _fsync(published_db.parent)
    export_parquet(published_db)
    return Published(published_db, tables)


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


def export_parquet(published_db: Path) -> Path:
    """Every mart table as Parquet in warehouse/export/, for tools that cannot read DuckDB.

    The set is written to a new folder and the `export` link is switched over in one rename, so
    a reader sees one complete set of files.
    """
    parent = published_db.parent
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = parent / f".export-{stamp}"
    target.mkdir()
    link = parent / "export"
    previous = link.resolve() if link.is_symlink() else None
    config = {"memory_limit": duckdb_memory_limit()}
    with duckdb.connect(str(published_db), read_only=True, config=config) as connection:
        connection.execute("SET preserve_insertion_order = false")  # lets DuckDB write in parallel
        tables = [row[0] for row in connection.execute("SHOW TABLES").fetchall()]
        for table in tables:
            if table in EXPORTED_PER_MUNICIPALITY:
                _export_per_municipality(connection, table, target, previous)
                continue
            destination = _literal(target / f"{table}.parquet")
            connection.execute(f'COPY (SELECT * FROM "{table}") TO {destination} (FORMAT parquet)')
    temporary_link = parent / f".export-link-{stamp}"
    temporary_link.symlink_to(target.name)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(temporary_link, link)
    for old in parent.glob(".export-*"):
        if old.is_dir() and old.name != target.name and not old.is_symlink():
            shutil.rmtree(old)
    return link


def _export_per_municipality(
    connection: duckdb.DuckDBPyConnection, table: str, target: Path, previous: Path | None
) -> None:
    """A folder of one Parquet file per municipality (`municipality_code=GM0363/`), the layout
    Spark, pyarrow, pandas and DuckDB read as one table. A municipality whose rows are as in the
    previous export keeps its file (a hard link), so a re-delivery rewrites one file, not all."""
    folder = target / table
    folder.mkdir()
    fingerprints = {
        f"{PARTITION_COLUMN}={code}": f"{rows}:{digest}"
        for code, rows, digest in connection.execute(
            f'SELECT "{PARTITION_COLUMN}", count(*), sum(hash(*COLUMNS(*))) FROM "{table}" '
            "GROUP BY ALL"
        ).fetchall()
    }
    before = read_json(previous / table / FINGERPRINTS) if previous else None
    kept = {
        name
        for name, fingerprint in fingerprints.items()
        if (before or {}).get(name) == fingerprint and (previous / table / name).is_dir()
    }
    changed = sorted(set(fingerprints) - kept)
    # DuckDB holds a row group in memory per file it has open: all 342 at once took 2 GB
    for start in range(0, len(changed), FILES_OPEN_AT_ONCE):
        codes = ", ".join(
            _quoted(name.partition("=")[2]) for name in changed[start : start + FILES_OPEN_AT_ONCE]
        )
        connection.execute(
            f'COPY (SELECT * FROM "{table}" WHERE "{PARTITION_COLUMN}" IN ({codes})) '
            f"TO {_literal(folder)} (FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}), "
            "OVERWRITE_OR_IGNORE)"
        )
    for name in kept:
        (folder / name).mkdir()
        for file in (previous / table / name).iterdir():
            os.link(file, folder / name / file.name)
    write_json_atomic(fingerprints, folder / FINGERPRINTS)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
