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
