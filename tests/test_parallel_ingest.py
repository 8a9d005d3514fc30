"""Reading deliveries in worker processes lands exactly what reading them in one process lands."""

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.contract.delivery import delivery_from_path
from pipelines.ingest import streamed
from pipelines.ingest import workers as parallel
from pipelines.ingest.check import CheckOptions
from pipelines.ingest.deliveries import ingest_kind
from pipelines.ingest.store import LandingStore
from pipelines.readers.pseudonymise import make_pseudonymiser
from pipelines.settings import REPO_ROOT, Paths

DEMO = REPO_ROOT / "data_raw"
KINDS = ("ledger", "assets", "training")
# CSV and XAF ledgers, CSV and XLSX asset registers, training records
SAMPLE = ("GM0014", "GM0060", "GM0088", "GM0093", "GM0363", "GM0687")


@pytest.fixture(scope="module")
def data_raw(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("sample") / "data_raw"
    shutil.copytree(DEMO / "reference", target / "reference")
    for code in SAMPLE:
        shutil.copytree(DEMO / "deliveries" / code, target / "deliveries" / code)
    return target


def outcome(paths: Paths, kind: str, workers: int) -> tuple[dict, dict]:
    results = ingest_kind(
        paths, kind, workers=workers, pseudonymiser=make_pseudonymiser(b"parallel-test-key" * 2)
    )
    by_key = {r.delivery_key: {**r.as_dict(), "checked_at": None} for r in results}
    landed = {
        path.name: pq.read_table(path).sort_by("source_row").to_pylist()
        for path in sorted((paths.landing / kind).glob("GM*.parquet"))
    }
    return by_key, landed


@pytest.mark.parametrize("kind", KINDS)
def test_workers_land_what_one_process_lands(kind, data_raw: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 256 * 1024)  # several chunks per kind and year
    serial = outcome(Paths(data_raw, tmp_path / "serial"), kind, workers=1)
    in_workers = outcome(Paths(data_raw, tmp_path / "workers"), kind, workers=2)

    assert in_workers == serial
    assert len(serial[0]) >= 6 and len(serial[1]) >= 6
    # the workers' GX validations are kept for the Data Docs of the run, like one process's
    kept_serially = LandingStore(Paths(data_raw, tmp_path / "serial")).kept_validations()
    kept_by_workers = LandingStore(Paths(data_raw, tmp_path / "workers")).kept_validations()
    assert len(kept_serially) >= 1 and len(kept_by_workers) >= len(kept_serially)


def test_ledgers_read_a_batch_at_a_time_land_what_whole_ones_land(
    data_raw: Path, tmp_path: Path, monkeypatch
):
    whole = outcome(Paths(data_raw, tmp_path / "whole"), "ledger", workers=1)
    monkeypatch.setattr(streamed, "STREAM_BYTES", 0)
    monkeypatch.setattr(streamed, "BATCH_ROWS", 100)
    in_batches = outcome(Paths(data_raw, tmp_path / "batches"), "ledger", workers=1)

    assert in_batches == whole
    for suffix in (".xaf", ".csv"):
        files = [r for r in whole[0].values() if r["source_file"].endswith(suffix)]
        assert files and all(r["rows_landed"] > 300 for r in files)  # each in several batches
    labels = [
        v.label
        for path in LandingStore(Paths(data_raw, tmp_path / "batches")).kept_validations()
        for v in pickle.loads(path.read_bytes())
    ]
    for suffix in (".xaf", ".csv"):  # one validation per batch, for the Data Docs
        assert any(f"{suffix}_rows-" in label for label in labels)


def test_chunks_keep_one_kind_and_year_and_put_the_largest_first():
    deliveries = [delivery_from_path(p, DEMO / "deliveries") for p in DEMO.glob("deliveries/*/*/*")]
    deliveries = [d for d in deliveries if d.kind in KINDS]
    chunks = parallel.plan_chunks(
        [(d, CheckOptions()) for d in deliveries], chunk_bytes=200_000, chunk_deliveries=5
    )

    assert sorted(d.key for chunk in chunks for d, _ in chunk) == sorted(d.key for d in deliveries)
    for chunk in chunks:
        assert len({(d.kind, d.fiscal_year) for d, _ in chunk}) == 1
        sizes = [d.path.stat().st_size for d, _ in chunk]
        assert len(chunk) == 1 or sum(sizes) <= 200_000
        assert len(chunk) <= 5
    totals = [sum(d.path.stat().st_size for d, _ in chunk) for chunk in chunks]
    assert totals == sorted(totals, reverse=True)


def test_a_broken_delivery_in_a_worker_is_a_load_result_not_a_crash(
    data_raw: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    data_raw = shutil.copytree(data_raw, tmp_path / "data_raw")
    broken = next(data_raw.glob("deliveries/*/2024/ledger.csv"))
    broken.write_bytes(b"\x00\x01 not a ledger \xff\n")

    results = ingest_kind(Paths(data_raw, tmp_path / "warehouse"), "ledger", workers=2)

    [result] = [
        r
        for r in results
        if r.source_file.endswith(str(broken.relative_to(data_raw / "deliveries")))
    ]
    assert result.status == "rejected"
    assert result.message
    assert sum(r.status != "rejected" for r in results) == len(results) - 1


WORKERS_ONLY = """
import sys
from pathlib import Path
from pipelines.ingest import streamed
from pipelines.ingest import workers as parallel
from pipelines.ingest.deliveries import ingest_kind
from pipelines.settings import Paths

paths = Paths(Path(sys.argv[1]), Path(sys.argv[2]))
parallel.start_workers_early()
results = ingest_kind(paths, "ledger", workers=2, only={("GM0363", 2024)})
index = parallel.build_data_docs(paths)
print(len(results), results[0].status, index.exists(), "great_expectations" in sys.modules)
"""


def test_with_the_workers_started_early_this_process_never_imports_gx(data_raw, tmp_path):
    """A re-delivery of one file is checked, and its Data Docs rendered, in a worker forked from
    the server that imported GX while the definitions loaded."""
    completed = subprocess.run(
        [sys.executable, "-c", WORKERS_ONLY, str(data_raw), str(tmp_path / "warehouse")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["1", "accepted", "True", "False"]
    assert (tmp_path / "warehouse" / "landing" / "ledger" / "GM0363_2024_ledger.parquet").exists()


def burn_cpu() -> float:
    """In a worker: half a second of CPU, and the CPU time this process used."""
    import hashlib
    import time

    while time.process_time() < 0.5:
        hashlib.sha256(b"x" * 4096).digest()
    return time.process_time()


WORKER_CPU = """
import atexit, resource, sys, time
from concurrent.futures import ProcessPoolExecutor
from pipelines.ingest import workers

workers.start_workers_early()
with ProcessPoolExecutor(1, mp_context=workers.worker_context()) as pool:
    worker = pool.submit(__import__("tests.test_parallel_ingest").test_parallel_ingest.burn_cpu)
    print(worker.result())
# runs before the server is stopped (atexit runs the last registered first)
atexit.register(lambda: print(time.process_time(), flush=True))
"""


def test_the_workers_cpu_time_counts_as_the_runs_children(tmp_path):
    """`time` and `make bench` see the CPU of the checking workers only if the run waits for the
    server they forked from: multiprocessing's forkserver has no public way to stop it, only the
    method CPython's own tests use. This fails when that method goes or stops waiting."""
    from multiprocessing import forkserver

    assert callable(forkserver._forkserver._stop)
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_CPU], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    worker_cpu, own_cpu = (float(line) for line in process.stdout.read().split())
    assert os.waitstatus_to_exitcode(status) == 0
    assert worker_cpu >= 0.5
    assert usage.ru_utime + usage.ru_stime >= own_cpu + worker_cpu


WORKERS_STOPPED = """
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from pipelines.ingest import workers

workers.start_workers_early()
server = forkserver._forkserver._forkserver_pid
workers.stop_workers()
print(server is not None, os.path.exists(f"/proc/{server}"), workers._server_started())
with ProcessPoolExecutor(1, mp_context=workers.worker_context()) as pool:  # started again
    print(pool.submit(os.getpid).result() != os.getpid())
"""


def test_the_workers_are_stopped_when_nothing_more_is_checked_and_start_again_when_needed():
    """The load-results step stops the server, so dbt and the publish do not share the machine's
    memory with its imports; a later run in the same process (the Dagster UI) starts it again."""
    completed = subprocess.run(
        [sys.executable, "-c", WORKERS_STOPPED],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "False", "False", "True"]


FRESH_PROCESSES = """
import os
from pipelines.ingest import workers
from probe import pid_of

workers.start_workers_early()
pids = list(workers.each_in_a_fresh_process(pid_of, list(range(7)), 2))
print(len(pids), len(set(pids)), os.getpid() in pids)
"""


def test_every_chunk_is_checked_in_a_process_of_its_own(tmp_path):
    """A worker that checked many chunks kept what it had grown to (1.5 GB at ten years kept,
    where one chunk needs 0.6), so none outlives its chunk: seven items, seven processes."""
    (tmp_path / "probe.py").write_text("import os\n\n\ndef pid_of(_):\n    return os.getpid()\n")
    completed = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESSES],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["7", "7", "False"]
