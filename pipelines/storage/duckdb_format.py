"""The DuckDB storage format of the build and the published mart."""

from __future__ import annotations

from pathlib import Path

import duckdb

# DuckDB 2.x writes a format 1.x clients (and many BI drivers) cannot open; the published file is
# written in the older format, and the build is made in it too (profiles.yml), which publishing
# checks.
STORAGE_VERSION = "v1.5.0"


def storage_version(database: Path) -> str | None:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connected_storage_version(connection)


def connected_storage_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    """Storage format of the connection's database, e.g. 'v1.5.0+'."""
    tags = connection.execute(
        "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    return tags.get("storage_version")


def in_bi_storage_format(version: str | None) -> bool:
    """DuckDB tags a file in the 1.5 format 'v1.5.0+': readable by DuckDB 1.5.0 and later."""
    return version == f"{STORAGE_VERSION}+"


# DuckDB's file starts with its main header and two database headers of 4 KiB each
HEADER_BYTES = 3 * 4096


def damage(database: Path) -> str | None:
    """Why a database file cannot be used, or None.

    A file cut short still opens (its headers are at the start) and fails only on the first block
    it lacks, in the middle of a build. Every block in use lies inside the file, so a file smaller
    than its blocks in use is cut short. (Its total blocks may lie beyond the end: DuckDB leaves
    free blocks at the end out of the file.)"""
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            block_size, used = connection.execute(
                "SELECT block_size, used_blocks FROM pragma_database_size()"
            ).fetchone()
    except duckdb.Error as error:
        return str(error).splitlines()[0][:200]
    needed = HEADER_BYTES + block_size * used
    size = database.stat().st_size
    if size < needed:
        return f"it holds {size:,} bytes of the {needed:,} its {used} blocks in use take"
    return None
