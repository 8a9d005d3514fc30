import shutil
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES = TESTS_DIR / "fixtures"
SHARED_REFERENCE = TESTS_DIR.parents[1] / "shared" / "reference"


@pytest.fixture(autouse=True, scope="session")
def pseudonym_key():
    """Tests use their own key; the developer's local key file is never touched."""
    import os

    os.environ["ICTBENCH_PSEUDONYM_KEY"] = "test-key-" + "0" * 40
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
