"""What `ictbench run` tells a person and a scheduler: the deliveries it did not take whole, an exit
code per outcome, the cause of a failure in one line, and each warehouse's own run history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli.exit_codes import ExitCode
from pipelines.cli.failures import root_message
from pipelines.cli.preflight import drop_zone_problem, reference_problem
from pipelines.cli.run_summary import Problem, RunSummary, problems
from pipelines.run_history.instance import PROCESS_TAG
from pipelines.run_history.interrupted import mark_interrupted
from pipelines.settings import Paths
from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]


def ictbench(*arguments: str) -> subprocess.CompletedProcess:
    """The `ictbench` command as a person runs it: no DAGSTER_HOME, so the warehouse's own
    instance."""
    env = {name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"}
    return subprocess.run(
        [str(Path(sys.executable).with_name("ictbench")), *arguments],
        cwd=REPO,
        env={**env, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def two_warehouses(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Warehouse `refused` from a drop zone with one file outside a fiscal-year folder,
    warehouse `clean` from the same drop zone without it."""
    runs = {}
    for name in ("refused", "clean"):
        folder = tmp_path_factory.mktemp(name)
        data_raw = folder / "data_raw"
        shutil.copytree(FIXTURES / "handcomputed", data_raw)
        if name == "refused":
            ledger = data_raw / "deliveries" / "GM0363" / "2024" / "ledger.csv"
            shutil.copy(ledger, ledger.parents[1] / "ledger.csv")
        warehouse = folder / "warehouse"
        runs[name] = (
            warehouse,
            ictbench("run", "--data-raw", str(data_raw), "--warehouse", str(warehouse)),
        )
    return runs


def test_a_run_with_a_refused_file_publishes_says_why_and_exits_3(two_warehouses, dbt_manifest):
    warehouse, run = two_warehouses["refused"]
    assert run.returncode == ExitCode.WITH_REFUSALS, run.stdout + run.stderr
    out = run.stdout
    assert "Published" in out
    assert "1 delivery was not taken whole:" in out
    assert "rejected: GM0363/ledger.csv: 'ledger.csv' lies in the municipality folder" in out
    assert "deliveries" not in out.split("not taken whole:")[1].split("See")[0]
    assert f"See `ictbench status --warehouse {warehouse}`" in out
    assert out.rstrip().endswith("quarantined rows.")
    assert "dbt=" not in out + run.stderr  # dbt's log went to its file


def test_a_run_with_every_delivery_accepted_exits_0(two_warehouses, dbt_manifest):
    _, run = two_warehouses["clean"]
    assert run.returncode == ExitCode.ACCEPTED, run.stdout + run.stderr
    assert "not taken whole" not in run.stdout


def test_the_summary_read_from_the_load_results_table_is_the_one_from_the_files(two_warehouses):
    """After a run that wrote the load results' table, the summary reads that one file instead of
    every load result; it lists the same deliveries, reasons and order."""
    warehouse, _ = two_warehouses["refused"]
    paths = Paths(warehouse.parent / "data_raw", warehouse)
    from_files = problems(paths)
    assert [p.source_file for p in from_files] == ["GM0363/ledger.csv"]
    assert problems(paths, table_is_current=True) == from_files


def test_each_warehouse_has_its_own_run_history(two_warehouses, dbt_manifest):
    ids = {}
    for name, (warehouse, _) in two_warehouses.items():
        home = warehouse / "dagster"
        with dg.DagsterInstance.from_config(str(home)) as instance:
            records = instance.get_run_records()
        assert len(records) == 1
        ids[name] = records[0].dagster_run.run_id
        assert records[0].dagster_run.tags["ictbench/warehouse"] == str(warehouse)
        status = ictbench("status", "--warehouse", str(warehouse))
        assert f"(run {ids[name][:8]})" in status.stdout
    assert ids["refused"] != ids["clean"]


def test_a_missing_reference_file_is_one_line_naming_it(tmp_path: Path):
    data_raw = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    (data_raw / "reference" / "gemeenten.csv").unlink()
    run = ictbench("run", "--data-raw", str(data_raw), "--warehouse", str(tmp_path / "wh"))
    assert run.returncode == ExitCode.USAGE
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "reference/gemeenten.csv is missing" in lines[0]
    assert "Traceback" not in lines[0]


