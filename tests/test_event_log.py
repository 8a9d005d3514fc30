"""The instance's sqlite run history: no fsync per event, and asset events stored in batches."""

import sqlite3
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.storage.event_log import SqliteEventLogStorage

from pipelines.cli.status import _last_run
from pipelines.run_history.event_log import BatchedSqliteEventLogStorage, configure_event_log
from pipelines.run_history.instance import ensure_dagster_home
from pipelines.settings import REPO_ROOT

REGIONS = dg.StaticPartitionsDefinition(["north", "east", "south", "west"])


def synchronous(database: Path) -> int:
    with sa.create_engine(f"sqlite:///{database}").connect() as connection:
        return connection.exec_driver_sql("PRAGMA synchronous").scalar()


def test_only_the_dagster_home_storage_skips_fsync(tmp_path: Path, monkeypatch):
    home = tmp_path / "dagster_home"
    (home / "history").mkdir(parents=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    configure_event_log()
    configure_event_log()  # idempotent

    assert synchronous(home / "history" / "runs.db") == 0  # OFF
    assert synchronous(tmp_path / "elsewhere.db") == 2  # FULL, sqlite's default


@dg.asset(partitions_def=REGIONS, backfill_policy=dg.BackfillPolicy.single_run())
def deliveries(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"regions": len(context.partition_keys)})


@dg.asset(deps=[deliveries])
def summary() -> None:
    pass


@dg.asset_check(asset=summary)
def summary_is_fine() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.define_asset_job("regions")
DEFS = dg.Definitions(assets=[deliveries, summary], asset_checks=[summary_is_fine], jobs=[JOB])


def run_all_regions(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return DEFS.resolve_job_def("regions").execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "north",
            "dagster/asset_partition_range_end": "west",
        },
    )


def table_rows(database: Path) -> dict[str, list[tuple]]:
    """Every row, without the columns that say when a row or the database itself was made."""
    with sqlite3.connect(database) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        rows = {}
        for (table,) in tables:
            if table == "secondary_indexes":
                continue
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(f'"{column}"' for column in columns if column != "create_timestamp")
            rows[table] = connection.execute(f"SELECT {kept} FROM {table}").fetchall()
        return rows


def test_a_batch_stores_exactly_what_storing_one_event_at_a_time_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    with dg.instance_for_test() as instance:
        run = run_all_regions(instance)
        entries = instance.all_logs(run.run_id)
    assert (
        sum(
            1
            for entry in entries
            if entry.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        )
        == 5
    )

    assert any(
        entry.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        for entry in entries
    )

    dagsters = SqliteEventLogStorage(str(tmp_path / "dagsters"))
    for entry in entries:
        dagsters.store_event(entry)
    one_by_one = BatchedSqliteEventLogStorage(str(tmp_path / "one_by_one"))
    for entry in entries:
        one_by_one.store_event(entry)
    batched = BatchedSqliteEventLogStorage(str(tmp_path / "batched"))
    batched.store_event_batch(entries)

    for shard in (run.run_id, "index"):
        expected = table_rows(tmp_path / "dagsters" / f"{shard}.db")
        assert expected["event_logs"]
        assert table_rows(tmp_path / "one_by_one" / f"{shard}.db") == expected
        assert table_rows(tmp_path / "batched" / f"{shard}.db") == expected
    assert table_rows(tmp_path / "dagsters" / "index.db")["asset_check_executions"]


def test_a_batch_that_fails_halfway_leaves_nothing_of_itself(tmp_path, monkeypatch):
    """Dagster stores a failed batch again one event at a time: a half-written one would be
    stored twice."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    with dg.instance_for_test() as instance:
        run = run_all_regions(instance)
        entries = instance.all_logs(run.run_id)
    storage = BatchedSqliteEventLogStorage(str(tmp_path / "batched"))
    storage.store_event(entries[0])
    original = BatchedSqliteEventLogStorage.prepare_insert_event
    prepared = []

    def fail_on_the_last(self, entry):
        prepared.append(entry)
        if len(prepared) == len(entries):
            raise RuntimeError("disk full")
        return original(self, entry)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "prepare_insert_event", fail_on_the_last)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.store_event_batch([*entries[1:], entries[0]])

    for shard in (run.run_id, "index"):
        rows = table_rows(tmp_path / "batched" / f"{shard}.db")
        assert len(rows["event_logs"]) == 1
    assert table_rows(tmp_path / "batched" / "index.db")["asset_check_executions"] == []


def test_dagsters_own_sqlite_storage_still_writes_a_batch_one_event_at_a_time():
    """The reason the subclass exists: the day Dagster's sqlite storage writes batches itself,
    this fails and the subclass can go."""
    from dagster._core.storage.event_log.base import EventLogStorage

    assert SqliteEventLogStorage.store_event_batch is EventLogStorage.store_event_batch


def test_the_local_instance_batches_partition_materialisations(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    ensure_dagster_home()
    configure_event_log()
    stored_batches = []
    original = BatchedSqliteEventLogStorage.store_event_batch

    def store_event_batch(self, events):
        materialised = dg.DagsterEventType.ASSET_MATERIALIZATION
        stored_batches.append(sum(1 for e in events if e.dagster_event_type == materialised))
        original(self, events)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "store_event_batch", store_event_batch)

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
        assert run_all_regions(instance).success
        assert instance.get_materialized_partitions(deliveries.key) == set(
            REGIONS.get_partition_keys()
        )
        latest = instance.get_latest_materialization_event(summary.key)
        assert latest is not None and latest.run_id
    assert (home / "history" / "runs" / "index.db").exists()
    assert 4 in stored_batches  # the four regions' materialisations in one batch


def test_the_instance_opens_from_its_folder_alone(tmp_path, monkeypatch):
    """`ictbench status` reads the run history without DAGSTER_HOME set."""
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        DEFS.resolve_job_def("regions").execute_in_process(
            instance=instance,
            partition_key="north",
            tags={"ictbench/writes": "warehouse"},
        )
    monkeypatch.delenv("DAGSTER_HOME")

    assert _last_run(home).startswith("success, started")
    # a dagster.yaml copied as it is still works where DAGSTER_HOME is set (`make dev`, the UI test)
    (home / "dagster.yaml").write_text(
        (REPO_ROOT / "pipelines" / "run_history" / "dagster_instance.yaml").read_text()
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert _last_run(home).startswith("success, started")
