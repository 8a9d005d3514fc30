"""The CBS reference files of the drop zone, landed for dbt."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pipelines.settings import Paths
from pipelines.storage.files import parquet_unchanged, write_parquet_atomic

# the files a run cannot do without, with what they hold (the price index is optional)
REQUIRED_REFERENCE_FILES = {
    "gemeenten.csv": "the CBS municipality list",
    "bevolking.csv": "the CBS inhabitants per municipality and year",
}


def ingest_reference(paths: Paths) -> dict[str, int]:
    """Land the CBS reference files; the price index is optional (real-terms figures stay NULL)."""
    tables = reference_tables(paths)
    for name, table in tables.items():
        write_parquet_atomic(table, paths.landing / "reference" / f"{name}.parquet")
    return {
        "municipalities": tables["municipalities"].num_rows,
        "inhabitant_counts": tables["inhabitants"].num_rows,
        "price_index_years": tables["price_index"].num_rows,
    }


# what the reference step lands, each read by the dbt landing source of the same name
REFERENCE_SOURCES = ("municipalities", "inhabitants", "price_index")


def reference_tables(paths: Paths) -> dict[str, pa.Table]:
    """REFERENCE_SOURCES -> the table read from the drop zone's CBS files."""
    from pipelines.readers.cbs import (
        PRICE_INDEX_SCHEMA,
        read_inhabitants,
        read_municipalities,
        read_price_index,
    )

    price_index_file = paths.reference / "prijsindex.csv"
    return {
        "municipalities": read_municipalities(_required(paths.reference / "gemeenten.csv")),
        "inhabitants": read_inhabitants(_required(paths.reference / "bevolking.csv")),
        "price_index": (
            read_price_index(price_index_file)
            if price_index_file.exists()
            else PRICE_INDEX_SCHEMA.empty_table()
        ),
    }


def reference_unchanged(paths: Paths) -> bool:
    """True when landing the reference files again would leave every landed file as it is, so a
    run need not rebuild what reads only them. A file that cannot be read counts as a change:
    the reference step reports it."""
    try:
        tables = reference_tables(paths)
    except Exception:  # whatever it is, the run's reference step reports it
        return False
    return all(
        parquet_unchanged(table, paths.landing / "reference" / f"{name}.parquet")
        for name, table in tables.items()
    )


def _required(path: Path) -> Path:
    if not path.exists():
        from pipelines.contract.errors import UnreadableFile

        raise UnreadableFile(
            f"reference file is missing: the run needs {REQUIRED_REFERENCE_FILES[path.name]}; "
            "put the CBS export there (docs/data-contract.md, `Reference data`)",
            file=path,
        )
    return path
