"""Every example query in docs/queries.md runs against the demo mart and returns rows."""

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_benchmark

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
QUERIES_DOC = REPO_ROOT / "docs" / "queries.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def example_queries() -> list[str]:
    return SQL_BLOCK.findall(QUERIES_DOC.read_text(encoding="utf-8"))


def test_the_document_has_example_queries():
    assert len(example_queries()) >= 6


@pytest.fixture(scope="module")
def demo_mart(tmp_path_factory, dbt_manifest) -> Path:
    root = tmp_path_factory.mktemp("queries")
    data_raw = root / "data_raw"
    shutil.copytree(REPO_ROOT / "data_raw", data_raw)
    result = run_benchmark(data_raw, root / "warehouse")
    assert result.success
    return root / "warehouse" / "benchmark.duckdb"


@pytest.mark.parametrize(
    "sql",
    example_queries(),
    ids=[f"query_{number}" for number in range(1, len(example_queries()) + 1)],
)
def test_example_query_returns_rows(demo_mart, sql):
    with duckdb.connect(str(demo_mart), read_only=True) as connection:
        rows = connection.execute(sql).fetchall()
    assert rows, f"no rows from:\n{sql}"


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_demo_municipalities_with_their_own_layouts_land_through_their_profiles(demo_mart):
    profiles = sorted(p.parent.name for p in (REPO_ROOT / "data_raw").glob("deliveries/*/*.yml"))
    assert profiles == ["GM0197", "GM0358", "GM1680"]
    loads = query(
        demo_mart,
        "select kind, status, rows_read, rows_landed - rows_with_gaps from load_quality "
        "where municipality_code in ('GM0197', 'GM0358', 'GM1680') and fiscal_year is not null",
    )
    assert len(loads) == 3 * 3 * 4  # three municipalities, three years, four kinds
    assert all(status == "accepted" for _, status, _, _ in loads)
    assert sum(read for _, _, read, _ in loads) > sum(clean for _, _, _, clean in loads)
    # the workbook with a title row, device words of its own and 2% of devices without a date
    assert (REPO_ROOT / "data_raw" / "deliveries" / "GM0358" / "2024" / "assets.xlsx").exists()
    [(undated, unknown, reason, age)] = query(
        demo_mart,
        "select devices_without_purchase_date, devices_of_unknown_kind, "
        "hardware_left_out_reason, average_device_age from ict_benchmark "
        "where municipality_code = 'GM0358' and fiscal_year = 2024",
    )
    assert undated > 0 and unknown > 0 and age is not None
    [(read, landed, gaps)] = query(
        demo_mart,
        "select rows_read, rows_landed, rows_with_gaps from load_quality "
        "where municipality_code = 'GM0358' and fiscal_year = 2024 and kind = 'assets'",
    )
    assert read == landed and gaps >= max(undated, unknown)
    assert f"{undated} of " in reason and "no usable purchase date" in reason


def test_the_demo_mart_answers_both_halves_of_the_question(demo_mart, tmp_path):
    """Every demo municipality-year has its application landscape; those with HR records their
    regie; the figures have peer statistics and the report page says which way it leans."""
    [(years, municipalities, with_regie, complete)] = query(
        demo_mart,
        "select count(*), count(distinct municipality_code), "
        "count(regie_fte_per_1000_inhabitants), "
        "count(*) filter (where applications_per_10k_inhabitants_quality = 'complete') "
        "from portfolio_benchmark where has_applications",
    )
    assert municipalities >= 12 and years >= 36 and complete >= 36
    assert with_regie >= 12 * 3 // 2  # the municipalities that deliver HR records
    [(overlaps, phasing_out, off)] = query(
        demo_mart,
        "select sum(overlapping_components), sum(applications_phasing_out), "
        "count(*) filter (where licence_reconciliation <> 'within_tolerance') "
        "from portfolio_benchmark",
    )
    assert overlaps > 0 and phasing_out > 0 and off > 0
    medians = query(
        demo_mart,
        "select count(*) from peer_benchmark where kpi = 'regie_fte_per_1000_inhabitants' "
        "and not is_suppressed",
    )
    assert medians[0][0] > 0

    from pipelines.report.site import write_page

    page = write_page(demo_mart, "GM0074", 2024, tmp_path / "GM0074.html", "nl").read_text()
    section = page[page.index('id="portfolio"') : page.index('id="quality"')]
    assert "Heerenveen investeert" in section and "fte regie per 1.000 inwoners (mediaan" in section
