"""The run history on PostgreSQL: a warehouse whose instance folder holds
docs/examples/dagster-postgres.yaml keeps its runs, their events, its partitions and its sensor
state in a real PostgreSQL server, and `ictbench run`, `ictbench status` and the deliveries sensor
work against it as against the local sqlite instance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.cli.exit_codes import ExitCode
from pipelines.defs.ingest.sensors import deliveries_sensor
from pipelines.defs.resources import build_resources
from pipelines.run_history.instance import WAREHOUSE_TAG, ensure_dagster_home
from pipelines.settings import REPO_ROOT, Paths
from tests.conftest import FIXTURES
from tests.postgres_server import PostgresServer, running_postgres, unavailable_reason

pytestmark = pytest.mark.postgres

EXAMPLE = REPO_ROOT / "docs" / "examples" / "dagster-postgres.yaml"
LOCAL_TEMPLATE = REPO_ROOT / "pipelines" / "run_history" / "dagster_instance.yaml"
DATABASE = "ictbench_dagster"


@pytest.fixture(scope="module")
def postgres() -> PostgresServer:
    if reason := unavailable_reason():
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


def ictbench(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The `ictbench` command as a person runs it: no DAGSTER_HOME, so the warehouse's own
    instance; the database's credentials in the environment."""
    environment = {name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"}
    return subprocess.run(
        [str(Path(sys.executable).with_name("ictbench")), *arguments],
        cwd=REPO_ROOT,
        env={**environment, **env, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def warehouse(postgres, tmp_path_factory, dbt_manifest) -> Paths:
    """The hand-computed drop zone run once by `ictbench run`, its instance on PostgreSQL."""
    folder = tmp_path_factory.mktemp("on_postgres")
    paths = Paths(folder / "data_raw", folder / "warehouse")
    shutil.copytree(FIXTURES / "handcomputed", paths.data_raw)
    paths.dagster_home.mkdir(parents=True)
    shutil.copy(EXAMPLE, paths.dagster_home / "dagster.yaml")
    postgres.create_database(DATABASE)
    run = ictbench(
        "run",
        "--data-raw",
        str(paths.data_raw),
        "--warehouse",
        str(paths.warehouse),
        env=postgres.dagster_env(DATABASE),
    )
    assert run.returncode == ExitCode.ACCEPTED, run.stdout + run.stderr
    return paths


@pytest.fixture
def instance(postgres, warehouse, monkeypatch) -> dg.DagsterInstance:
    for name, value in postgres.dagster_env(DATABASE).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        yield instance


def query(postgres: PostgresServer, sql: str, *parameters) -> list[tuple]:
    connection = postgres.connect(DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall()
    finally:
        connection.close()


def test_the_example_differs_from_the_local_instance_only_in_its_storage():
    local = yaml.safe_load(LOCAL_TEMPLATE.read_text())
    example = yaml.safe_load(EXAMPLE.read_text())
    assert local.pop("event_log_storage")["class"] == "BatchedSqliteEventLogStorage"
    assert set(example.pop("storage")) == {"postgres"}
    assert example == local


def test_ictbench_keeps_a_dagster_yaml_it_did_not_write(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")
    ensure_dagster_home(paths)
    written = (paths.dagster_home / "dagster.yaml").read_text()
    assert "BatchedSqliteEventLogStorage" in written
    shutil.copy(EXAMPLE, paths.dagster_home / "dagster.yaml")
    ensure_dagster_home(paths)
    assert (paths.dagster_home / "dagster.yaml").read_text() == EXAMPLE.read_text()
    # its own file it writes again, so a new ictbench's template reaches old warehouses
    (paths.dagster_home / "dagster.yaml").write_text(written.replace("limit: 1", "limit: 2"))
    ensure_dagster_home(paths)
    assert (paths.dagster_home / "dagster.yaml").read_text() == written


def test_the_run_and_its_events_are_in_postgresql(postgres, warehouse):
    # the instance file was used as it is, and no sqlite run history was made beside it
    assert (warehouse.dagster_home / "dagster.yaml").read_text() == EXAMPLE.read_text()
    assert not [path for path in warehouse.dagster_home.rglob("*") if path.suffix == ".db"]
    [(run_id, status, job_name)] = query(postgres, "select run_id, status, pipeline_name from runs")
    assert status == "SUCCESS"
    assert job_name == "benchmark"
    tags = dict(query(postgres, "select key, value from run_tags where run_id = %s", run_id))
    assert tags[WAREHOUSE_TAG] == str(warehouse.warehouse)
    events = dict(
        query(
            postgres,
            "select dagster_event_type, count(*) from event_logs where run_id = %s group by 1",
            run_id,
        )
    )
    assert events[dg.DagsterEventType.RUN_SUCCESS.value] == 1
    assert events[dg.DagsterEventType.ASSET_CHECK_EVALUATION.value] > 0
    materialised = {
        (json.loads(asset_key)[-1], partition)
        for asset_key, partition in query(
            postgres,
            "select asset_key, partition from event_logs "
            "where run_id = %s and dagster_event_type = 'ASSET_MATERIALIZATION'",
            run_id,
        )
    }
    assert {("ledger_deliveries", "GM0088-2024"), ("ledger_deliveries", "GM0363-2024")} <= (
        materialised
    )
    assert ("published_benchmark", None) in materialised
    assert query(postgres, "select partition from dynamic_partitions order by 1") == [
        ("GM0088-2024",),
        ("GM0363-2024",),
    ]


def test_the_instance_api_reads_the_same_run(instance, warehouse):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    [record] = instance.get_run_records(
        filters=dg.RunsFilter(tags={WAREHOUSE_TAG: str(warehouse.warehouse)})
    )
    assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    published = instance.get_latest_materialization_event(dg.AssetKey("published_benchmark"))
    assert published is not None and published.run_id == record.dagster_run.run_id


def test_status_reads_the_last_run_from_postgresql(postgres, warehouse):
    status = ictbench(
        "status", "--warehouse", str(warehouse.warehouse), env=postgres.dagster_env(DATABASE)
    )
    [(run_id,)] = query(postgres, "select run_id from runs")
    assert "success, started" in status.stdout, status.stdout + status.stderr
    assert f"(run {run_id[:8]})" in status.stdout


def test_the_sensor_is_switched_on_and_ticks_against_the_postgresql_instance(
    postgres, instance, warehouse
):
    # what the UI's switch under Automation writes: the sensor's state, in the schedule storage
    switch_on = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "sensor", "start", "deliveries_sensor"],
        cwd=REPO_ROOT,  # pyproject.toml names the code location
        env={
            **os.environ,
            **postgres.dagster_env(DATABASE),
            "DAGSTER_HOME": str(warehouse.dagster_home),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert switch_on.returncode == 0, switch_on.stdout + switch_on.stderr
    [state] = instance.all_instigator_state()
    assert (state.name, state.status.value) == ("deliveries_sensor", "RUNNING")
    assert query(postgres, "select status, instigator_type from instigators") == [
        ("RUNNING", "SENSOR")
    ]

    def tick(cursor: str | None):
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={"warehouse": build_resources(warehouse)["warehouse"]},
        )
        return deliveries_sensor(context)

    first = tick(None)
    [request] = first.run_requests
    assert (request.partition_key_range.start, request.partition_key_range.end) == (
        "GM0088-2024",
        "GM0363-2024",
    )
    # the partitions `ictbench run` registered in PostgreSQL are known: none to add
    assert not first.dynamic_partitions_requests
    assert isinstance(tick(first.cursor), dg.SkipReason)