def test_a_mistyped_drop_zone_gets_advice_that_fits(tmp_path: Path):
    (tmp_path / "data_raw" / "deliveries" / "GM0363").mkdir(parents=True)

    def problem(folder: Path) -> str:
        return drop_zone_problem(Paths(folder, tmp_path / "wh"), given=True) or ""

    assert problem(tmp_path / "data_raw") == ""
    assert "Did you mean --data-raw" in problem(tmp_path / "data_rwa")
    assert "data_raw" in problem(tmp_path / "data_rwa").split("Did you mean")[1]
    assert "pass its parent" in problem(tmp_path / "data_raw" / "deliveries")
    for text in (problem(tmp_path / "data_rwa"), problem(tmp_path / "data_raw" / "deliveries")):
        assert "demo-data" not in text
    (tmp_path / "data_raw" / "reference").mkdir()
    (tmp_path / "data_raw" / "reference" / "gemeenten.csv").write_text("")
    assert "bevolking.csv is missing" in reference_problem(Paths(tmp_path / "data_raw", tmp_path))


def test_the_innermost_cause_is_the_line_shown():
    from dagster._utils.error import SerializableErrorInfo  # what Dagster's events carry

    cause = SerializableErrorInfo(
        "pipelines.contract.errors.UnreadableFile: x/reference/gemeenten.csv: missing\n",
        [],
        "UnreadableFile",
    )
    wrapped = SerializableErrorInfo(
        'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "reference_data"::\n',
        [],
        "DagsterExecutionStepExecutionError",
        cause=cause,
    )
    assert root_message(wrapped) == "x/reference/gemeenten.csv: missing"


def test_exit_codes_tell_the_three_outcomes_apart():
    refused = [Problem("GM0363/2024/ledger.csv", "partially_accepted", "12 rows quarantined\nmore")]
    assert RunSummary(published=True).exit_code == ExitCode.ACCEPTED
    assert RunSummary(published=True, problems=refused).exit_code == ExitCode.WITH_REFUSALS
    assert RunSummary(published=False, problems=refused).exit_code == ExitCode.NOT_PUBLISHED
    lines = RunSummary(published=True, problems=refused * 12).lines()
    assert lines[1] == "  partially accepted: GM0363/2024/ledger.csv: 12 rows quarantined"
    assert "  and 2 more" in lines


def test_a_run_whose_process_is_gone_is_marked_interrupted():
    @dg.op
    def nothing() -> None:
        pass

    @dg.job
    def job() -> None:
        nothing()

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with dg.DagsterInstance.ephemeral() as instance:
        stopped = instance.create_run_for_job(
            job, status=dg.DagsterRunStatus.STARTED, tags={PROCESS_TAG: str(gone.pid)}
        )
        running = instance.create_run_for_job(
            job, status=dg.DagsterRunStatus.STARTED, tags={PROCESS_TAG: str(os.getpid())}
        )
        assert mark_interrupted(instance) == [stopped.run_id]
        assert instance.get_run_by_id(stopped.run_id).status == dg.DagsterRunStatus.CANCELED
        assert instance.get_run_by_id(running.run_id).status == dg.DagsterRunStatus.STARTED


def test_each_partition_carries_its_own_counts(two_warehouses, dbt_manifest):
    warehouse, _ = two_warehouses["clean"]
    with dg.DagsterInstance.from_config(str(warehouse / "dagster")) as instance:
        for code in ("GM0363", "GM0088"):
            [record] = instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=dg.AssetKey("ledger_deliveries"), asset_partitions=[f"{code}-2024"]
                ),
                limit=1,
            ).records
            metadata = record.asset_materialization.metadata
            result = json.loads(
                (warehouse / "load_results" / "ledger" / f"{code}_2024_ledger.json").read_text()
            )
            assert metadata["rows_landed"].value == result["rows_landed"]
            assert metadata["deliveries_accepted"].value == 1
