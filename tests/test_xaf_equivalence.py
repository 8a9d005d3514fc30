"""The same ledger delivered as CSV and as XAF gives the same mart (issue 3).

One demo municipality-year is written twice, identical except for the ledger's format, and each
drop zone goes through the real pipeline (Dagster, GX, dbt, publish). Only what differs by design
may differ: which file and row a line came from, the delivery id (the file's hash), and the cost
type, which XAF 3.2 does not carry.
"""

from pathlib import Path

import duckdb
import pytest

from pipelines.demo.generate import write_ledger_xaf
from pipelines.demo.ledgers import (
    chart_of_accounts,
    generate_account_mapping,
    generate_ledger,
    ledger_rng,
    mapping_rng,
    write_account_mapping,
    write_bevolking_csv,
    write_gemeenten_csv,
    write_ledger_csv,
)
from pipelines.demo.municipalities import MUNICIPALITIES
from tests.conftest import run_benchmark

pytestmark = pytest.mark.slow

SEED = 2024
YEAR = 2024
# Schiermonnikoog: the smallest demo municipality, and its CSV dialect has every column a
# ledger line can have (line number, account name, cost centre, cost type; BOM, trailing minus).
MUNICIPALITY = next(m for m in MUNICIPALITIES if m.code == "GM0088")
VOLUME = 0.5

# fct_ict_cost_line columns that say where a line came from, not what it is.
LINEAGE = ("ledger_line_id", "delivery_id", "source_file", "source_row")


def drop_zone(root: Path, ledger_format: str) -> Path:
    data_raw = root / ledger_format / "data_raw"
    reference = data_raw / "reference"
    reference.mkdir(parents=True)
    write_gemeenten_csv(reference / "gemeenten.csv", [MUNICIPALITY])
    write_bevolking_csv(reference / "bevolking.csv", [MUNICIPALITY], [YEAR])
    folder = data_raw / "deliveries" / MUNICIPALITY.code
    (folder / str(YEAR)).mkdir(parents=True)
    rules = generate_account_mapping(MUNICIPALITY, mapping_rng(SEED, MUNICIPALITY))
    write_account_mapping(folder / "account_mapping.csv", rules)
    ledger = generate_ledger(
        MUNICIPALITY, YEAR, ledger_rng(SEED, MUNICIPALITY, YEAR), volume=VOLUME
    )
    writer = {"csv": write_ledger_csv, "xaf": write_ledger_xaf}[ledger_format]
    path = folder / str(YEAR) / f"ledger.{ledger_format}"
    writer(path, MUNICIPALITY, YEAR, ledger, chart_of_accounts(MUNICIPALITY))
    return data_raw


def mart(warehouse: Path) -> dict[str, object]:
    with duckdb.connect(str(warehouse / "benchmark.duckdb"), read_only=True) as connection:

        def rows(sql: str) -> tuple[list[str], list[tuple]]:
            cursor = connection.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

        lineage = ", ".join(LINEAGE)
        return {
            "ict_benchmark": rows(
                "select * exclude (ledger_delivery_id) from ict_benchmark "
                "order by municipality_code, fiscal_year"
            ),
            "fct_ict_cost_line": rows(
                f"select * exclude ({lineage}, cost_type) from fct_ict_cost_line "
                "order by booking_date, journal, transaction_id, line_number"
            ),
            "lineage": rows(
                "select distinct source_file, cost_type is null as without_cost_type "
                "from fct_ict_cost_line"
            ),
        }


@pytest.fixture(scope="module")
def marts(tmp_path_factory, dbt_manifest) -> dict[str, dict[str, object]]:
    root = tmp_path_factory.mktemp("equivalence")
    built = {}
    for ledger_format in ("csv", "xaf"):
        data_raw = drop_zone(root, ledger_format)
        warehouse = root / ledger_format / "warehouse"
        result = run_benchmark(data_raw, warehouse)
        assert result.success, f"the {ledger_format} run failed"
        built[ledger_format] = mart(warehouse)
    return built


def test_the_drop_zones_differ_only_in_the_ledger_format(tmp_path):
    csv_zone, xaf_zone = drop_zone(tmp_path, "csv"), drop_zone(tmp_path, "xaf")
    files = {
        zone: {str(p.relative_to(zone)): p.read_bytes() for p in zone.rglob("*") if p.is_file()}
        for zone in (csv_zone, xaf_zone)
    }
    ledger = f"deliveries/{MUNICIPALITY.code}/{YEAR}/ledger"
    csv_files, xaf_files = files[csv_zone], files[xaf_zone]
    assert csv_files.pop(f"{ledger}.csv") != xaf_files.pop(f"{ledger}.xaf")
    assert csv_files == xaf_files


def test_csv_and_xaf_give_the_same_benchmark_row(marts):
    columns, rows = marts["csv"]["ict_benchmark"]
    assert len(rows) == 1
    assert rows[0][columns.index("ict_cost_total")] > 0
    assert marts["xaf"]["ict_benchmark"] == (columns, rows)


def test_csv_and_xaf_give_the_same_ict_cost_lines(marts):
    columns, rows = marts["csv"]["fct_ict_cost_line"]
    categories = {row[columns.index("category")] for row in rows}
    assert len(rows) > 50
    assert {"software_licences", "saas_cloud", "unclassified"} <= categories
    assert any(row[columns.index("amount")] < 0 for row in rows)  # credit notes: XAF writes C
    assert marts["xaf"]["fct_ict_cost_line"] == (columns, rows)


def test_only_the_lineage_and_the_cost_type_differ(marts):
    ledger = f"{MUNICIPALITY.code}/{YEAR}/ledger"
    assert marts["csv"]["lineage"][1] == [(f"{ledger}.csv", False)]
    assert marts["xaf"]["lineage"][1] == [(f"{ledger}.xaf", True)]
