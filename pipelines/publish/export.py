"""The published mart as Parquet files, for tools that cannot read DuckDB."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterable, Iterator
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
# changes one municipality-year's share of them.
EXPORTED_PER_SLOT = {"fct_ict_cost_line"}
SLOT_COLUMNS = ("municipality_code", "fiscal_year")
# part of each file's fingerprint: files written in an older layout are written again, not kept
FILE_LAYOUT = "per-municipality-year"
FINGERPRINTS = ".fingerprints.json"
# files written in one pass: at most this many, holding at most this many rows together
FILES_OPEN_AT_ONCE = 200
ROWS_AT_ONCE = 1_000_000
# publication() of the published file the export was made from
EXPORTED_FROM = ".exported_from.json"


@dataclass(frozen=True)
class Changes:
    """What a publish changed in a copy of the published file (publish/update.py)."""

    basis: dict | None  # publication() of the file it was copied from
    tables: frozenset[str]  # tables written whole
    slots: dict[str, list[tuple]]  # per table exported per municipality-year: (code, year) written


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
            if table in EXPORTED_PER_SLOT:
                only = None
                if changes is not None:
                    only = {(code, year) for code, year in changes.slots.get(table, [])}
                _export_per_slot(connection, table, writing, previous, only)
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


def _export_per_slot(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    target: Path,
    previous: Path | None,
    only: set[tuple] | None = None,
) -> None:
    """A folder of one Parquet file per municipality-year (`GM0363_2024.parquet`, each with its
    `municipality_code` and `fiscal_year` columns), which Spark, pyarrow, pandas and DuckDB read
    as one table and a controller opens alone. A municipality-year whose rows are as in the
    previous export keeps its file (a hard link), so a re-delivery rewrites one file, not all, and
    not the years of its municipality it did not change.

    only: the municipality-years whose rows may have changed since the previous export; the rows
    of the others are not read again (None: all are compared)."""
    folder = target / table
    folder.mkdir()
    before = read_json(previous / table / FINGERPRINTS) if previous else None
    keys = ", ".join(name(column) for column in SLOT_COLUMNS)
    where = ""
    if only is not None and before is not None:
        where = f"WHERE {_slots_filter(only)}"
    rows_of: dict[str, int] = {}
    fingerprints: dict[str, str] = {}
    for code, year, rows, digest in connection.execute(
        f"SELECT {keys}, count(*), sum(hash(*COLUMNS(*))) FROM {name(table)} {where} GROUP BY ALL"
    ).fetchall():
        rows_of[_file_stem(code, year)] = rows
        fingerprints[_file_stem(code, year)] = f"{FILE_LAYOUT}:{rows}:{digest}"
    if where:  # the others are as they were
        written = {_file_stem(code, year) for code, year in only}
        fingerprints = {
            **{stem: value for stem, value in before.items() if stem not in written},
            **fingerprints,
        }
    kept = {
        stem
        for stem, fingerprint in fingerprints.items()
        if (before or {}).get(stem) == fingerprint
        and (previous / table / f"{stem}.parquet").exists()
    }
    partitioned = folder / ".partitioned"
    for batch in _batches(sorted(set(fingerprints) - kept), rows_of):
        connection.execute(
            f"COPY (SELECT * FROM {name(table)} WHERE {_slots_filter(batch)}) "
            f"TO {literal(str(partitioned))} (FORMAT parquet, PARTITION_BY ({keys}), "
            "WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE)"
        )
        # DuckDB writes hive folders (municipality_code=GM0363/fiscal_year=2024/data_0.parquet);
        # a flat file per slot keeps its columns without clashing with partition columns readers
        # would add
        for code, year in batch:
            hive = partitioned / f"{SLOT_COLUMNS[0]}={code}" / f"{SLOT_COLUMNS[1]}={year}"
            [written] = hive.glob("*.parquet")
            os.replace(written, folder / f"{_file_stem(code, year)}.parquet")
        stop_points.moment("export")
    shutil.rmtree(partitioned, ignore_errors=True)
    for stem in kept:
        os.link(previous / table / f"{stem}.parquet", folder / f"{stem}.parquet")
    write_json_atomic(fingerprints, folder / FINGERPRINTS)


def _slots_filter(slots: Iterable[tuple[str, int]]) -> str:
    """SQL that holds for the rows of these municipality-years (the municipality codes first, a
    filter DuckDB checks against each row group's range)."""
    slots = sorted(slots)
    if not slots:
        return "false"
    codes = ", ".join(sorted({literal(code) for code, _ in slots}))
    pairs = ", ".join(f"({literal(code)}, {int(year)})" for code, year in slots)
    keys = ", ".join(name(column) for column in SLOT_COLUMNS)
    return f"{name(SLOT_COLUMNS[0])} IN ({codes}) AND ({keys}) IN (SELECT * FROM (VALUES {pairs}))"


def _file_stem(code: str, year: int) -> str:
    return f"{code}_{year}"


def _slot_of(stem: str) -> tuple[str, int]:
    code, _, year = stem.rpartition("_")
    return code, int(year)


def _batches(stems: list[str], rows_of: dict[str, int]) -> Iterator[list[tuple[str, int]]]:
    """The slots to write, in groups DuckDB writes in one pass: it holds a row group in memory
    per file it has open (all 342 municipalities at once took 2 GB)."""
    batch: list[tuple[str, int]] = []
    rows = 0
    for stem in stems:
        # a slot not read this time (its earlier file gone) counts as small
        size = rows_of.get(stem, 0)
        if batch and (len(batch) == FILES_OPEN_AT_ONCE or rows + size > ROWS_AT_ONCE):
            yield batch
            batch, rows = [], 0
        batch.append(_slot_of(stem))
        rows += size
    if batch:
        yield batch
