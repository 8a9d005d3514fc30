"""The hand-computed drop zone, through Dagster, GX and dbt, to the published mart."""

import hashlib
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import dbt_server
from tests.conftest import dbt_server_set_aside, run_benchmark

pytestmark = pytest.mark.slow


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_manifest):
    import shutil

    from tests.conftest import FIXTURES

    root = tmp_path_factory.mktemp("e2e")
    data_raw = root / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    before = tree_digest(data_raw)
    # the other modules' runs fork dbt from the worker's server; this one starts dbt per command,
    # as a run started from the UI or the schedule does
    with dbt_server_set_aside():
        assert dbt_server.launcher() is None
        result = run_benchmark(data_raw, root / "warehouse")
    assert result.success
    return data_raw, root / "warehouse", before, result


def test_cost_per_inhabitant_per_category_is_exactly_hand_computed(built):
    _, warehouse, _, _ = built
    rows = query(
        warehouse / "benchmark.duckdb",
        """
        select municipality_code, inhabitants, ict_cost_total, ict_cost_per_inhabitant,
               software_licences_per_inhabitant, saas_cloud_per_inhabitant,
               own_personnel_per_inhabitant, hired_personnel_per_inhabitant,
               unclassified_per_inhabitant, telecom_per_inhabitant
        from ict_benchmark order by municipality_code
        """,
    )
    d = Decimal
    assert rows == [
        # 2 500,00 licences + 7 500,50 hired-in + 200,00 unclassified, for 500 inhabitants
        (
            "GM0088",
            500,
            d("10200.50"),
            d("20.40"),
            d("5.00"),
            d("0.00"),
            d("0.00"),
            d("15.00"),
            d("0.40"),
            d("0.00"),
        ),
        # 10 000 licences + (5 000 - 1 000 credit note) SaaS + 20 000 own staff + 500 unclassified
        (
            "GM0363",
            1000,
            d("34500.00"),
            d("34.50"),
            d("10.00"),
            d("4.00"),
            d("20.00"),
            d("0.00"),
            d("0.50"),
            d("0.00"),
        ),
    ]


def test_shares_and_quality_columns(built):
    _, warehouse, _, _ = built
    rows = dict(
        (row[0], row[1:])
        for row in query(
            warehouse / "benchmark.duckdb",
            "select municipality_code, personnel_share, saas_share_of_software, "
            "unclassified_share, ledger_status from ict_benchmark",
        )
    )
    assert rows["GM0363"][0] == pytest.approx(20000 / 34500)
    assert rows["GM0363"][1] == pytest.approx(4000 / 14000)
    assert rows["GM0363"][2] == pytest.approx(500 / 23500)  # the not-ICT rent in 7100 counts too
    assert rows["GM0088"][2] == pytest.approx(200 / 7700.50)
    assert rows["GM0088"][3] == "accepted"


