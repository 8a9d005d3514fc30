"""The latest load result of every delivery slot, as one table for dbt's load_quality mart."""

from __future__ import annotations

import pyarrow as pa

from pipelines.ingest.check import REJECTED, LoadResult
from pipelines.ingest.discovery import DropZone
from pipelines.settings import Paths
from pipelines.storage.files import read_json, write_json_atomic, write_parquet_atomic


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


def collect_results(paths: Paths) -> list[dict]:
    results = []
    for path in sorted(paths.load_results.glob("*/*.json")):
        result = read_json(path)
        if result:
            results.append(result)
    return results


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


def current_results(paths: Paths, drop_zone: DropZone | None = None) -> list[dict]:
    """Every delivery slot's latest load result, the refused files' recorded first."""
    listed = drop_zone or DropZone.listed(paths.deliveries)
    record_refused(paths, listed.refused)
    return collect_results(paths)


def write_results_table(paths: Paths, results: list[dict]) -> pa.Table:
    """The load results as one table for dbt's load_quality mart."""
    records = [{name: result.get(name) for name in LOAD_RESULTS_SCHEMA.names} for result in results]
    table = pa.Table.from_pylist(records, schema=LOAD_RESULTS_SCHEMA)
    write_parquet_atomic(table, paths.landing / "load_results.parquet")
    return table
