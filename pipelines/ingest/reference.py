"""The CBS reference files of the drop zone, landed for dbt."""

from __future__ import annotations

from pathlib import Path

from pipelines.settings import Paths
from pipelines.storage.files import write_parquet_atomic

# the files a run cannot do without, with what they hold (the price index is optional)
REQUIRED_REFERENCE_FILES = {
    "gemeenten.csv": "the CBS municipality list",
    "bevolking.csv": "the CBS inhabitants per municipality and year",
}


def ingest_reference(paths: Paths) -> dict[str, int]:
    """Land the CBS reference files; the price index is optional (real-terms figures stay NULL)."""
    from pipelines.readers.cbs import (
        PRICE_INDEX_SCHEMA,
        read_inhabitants,
        read_municipalities,
        read_price_index,
    )

    municipalities = read_municipalities(_required(paths.reference / "gemeenten.csv"))
    inhabitants = read_inhabitants(_required(paths.reference / "bevolking.csv"))
    price_index_file = paths.reference / "prijsindex.csv"
    price_index = (
        read_price_index(price_index_file)
        if price_index_file.exists()
        else PRICE_INDEX_SCHEMA.empty_table()
    )
    write_parquet_atomic(municipalities, paths.landing / "reference" / "municipalities.parquet")
    write_parquet_atomic(inhabitants, paths.landing / "reference" / "inhabitants.parquet")
    write_parquet_atomic(price_index, paths.landing / "reference" / "price_index.parquet")
    return {
        "municipalities": municipalities.num_rows,
        "inhabitant_counts": inhabitants.num_rows,
        "price_index_years": price_index.num_rows,
    }


def _required(path: Path) -> Path:
    if not path.exists():
        from pipelines.contract.errors import UnreadableFile

        raise UnreadableFile(
            f"reference file is missing: the run needs {REQUIRED_REFERENCE_FILES[path.name]}; "
            "put the CBS export there (docs/data-contract.md, `Reference data`)",
            file=path,
        )
    return path
