"""The dbt project builds the same marts on Spark as on DuckDB, from the same landed Parquet files
(docs/spark.md): every mart table, row for row, figures equal to the cent."""

import json
import math
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT, Paths
from tests.conftest import run_benchmark

pytestmark = [pytest.mark.slow, pytest.mark.spark]

SPARK_DBT = Path(os.environ.get("ICTBENCH_SPARK_DBT", REPO_ROOT / ".venv-spark" / "bin" / "dbt"))
MARTS = sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql"))
# Columns whose values may differ between the engines, and why. None: the marts carry no build
# timestamps or engine-specific values; keep this empty unless a difference is explained here.
ENGINE_SPECIFIC_COLUMNS: dict[str, set[str]] = {}
# Municipalities of the bundled demo: the four in a merger (current boundaries), G4, G40 and Wadden
# members (structure peer groups) and enough of one size band (>= 5) for unsuppressed medians.
DEMO_SUBSET = 8


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
    return target


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, dbt_manifest) -> Paths:
    spark_prerequisites()
    root = tmp_path_factory.mktemp("parity")
    paths = Paths(small_drop_zone(root / "data_raw"), root / "warehouse")
    assert run_benchmark(paths.data_raw, paths.warehouse).success
    variables = json.dumps({"warehouse_dir": str(paths.warehouse)})
    command = [str(SPARK_DBT), "build", "--target", "spark", "--vars", variables]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(root / "spark_target"), "--log-path", str(root / "logs")]
    # the dbt unit tests check the SQL's logic on given rows: the DuckDB suite runs them
    command += ["--exclude-resource-type", "unit_test"]
    environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    build = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=root)
    assert build.returncode == 0, build.stdout[-5000:]
    return paths


def comparable(value):
    """A value as the comparison sees it: a number rounded to the cent, the rest as it is."""
    if isinstance(value, Decimal | float) and not (isinstance(value, float) and math.isnan(value)):
        return round(float(value), 2)
    return value


def rows(connection, sql: str) -> list[tuple]:
    table = connection.execute(sql).fetchall()
    return sorted((tuple(comparable(value) for value in row) for row in table), key=repr)


def spark_table(paths: Paths, table: str) -> str:
    """The Parquet files of a table Spark wrote (database main, spark.sql.warehouse.dir)."""
    return str(paths.warehouse / "spark" / "tables" / "main.db" / table / "*.parquet")


@pytest.mark.parametrize("mart", MARTS)
def test_spark_builds_the_same_mart_as_duckdb(both_engines, mart):
    paths = both_engines
    left_out = ENGINE_SPECIFIC_COLUMNS.get(mart, set())
    with duckdb.connect(str(paths.published_db), read_only=True) as connection:
        columns = [row[0] for row in connection.execute(f"describe main.{mart}").fetchall()]
        spark_columns = [
            row[0]
            for row in connection.execute(
                f"describe select * from read_parquet('{spark_table(paths, mart)}')"
            ).fetchall()
        ]
        assert spark_columns == columns
        kept = ", ".join(f'"{column}"' for column in columns if column not in left_out)
        on_duckdb = rows(connection, f"select {kept} from main.{mart}")
        on_spark = rows(connection, f"select {kept} from read_parquet('{spark_table(paths, mart)}')")
    assert len(on_spark) == len(on_duckdb)
    assert on_spark == on_duckdb


def test_the_parity_covers_every_part_of_the_benchmark(both_engines):
    """Not an empty comparison: the small drop zone fills every mart the figures come from."""
    with duckdb.connect(str(both_engines.published_db), read_only=True) as connection:
        counts = {
            mart: connection.execute(f"select count(*) from main.{mart}").fetchone()[0]
            for mart in MARTS
        }
    assert all(counts[mart] > 0 for mart in MARTS), counts
