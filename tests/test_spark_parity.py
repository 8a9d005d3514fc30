"""The dbt project builds the same marts on Spark as on DuckDB, from the same landed Parquet files
(docs/spark.md): every mart table, row for row, figures equal to the cent, after a full build and
an incremental one (a ledger re-delivered, another taken away) on both engines."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from bench.redelivery import ict_rows, redeliver
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT, Paths
from tests.conftest import run_benchmark

pytestmark = [pytest.mark.slow, pytest.mark.spark]

SPARK_DBT = Path(os.environ.get("ICTBENCH_SPARK_DBT", REPO_ROOT / ".venv-spark" / "bin" / "dbt"))
MARTS = sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql"))
# Columns whose values may differ between the engines, and why. None: the marts carry no build
# timestamps or engine-specific values; keep this empty unless a difference is explained here.
ENGINE_SPECIFIC_COLUMNS: dict[str, set[str]] = {}
# The first eight municipalities of the bundled demo: G40 and Wadden members (structure peer
# groups), five in the <60k band (unsuppressed medians), three years of every kind of delivery.
DEMO_SUBSET = 8
# ... and one mapping rule the benchmark refuses (it makes the balance-sheet account 210, fixed
# assets ICT, a cost), so that mapping_rules_refused has rows too
REFUSED_RULE = "210;;;infrastructure_hardware;Investering servers\n"
# The models rebuilt per municipality-year (macros/ledger_slots.sql): on Spark a partition each
PER_SLOT_TABLES = ("int_ledger_accounts_classified", "fct_ict_cost_line")
PARTITION_COLUMNS = ["municipality_code", "fiscal_year"]
CHANGED_YEAR = 2024


def spark_prerequisites() -> None:
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java, java not found: apt-get install openjdk-17-jre-headless")
    if not SPARK_DBT.exists():
        pytest.skip(f"dbt-spark not installed at {SPARK_DBT}: run `make install-spark`")


def small_drop_zone(target: Path) -> Path:
    """The demo's reference files and the deliveries of its first municipalities."""
    demo = REPO_ROOT / "data_raw"
    shutil.copytree(demo / "reference", target / "reference")
    for municipality in sorted((demo / "deliveries").iterdir())[:DEMO_SUBSET]:
        shutil.copytree(municipality, target / "deliveries" / municipality.name)
    mapping = target / "deliveries" / "GM0014" / "account_mapping.csv"
    mapping.write_text(mapping.read_text(encoding="utf-8") + REFUSED_RULE, encoding="utf-8")
    return target


def spark_build(paths: Paths, work: Path) -> None:
    variables = json.dumps({"warehouse_dir": str(paths.warehouse)})
    command = [str(SPARK_DBT), "build", "--target", "spark", "--vars", variables]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(work / "spark_target"), "--log-path", str(work / "logs")]
    # Models and seeds: the unit tests (the SQL's logic on given rows) and the data tests (the
    # rows, which this test compares whole) run on DuckDB in the suite; on Spark they pass too
    # (docs/spark.md) but would double this test's time.
    command += ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
    environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    build = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=work)
    assert build.returncode == 0, build.stdout[-5000:]


def slot_files(paths: Paths) -> dict[tuple[str, int], set[str]]:
    """(municipality, year) -> the Parquet files of that slot in Spark's per-slot tables."""
    found: dict[tuple[str, int], set[str]] = {}
    for table in PER_SLOT_TABLES:
        for file in (paths.warehouse / "spark" / "tables").glob(f"*.db/{table}/*/*/*.parquet"):
            municipality, year = file.parent.parent.name, file.parent.name
            slot = (municipality.removeprefix("municipality_code="), int(year.split("=")[1]))
            found.setdefault(slot, set()).add(str(file))
    return found


@dataclass(frozen=True)
class TwoBuilds:
    """The same drop zone built on both engines, then changed and built again: one ledger
    re-delivered with an ICT line 100 euro higher, one ledger taken away."""

    paths: Paths
    slots_before: dict[tuple[str, int], set[str]]
    slots_after: dict[tuple[str, int], set[str]]
    changed: tuple[str, int]
    removed: tuple[str, int]


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, dbt_manifest) -> TwoBuilds:
    spark_prerequisites()
    root = tmp_path_factory.mktemp("parity")
    paths = Paths(small_drop_zone(root / "data_raw"), root / "warehouse")
    assert run_benchmark(paths.data_raw, paths.warehouse).success
    spark_build(paths, root)
    slots_before = slot_files(paths)

    landed = set(ict_rows(paths.published_db, CHANGED_YEAR))
    change = redeliver(paths.data_raw, paths.published_db, CHANGED_YEAR, landed)
    removed = next(
        (path.parent.parent.name, int(path.parent.name))
        for path in sorted(paths.deliveries.glob(f"*/{CHANGED_YEAR}/ledger.*"))
        if path.parent.parent.name != change.municipality_code
    )
    for ledger in (paths.deliveries / removed[0] / str(removed[1])).glob("ledger.*"):
        ledger.unlink()
    assert run_benchmark(paths.data_raw, paths.warehouse).success
    spark_build(paths, root)
    return TwoBuilds(
        paths,
        slots_before,
        slot_files(paths),
        (change.municipality_code, change.fiscal_year),
        removed,
    )


