"""Publish the mart: copy the build into a fresh file, then move it over the published one at once.

BI readers open warehouse/benchmark.duckdb read-only. The pipeline never opens that file: it builds
in warehouse/build/, copies the BI-facing schema into a new file readable by DuckDB 1.5 clients,
checkpoints it and renames it into place. A reader that has the old file open keeps reading the old
version; the next open sees the new one. Nothing ever sees half a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

# DuckDB 2.x writes a format 1.x clients (and many BI drivers) cannot open.
STORAGE_VERSION = "v1.5.0"
BI_SCHEMA = "main"


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish(build_db: Path, published_db: Path) -> Published:
    staging = published_db.with_name(f".{published_db.name}.{os.getpid()}.new")
    staging.unlink(missing_ok=True)
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH {_literal(build_db)} AS build (READ_ONLY)")
        connection.execute(
            f"ATTACH {_literal(staging)} AS published (STORAGE_VERSION '{STORAGE_VERSION}')"
        )
        connection.execute("COPY FROM DATABASE build TO published")
        schemas = connection.execute(
            "SELECT schema_name FROM duckdb_schemas() "
            "WHERE database_name = 'published' AND NOT internal AND schema_name <> ?",
            [BI_SCHEMA],
        ).fetchall()
        for (schema,) in schemas:
            connection.execute(f'DROP SCHEMA published."{schema}" CASCADE')
        tables = dict(
            connection.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() "
                "WHERE database_name = 'published' ORDER BY table_name"
            ).fetchall()
        )
        connection.execute("CHECKPOINT published")
        connection.execute("DETACH published")
        connection.execute("DETACH build")
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    finally:
        connection.close()
    _fsync(staging)
    os.replace(staging, published_db)
    _fsync(published_db.parent)
    return Published(published_db, tables)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
