"""The published mart as Parquet files, for tools that cannot read DuckDB."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.publish.publication import publication
from pipelines.publish.sql import literal, name
from pipelines.settings import duckdb_memory_limit
from pipelines.storage import stop_points
from pipelines.storage.files import read_json, write_json_atomic
from pipelines.storage.litter import owned_prefix

# Tables of ledger lines: millions of rows nationally, more than Excel opens, and a re-delivery
# changes one municipality's share of them.
EXPORTED_PER_MUNICIPALITY = {"fct_ict_cost_line"}
PARTITION_COLUMN = "municipality_code"
# part of each file's fingerprint: files written in an older layout are written again, not kept
FILE_LAYOUT = "with-partition-column"
FINGERPRINTS = ".fingerprints.json"
FILES_OPEN_AT_ONCE = 20
# publication() of the published file the export was made from
EXPORTED_FROM = ".exported_from.json"


@dataclass(frozen=True)
class Changes:
    """What a publish changed in a copy of the published file (publish/update.py)."""

    basis: dict | None  # publication() of the file it was copied from
    tables: frozenset[str]  # tables written whole
    slots: dict[str, list[tuple]]  # per table exported per municipality: (code, year) written


def export_parquet(published_db: Path, changes: Changes | None = None) -> Path:
    """Every mart table as Parquet in warehouse/export/, for tools that cannot read DuckDB.

    The set is written to a new folder and the `export` link is switched over in one rename, so
    a reader sees one complete set of files. While it is written, the folder's name says which
    process writes it: a run killed meanwhile leaves it to be swept (storage/litter.py).

    changes: when the published file is a copy of the one the previous export was made from with
    only these changes, the files of everything else are kept from the previous export (hard
    links) instead of written again.
    """
    parent = published_db.parent
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    writing = parent / (owned_prefix(".export") + stamp)
    writing.mkdir()
    link = parent / "export"
    previous = link.resolve() if link.is_symlink() else None
    if changes is not None and (
        previous is None or read_json(previous / EXPORTED_FROM) != changes.basis
    ):
        changes = None
    config = {"memory_limit": duckdb_memory_limit()}
    with duckdb.connect(str(published_db), read_only=True, config=config) as connection:
        connection.execute("SET preserve_insertion_order = false")  # lets DuckDB write in parallel
        tables = [row[0] for row in connection.execute("SHOW TABLES").fetchall()]
        for table in tables:
            if table in EXPORTED_PER_MUNICIPALITY:
                only = None
                if changes is not None:
                    only = {code for code, *_ in changes.slots.get(table, [])}
                _export_per_municipality(connection, table, writing, previous, only)
                continue
            kept = previous / f"{table}.parquet" if previous else None
            if changes is not None and table not in changes.tables and kept.exists():
                os.link(kept, writing / f"{table}.parquet")
                continue
            destination = literal(str(writing / f"{table}.parquet"))
            connection.execute(
                f"COPY (SELECT * FROM {name(table)}) TO {destination} (FORMAT parquet)"
            )
            stop_points.moment("export")
    write_json_atomic(publication(published_db), writing / EXPORTED_FROM)
    target = parent / f".export-{stamp}"
    os.rename(writing, target)
    temporary_link = parent / (owned_prefix(".export-link") + stamp)
    temporary_link.symlink_to(target.name)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(temporary_link, link)
    for old in parent.glob(".export-*"):
        if old.is_dir() and old.name != target.name and not old.is_symlink():
            shutil.rmtree(old)
    return link


def _export_per_municipality(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    target: Path,
    previous: Path | None,
    only: set[str] | None = None,
) -> None:
    """A folder of one Parquet file per municipality (`GM0363.parquet`, each with its
    `municipality_code` column), which Spark, pyarrow, pandas and DuckDB read as one table and a
    controller opens alone. A municipality whose rows are as in the previous export keeps its
    file (a hard link), so a re-delivery rewrites one file, not all.

    only: the municipalities whose rows may have changed since the previous export; the rows of
    the others are not read again (None: all are compared)."""
    folder = target / table
    folder.mkdir()
    before = read_json(previous / table / FINGERPRINTS) if previous else None
    where = ""
    if only is not None and before is not None:
        codes = ", ".join(literal(code) for code in sorted(only)) or "NULL"
        where = f"WHERE {name(PARTITION_COLUMN)} IN ({codes})"
    fingerprints = {
        code: f"{FILE_LAYOUT}:{rows}:{digest}"
        for code, rows, digest in connection.execute(
            f"SELECT {name(PARTITION_COLUMN)}, count(*), sum(hash(*COLUMNS(*))) "
            f"FROM {name(table)} {where} GROUP BY ALL"
        ).fetchall()
    }
    if where:  # the others are as they were
        fingerprints = {
            **{code: value for code, value in before.items() if code not in only},
            **fingerprints,
        }
    kept = {
        code
        for code, fingerprint in fingerprints.items()
        if (before or {}).get(code) == fingerprint
        and (previous / table / f"{code}.parquet").exists()
    }
    changed = sorted(set(fingerprints) - kept)
    partitioned = folder / ".partitioned"
    # DuckDB holds a row group in memory per file it has open: all 342 at once took 2 GB
    for start in range(0, len(changed), FILES_OPEN_AT_ONCE):
        codes = ", ".join(literal(code) for code in changed[start : start + FILES_OPEN_AT_ONCE])
        connection.execute(
            f'COPY (SELECT * FROM "{table}" WHERE "{PARTITION_COLUMN}" IN ({codes})) '
            f"TO {literal(str(partitioned))} (FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}), "
            "WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE)"
        )
    # DuckDB writes hive folders (municipality_code=GM0363/data_0.parquet); a flat file per
    # municipality keeps its column without clashing with a partition column readers would add
    for code in changed:
        [written] = (partitioned / f"{PARTITION_COLUMN}={code}").glob("*.parquet")
        os.replace(written, folder / f"{code}.parquet")
    shutil.rmtree(partitioned, ignore_errors=True)
    for code in kept:
        os.link(previous / table / f"{code}.parquet", folder / f"{code}.parquet")
    write_json_atomic(fingerprints, folder / FINGERPRINTS)
