"""Every damage of tests/damages.py, done to a delivery the warehouse holds, through the real
pipeline: the run refuses the damaged file with a message that says why, and the published mart
keeps that municipality's last good figures (and its landed file stays as it was)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_benchmark
from tests.damages import DAMAGES, drop_zone_of_good_ledgers

# Columns that report on the latest delivery, not on the figures: they may change.
DELIVERY_STATUS_COLUMNS = {"ledger_status", "ledger_rows_quarantined"}


def published(warehouse: Path) -> dict[tuple[str, int], dict]:
    with duckdb.connect(str(warehouse / "benchmark.duckdb"), read_only=True) as connection:
        cursor = connection.execute("select * from ict_benchmark")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {
        (row["municipality_code"], row["fiscal_year"]): {
            name: value for name, value in row.items() if name not in DELIVERY_STATUS_COLUMNS
        }
        for row in rows
    }


def landed(warehouse: Path, code: str, year: int):
    return pq.read_table(warehouse / "landing" / "ledger" / f"{code}_{year}_ledger.parquet")


def results_of_slot(warehouse: Path, code: str, year: int) -> list[dict]:
    """The load results that speak of the slot: its delivery's, and those of refused files in it."""
    table = pq.read_table(warehouse / "landing" / "load_results.parquet").to_pylist()
    return [
        r
        for r in table
        if r["delivery_key"] == f"{code}_{year}_ledger"
        or (r["source_file"] or "").startswith(f"{code}/{year}/")
    ]


def test_the_catalogue_of_damages_is_named_uniquely():
    assert len({damage.name for damage in DAMAGES}) == len(DAMAGES)


@pytest.mark.slow
def test_a_damaged_delivery_keeps_the_last_good_figures(tmp_path: Path, dbt_manifest):
    data_raw, warehouse = tmp_path / "data_raw", tmp_path / "warehouse"
    # one slot more than there are damages: a slot nobody touches must not move either
    ledgers = drop_zone_of_good_ledgers(data_raw, len(DAMAGES) + 1)
    assert run_benchmark(data_raw, warehouse).success
    good = published(warehouse)
    assert set(good) == set(ledgers)
    slots = list(ledgers)[: len(DAMAGES)]
    landed_before = {slot: landed(warehouse, *slot) for slot in slots}

    for damage, slot in zip(DAMAGES, slots, strict=True):
        damage.apply(ledgers[slot])
    assert run_benchmark(data_raw, warehouse).success

    after = published(warehouse)
    failures = []
    for damage, (code, year) in zip(DAMAGES, slots, strict=True):
        results = results_of_slot(warehouse, code, year)
        said = [r["message"] or "" for r in results]
        if not any(damage.says in message for message in said):
            failures.append(f"{damage.name}: expected '{damage.says}' in {said}")
        if any(r["status"] != "rejected" for r in results):
            failures.append(f"{damage.name}: {[(r['source_file'], r['status']) for r in results]}")
        for r in results:
            if r["rows_read"] != (r["rows_landed"] or 0) + (r["rows_quarantined"] or 0):
                failures.append(f"{damage.name}: accounting does not close for {r['source_file']}")
        if after.get((code, year)) != good[code, year]:
            failures.append(f"{damage.name}: the published figures of {code} {year} changed")
        try:
            still_landed = landed(warehouse, code, year).equals(landed_before[code, year])
        except FileNotFoundError:
            still_landed = False
        if not still_landed:
            failures.append(f"{damage.name}: the landed file of {code} {year} changed or went")
    untouched = list(ledgers)[-1]
    assert after[untouched] == good[untouched]
    assert failures == []