CENT = 0.005  # two figures are equal to the cent when they differ by less than half a cent


def number(value) -> bool:
    return isinstance(value, Decimal | float)


def rows(connection, sql: str) -> list[tuple]:
    """The rows in an order both engines give alike: numbers sorted as rounded to the cent."""
    table = connection.execute(sql).fetchall()
    return sorted(table, key=lambda row: repr([round(v, 2) if number(v) else v for v in row]))


def equal_to_the_cent(left: tuple, right: tuple) -> bool:
    """Equal values, numbers equal to the cent: a median that DuckDB interpolates to 85.565000001
    and Spark to 85.565 is one figure (summing doubles in another order moves the last bit)."""
    return len(left) == len(right) and all(
        abs(float(a) - float(b)) < CENT if number(a) and number(b) else a == b
        for a, b in zip(left, right, strict=True)
    )


def spark_table(paths: Paths, table: str) -> str:
    """The Parquet files of a table Spark wrote (database main, spark.sql.warehouse.dir), with the
    columns of a partitioned table's folder names."""
    files = paths.warehouse / "spark" / "tables" / "main.db" / table / "**" / "*.parquet"
    return f"read_parquet('{files}', hive_partitioning = true)"


def in_file_order(columns: list[str], table: str) -> list[str]:
    """The columns in the order the files hold them: a partitioned table's partition columns are
    in its folder names, which DuckDB adds after the file's columns."""
    if table not in PER_SLOT_TABLES:
        return columns
    return [column for column in columns if column not in PARTITION_COLUMNS]


@pytest.mark.parametrize("mart", MARTS)
def test_spark_builds_the_same_mart_as_duckdb(both_engines, mart):
    paths = both_engines.paths
    left_out = ENGINE_SPECIFIC_COLUMNS.get(mart, set())
    with duckdb.connect(str(paths.published_db), read_only=True) as connection:
        columns = [row[0] for row in connection.execute(f"describe main.{mart}").fetchall()]
        spark_columns = [
            row[0]
            for row in connection.execute(
                f"describe select * from {spark_table(paths, mart)}"
            ).fetchall()
        ]
        assert sorted(spark_columns) == sorted(columns)
        assert in_file_order(spark_columns, mart) == in_file_order(columns, mart)
        kept = ", ".join(f'"{column}"' for column in columns if column not in left_out)
        on_duckdb = rows(connection, f"select {kept} from main.{mart}")
        on_spark = rows(connection, f"select {kept} from {spark_table(paths, mart)}")
    assert len(on_spark) == len(on_duckdb)
    differing = [
        (duck, spark)
        for duck, spark in zip(on_duckdb, on_spark, strict=True)
        if not equal_to_the_cent(duck, spark)
    ]
    assert not differing, differing[:3]


def test_the_parity_covers_every_part_of_the_benchmark(both_engines):
    """Not an empty comparison: the small drop zone fills every mart the figures come from."""
    with duckdb.connect(str(both_engines.paths.published_db), read_only=True) as connection:
        counts = {
            mart: connection.execute(f"select count(*) from main.{mart}").fetchone()[0]
            for mart in MARTS
        }
    assert all(counts[mart] > 0 for mart in MARTS), counts


def test_spark_rebuilds_only_the_municipality_years_that_changed(both_engines):
    """The per-slot models are incremental on Spark too: the re-delivered slot's partition is
    written again, the removed one is dropped, every other slot keeps the files it had."""
    before, after = both_engines.slots_before, both_engines.slots_after
    changed, removed = both_engines.changed, both_engines.removed
    assert removed in before and removed not in after
    assert after[changed] and after[changed].isdisjoint(before[changed])
    untouched = set(before) - {changed, removed}
    assert len(untouched) > 10
    assert {slot: after[slot] for slot in untouched} == {slot: before[slot] for slot in untouched}
