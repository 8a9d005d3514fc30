"""A night with nothing new starts no run: `ictbench run` compares what the last finished run was made
from and left behind with what is there now, and when nothing differs it prints the published
benchmark and the refusals that still stand, with the exit code they earn."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli.exit_codes import ExitCode
from pipelines.publish import up_to_date
from pipelines.settings import Paths
from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
NO_RUN = "no run was started"


def ictbench(*arguments: str, **env: str) -> subprocess.CompletedProcess:
    inherited = {name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"}
    return subprocess.run(
        [str(Path(sys.executable).with_name("ictbench")), *arguments],
        cwd=REPO,
        env={**inherited, "COLUMNS": "100", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def runs_in(warehouse: Path) -> int:
    with dg.DagsterInstance.from_config(str(warehouse / "dagster")) as instance:
        return len(instance.get_run_records())


def later(path: Path) -> None:
    """Touch a file as a re-delivery of the same bytes would: a later modification time."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def drop_zone(tmp_path: Path) -> Path:
    """The hand-computed deliveries and one file outside a fiscal-year folder, refused."""
    data_raw = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    ledger = data_raw / "deliveries" / "GM0363" / "2024" / "ledger.csv"
    shutil.copy(ledger, ledger.parents[1] / "ledger.csv")
    return data_raw


def test_a_night_with_nothing_new_starts_no_run_and_repeats_what_still_stands(
    drop_zone: Path, tmp_path: Path, dbt_manifest
):
    warehouse = tmp_path / "warehouse"
    folders = ("--data-raw", str(drop_zone), "--warehouse", str(warehouse))
    first = ictbench("run", *folders)
    assert first.returncode == ExitCode.WITH_REFUSALS, first.stdout + first.stderr
    assert "Published" in first.stdout
    published = (warehouse / "benchmark.duckdb").stat()

    quiet = ictbench("run", *folders)
    assert quiet.returncode == ExitCode.WITH_REFUSALS, quiet.stdout + quiet.stderr
    assert NO_RUN in quiet.stdout
    assert (
        "rejected: GM0363/ledger.csv: 'ledger.csv' lies in the municipality folder" in quiet.stdout
    )
    assert "GM0363" in quiet.stdout.split("Nothing changed")[0]  # the benchmark, printed again
    assert runs_in(warehouse) == 1
    assert (warehouse / "benchmark.duckdb").stat().st_mtime_ns == published.st_mtime_ns

    # the same bytes delivered again: the run goes ahead and finds nothing to publish
    later(drop_zone / "deliveries" / "GM0088" / "2024" / "ledger.csv")
    again = ictbench("run", *folders)
    assert again.returncode == ExitCode.WITH_REFUSALS, again.stdout + again.stderr
    assert NO_RUN not in again.stdout
    assert runs_in(warehouse) == 2

    # --full always runs (a rollback, a published file changed by hand: the unit test below)
    full = ictbench("run", "--full", *folders)
    assert NO_RUN not in full.stdout and "Published" in full.stdout
    assert runs_in(warehouse) == 3


def test_each_thing_a_run_reads_or_leaves_is_in_the_comparison(tmp_path: Path, monkeypatch):
    paths = Paths(data_raw=tmp_path / "data_raw", warehouse=tmp_path / "warehouse")
    delivered = paths.deliveries / "GM0363" / "2024" / "ledger.csv"
    reference = paths.reference / "gemeenten.csv"
    landed = paths.landing / "ledger" / "GM0363_2024.parquet"
    for path in (delivered, reference, landed, paths.build_db, paths.published_db):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    monkeypatch.setenv("ICTBENCH_PSEUDONYM_KEY_FILE", str(tmp_path / "key"))
    inputs = up_to_date.inputs_fingerprint(paths)
    up_to_date.remember(
        paths, inputs, "run-1", [{"source_file": "a", "status": "rejected", "message": "m"}]
    )
    last = up_to_date.unchanged_since_last_run(paths, inputs)
    assert last is not None and last.run_id == "run-1" and last.problems[0]["status"] == "rejected"

    def unchanged() -> bool:
        return (
            up_to_date.unchanged_since_last_run(paths, up_to_date.inputs_fingerprint(paths))
            is not None
        )

    for path in (delivered, reference, landed, paths.build_db, paths.published_db):
        later(path)
        assert not unchanged(), f"{path.name} touched, the comparison did not see it"
        up_to_date.remember(paths, up_to_date.inputs_fingerprint(paths), "run", [])
        assert unchanged()

    (delivered.parent / "assets.csv").write_text("y", encoding="utf-8")  # a new delivery
    assert not unchanged()
    up_to_date.remember(paths, up_to_date.inputs_fingerprint(paths), "run", [])
    monkeypatch.setenv("ICTBENCH_DUCKDB_MEMORY_LIMIT", "2GB")  # changes no figure
    monkeypatch.setenv("ICTBENCH_SUPERVISED", "1")  # nor does the supervisor's mark
    assert unchanged()
    monkeypatch.setenv("ICTBENCH_PSEUDONYM_KEY", "another key")  # changes every pseudonym
    assert not unchanged()
    up_to_date.remember(paths, up_to_date.inputs_fingerprint(paths), "run", [])
    (paths.quarantine / "x.parquet").parent.mkdir(parents=True)
    (paths.quarantine / "x.parquet").write_text("q", encoding="utf-8")  # left by a UI run
    assert not unchanged()

    up_to_date.remember(paths, up_to_date.inputs_fingerprint(paths), "run", [])
    up_to_date.forget(paths)  # what a run does before it starts
    assert not unchanged()