def test_every_ict_line_is_traceable_to_its_file_and_row(built):
    data_raw, warehouse, _, _ = built
    lines = query(
        warehouse / "benchmark.duckdb",
        "select source_file, source_row, amount, category from fct_ict_cost_line "
        "where municipality_code = 'GM0088' order by source_row",
    )
    assert lines == [
        ("GM0088/2024/ledger.csv", 2, Decimal("2500.00"), "software_licences"),
        ("GM0088/2024/ledger.csv", 4, Decimal("7500.50"), "hired_personnel"),
        ("GM0088/2024/ledger.csv", 8, Decimal("200.00"), "unclassified"),
    ]
    text = (data_raw / "deliveries/GM0088/2024/ledger.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[3].startswith("15-02-2024;44100;KP20")  # line 4 of the file


def test_published_mart_has_only_bi_tables(built):
    _, warehouse, _, _ = built
    tables = {row[0] for row in query(warehouse / "benchmark.duckdb", "show tables")}
    assert tables == {
        "application_overlap",
        "dim_municipality",
        "fct_application",
        "fct_hardware_asset",
        "fct_ict_cost_line",
        "fct_training",
        "gemma_reference_components",
        "ict_benchmark",
        "ict_benchmark_current_boundaries",
        "ict_categories",
        "ict_cost_by_category",
        "load_quality",
        "mapping_rules_refused",
        "municipality_structure_groups",
        "municipality_successors",
        "peer_benchmark",
        "portfolio_benchmark",
        "replacement_cycles",
    }


def test_column_docs_reach_the_published_mart(built):
    _, warehouse, _, _ = built
    comments = query(
        warehouse / "benchmark.duckdb",
        "select comment from duckdb_columns() "
        "where table_name = 'ict_benchmark' and column_name = 'ict_cost_per_inhabitant'",
    )
    assert comments and "divided by inhabitants" in comments[0][0]
    # a doc block: one text for the column in both benchmark tables
    shared = query(
        warehouse / "benchmark.duckdb",
        "select table_name, comment from duckdb_columns() "
        "where column_name = 'ict_cost_per_inhabitant_peer_median' order by all",
    )
    assert [table for table, _ in shared] == ["ict_benchmark", "ict_benchmark_current_boundaries"]
    assert shared[0][1] == shared[1][1] and "same series" in shared[0][1]


def test_every_mart_column_has_a_comment(built):
    _, warehouse, _, _ = built
    from pipelines.settings import DBT_PROJECT_DIR

    seeds = {path.stem for path in (DBT_PROJECT_DIR / "seeds").glob("*.csv")}
    missing = query(
        warehouse / "benchmark.duckdb",
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' and not internal "
        "and coalesce(comment, '') = '' order by all",
    )
    assert [(table, column) for table, column in missing if table not in seeds] == []


def test_duckdb_15_cli_opens_the_published_file_read_only(built):
    _, warehouse, _, _ = built
    cli = Path(sys.executable).parent / "duckdb"
    if not cli.exists():
        pytest.skip("duckdb-cli is not installed")
    completed = subprocess.run(
        [
            str(cli),
            "-readonly",
            str(warehouse / "benchmark.duckdb"),
            "-csv",
            "-c",
            "select version(); select count(*) from ict_benchmark;",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert "v1.5" in completed.stdout
    assert completed.stdout.strip().endswith("2")


def test_dbt_unit_tests_pass_on_the_built_warehouse(built):
    """The nightly build leaves dbt's unit tests out; they run here, every one of them."""
    from pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

    _, warehouse, _, _ = built
    target = warehouse.parent / "dbt_unit_tests"
    completed = subprocess.run(
        [
            DBT_EXECUTABLE,
            "test",
            "--select",
            "test_type:unit",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"warehouse_dir": str(warehouse)}),
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    declared = json.loads((target / "manifest.json").read_text())["unit_tests"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert len(declared) >= 12
    assert sorted(r["unique_id"] for r in results) == sorted(declared)
    assert {r["status"] for r in results} == {"pass"}


def test_a_run_leaves_the_drop_zone_untouched(built):
    data_raw, _, before, _ = built
    assert tree_digest(data_raw) == before


def test_rerun_is_idempotent_and_a_reader_never_blocks_it(built):
    data_raw, warehouse, _, _ = built
    published = warehouse / "benchmark.duckdb"
    sql = "select * from ict_benchmark order by all"
    first = query(published, sql)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                connection = duckdb.connect({str(published)!r}, read_only=True)
                print(connection.execute("select count(*) from ict_benchmark").fetchone()[0], flush=True)
                sys.stdin.readline()
                print(connection.execute("select count(*) from ict_benchmark").fetchone()[0], flush=True)
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "2"
        again = run_benchmark(data_raw, warehouse)
        assert again.success
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "2"  # the old version, complete
    finally:
        reader.kill()
        reader.wait()
    assert query(published, sql) == first
    statuses = query(published, "select distinct status from load_quality")
    assert statuses == [("accepted",)]
