"""The latest load result of every delivery slot, as one table for dbt's load_quality mart."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ingest.check import REJECTED, LoadResult
from pipelines.ingest.discovery import DropZone
from pipelines.settings import Paths
from pipelines.storage.files import read_json, write_json_atomic, write_parquet_atomic

# the load results as last read, with each file's stat (see kept_results)
RESULTS_READ = ".results_read.parquet"


def record_refused(paths: Paths, refused) -> None:
    """Files that are no delivery at all still get a load result, so they show up in load_quality."""
    folder = paths.load_results / "refused"
    wanted = set()
    for item in refused:
        key = "refused_" + item.relative_path.replace("/", "_")
        wanted.add(f"{key}.json")
        result = LoadResult(
            delivery_key=key,
            kind="unknown",
            municipality_code=item.municipality_code,
            fiscal_year=None,
            source_file=item.relative_path,
            delivery_id=None,
            status=REJECTED,
            message=item.error.describe(),
            problems=[item.error.as_dict()],
        )
        write_json_atomic(result.as_dict(), folder / f"{key}.json")
    for stale in folder.glob("*.json") if folder.exists() else []:
        if stale.name not in wanted:
            stale.unlink()


LOAD_RESULTS_SCHEMA = pa.schema(
    [
        pa.field("delivery_key", pa.string()),
        pa.field("delivery_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("municipality_code", pa.string()),
        pa.field("fiscal_year", pa.int32()),
        pa.field("source_file", pa.string()),
        pa.field("status", pa.string()),
        pa.field("rows_read", pa.int64()),
        pa.field("rows_landed", pa.int64()),
        pa.field("rows_quarantined", pa.int64()),
        pa.field("rows_with_gaps", pa.int64()),
        pa.field("rows_dated_after_check", pa.int64()),
        pa.field("failed_expectations", pa.list_(pa.string())),
        pa.field("message", pa.string()),
        pa.field("contract_version", pa.string()),
    ]
)


# where a result was read from and the stat it had then; the result's fields that are read for
# every delivery; the whole result as its JSON text
_STAMP = ["ino", "mtime_ns", "size"]
READING_SCHEMA = pa.schema(
    [
        pa.field("folder", pa.string()),
        pa.field("file", pa.string()),
        *(pa.field(name, pa.int64()) for name in _STAMP),
        *LOAD_RESULTS_SCHEMA,
        pa.field("profile", pa.string()),
        pa.field("document", pa.string()),
    ]
)


@dataclass(frozen=True)
class LoadResults:
    """The latest load result of every delivery slot, one row each in file order: the fields
    every reader looks at as columns, the whole result as its JSON text (see records)."""

    table: pa.Table

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, name: str) -> list:
        return self.table.column(name).to_pylist()

    def records(self) -> list[dict]:
        return [json.loads(document) for document in self.column("document")]

    def by_file(self, *fields: str) -> dict[str, dict]:
        """Those fields of each result, by its file under the load results
        (`ledger/GM0363_2024_ledger.json`, LandingStore.result_name)."""
        files = [
            f"{folder}/{file}"
            for folder, file in zip(*map(self.column, ("folder", "file")), strict=True)
        ]
        rows = self.table.select(list(fields)).to_pylist()
        return dict(zip(files, rows, strict=True))

    @classmethod
    def of(cls, records: list[dict]) -> LoadResults:
        """Results that are no files (yet), e.g. to show in Data Docs."""
        rows = [
            _row(result, ("", result.get("delivery_key") or ""), (0, 0, 0)) for result in records
        ]
        return cls(pa.Table.from_pylist(rows, schema=READING_SCHEMA))


def kept_results(paths: Paths) -> LoadResults:
    """Every load result on disk. A result file is read only when its stat changed since the last
    reading: with ten years kept there are 11,000 of them, a run rewrites a handful, and parsing
    every one as a dict took a second of each run, spread over planning, the load results table
    and the Data Docs."""
    root = paths.load_results
    before = _last_reading(root / RESULTS_READ)
    stamps = {
        (folder, file): (row, stamp)
        for row, (folder, file, *stamp) in enumerate(
            zip(
                *(before.column(name).to_pylist() for name in ["folder", "file", *_STAMP]),
                strict=True,
            )
        )
    }
    kept_rows, read = [], []
    for folder in os.scandir(root) if root.is_dir() else []:
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder.path):
            if not entry.name.endswith(".json"):
                continue
            stat = entry.stat()
            stamp = [stat.st_ino, stat.st_mtime_ns, stat.st_size]
            name = (folder.name, entry.name)
            seen = stamps.get(name)
            if seen and seen[1] == stamp:
                kept_rows.append(seen[0])
            elif (result := read_json(Path(entry.path))) is not None:
                read.append(_row(result, name, stamp))
    table = pa.concat_tables(
        [
            before.take(pa.array(kept_rows, pa.int64())),
            pa.Table.from_pylist(read, schema=READING_SCHEMA),
        ]
    ).sort_by([("folder", "ascending"), ("file", "ascending")])
    # one chunk, as a first reading gives: the load_quality table written from it must be the
    # same bytes when nothing changed, or dbt builds again (transform/build_state.py)
    table = table.combine_chunks()
    if read or len(kept_rows) != before.num_rows:
        write_parquet_atomic(table, root / RESULTS_READ)
    return LoadResults(table)


def _row(result: dict, name: tuple[str, str], stamp: list[int]) -> dict:
    fields = {field: result.get(field) for field in (*LOAD_RESULTS_SCHEMA.names, "profile")}
    document = json.dumps(result, ensure_ascii=False, default=str)
    return {
        "folder": name[0],
        "file": name[1],
        **dict(zip(_STAMP, stamp, strict=True)),
        **fields,
        "document": document,
    }


def _last_reading(path: Path) -> pa.Table:
    """What kept_results read the last time; nothing when it is missing or damaged (it only
    saves reading files again)."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return READING_SCHEMA.empty_table()
    if not table.schema.equals(READING_SCHEMA):
        return READING_SCHEMA.empty_table()
    # Parquet names a list's items "element", Arrow "item": as written, or the load_quality
    # table written from it differs in bytes though not in rows, and dbt builds again
    return table.cast(READING_SCHEMA)


def current_results(paths: Paths, drop_zone: DropZone | None = None) -> LoadResults:
    """Every delivery slot's latest load result, the refused files' recorded first."""
    listed = drop_zone or DropZone.listed(paths.deliveries)
    record_refused(paths, listed.refused)
    return kept_results(paths)


def write_results_table(paths: Paths, results: LoadResults) -> pa.Table:
    """The load results as one table for dbt's load_quality mart."""
    table = results.table.select(LOAD_RESULTS_SCHEMA.names)
    write_parquet_atomic(table, paths.landing / "load_results.parquet")
    return table
