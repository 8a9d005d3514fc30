import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES = TESTS_DIR / "fixtures"
SHARED_REFERENCE = TESTS_DIR.parents[1] / "shared" / "reference"
# The modules that take longest (`pytest --durations` of `.ci/run`, 2 workers), started first: `make test`
# hands whole modules to two workers, and one of these started last keeps a worker busy for
# minutes after the other has run out of work.
LONGEST_FIRST = (
    "test_spark_parity",  # skips at once without Java and dbt-spark (`make install-spark`)
    "test_recovery",
    "test_incremental_build",
    "test_orchestration",
    "test_bench",
    "test_nothing_new",
    "test_run_summary",
    "test_privacy",
    "test_xaf_equivalence",
    "test_postgres_instance",
    "test_end_to_end",
    "test_parallel_ingest",
    "test_dbt_server",
    "test_bad_inputs",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest modules first, then the other end-to-end ones (marked slow), then the rest; the
    order inside a module stays (make test runs xdist with --no-loadscope-reorder)."""

    def module_of(item: pytest.Item) -> str:
        return getattr(getattr(item, "module", None), "__name__", "")

    slow_modules = {module_of(item) for item in items if item.get_closest_marker("slow")}

    def weight(item: pytest.Item) -> tuple[int, int]:
        module = module_of(item)
        name = module.rpartition(".")[2]
        if name in LONGEST_FIRST:
            return 0, LONGEST_FIRST.index(name)
        return (1 if module in slow_modules else 2), 0

    items.sort(key=weight)


@pytest.fixture(autouse=True, scope="session")
def pseudonym_key():
    """Tests use their own key; the developer's local key file is never touched."""
    import os

    os.environ["ICTBENCH_PSEUDONYM_KEY"] = "test-key-" + "0" * 40
    yield


@pytest.fixture(autouse=True, scope="session")
def dbt_started_ahead():
    """dbt imported once per test worker, as `ictbench run` imports it once per run: the runs
    tests start in their own process fork their dbt commands from it (dbt_server.py)."""
    from pipelines.settings import DBT_EXECUTABLE
    from pipelines.transform import dbt_server

    dbt_server.start(DBT_EXECUTABLE)
    yield
    dbt_server.stop()


@contextmanager
def dbt_server_set_aside():
    """No dbt server while it lasts, as in a run the UI or the schedule starts (dbt started per
    command) or for a test that starts a server of its own; the worker's starts again after."""
    from pipelines.settings import DBT_EXECUTABLE
    from pipelines.transform import dbt_server

    dbt_server.stop()
    try:
        yield
    finally:
        dbt_server.stop()
        dbt_server.start(DBT_EXECUTABLE)


@pytest.fixture
def without_the_workers_dbt_server():
    with dbt_server_set_aside():
        yield


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"shared reference files not present at {SHARED_REFERENCE}")
    return SHARED_REFERENCE


@pytest.fixture(scope="session")
def dbt_manifest() -> None:
    from pipelines.transform.manifest import prepare_manifest

    prepare_manifest()


@pytest.fixture
def handcomputed(tmp_path: Path) -> Path:
    """A copy of the hand-computed drop zone, so a test may change it."""
    target = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", target)
    return target


def run_benchmark(data_raw: Path, warehouse: Path, instance=None, **run_config):
    """Materialise the whole benchmark job in-process, as `ictbench run` does."""
    import dagster as dg

    from pipelines.cli.runner import run_benchmark_job
    from pipelines.settings import Paths

    return run_benchmark_job(
        Paths(data_raw.resolve(), warehouse.resolve()),
        instance or dg.DagsterInstance.ephemeral(),
        run_config=run_config or None,
    )
