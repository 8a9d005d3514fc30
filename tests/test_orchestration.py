"""Partitions, the deliveries sensor, the schedule, the UI's view of it all, and safe publishing."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.cli.runner import run_benchmark_job
from pipelines.defs.ingest.sensors import deliveries_sensor
from pipelines.defs.resources import build_resources
from pipelines.publish.publish import publish, rollback
from pipelines.settings import REPO_ROOT, Paths
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

CHECKSUM_SQL = """
select table_name, (select count(*) from query_table(table_name)),
       (select bit_xor(hash(t)) from query_table(table_name) as t)
from duckdb_tables() order by table_name
"""


def default_signals() -> None:
    """In a child process: the default SIGINT and SIGTERM handling, whatever the parent ignores."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def checksums(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        tables = [r[0] for r in connection.execute("show tables").fetchall()]
        return [
            (
                table,
                *connection.execute(
                    f'select count(*), bit_xor(hash(t)) from "{table}" as t'
                ).fetchone(),
            )
            for table in tables
        ]


@pytest.fixture
def drop_zone(tmp_path) -> Paths:
    shutil.copytree(FIXTURES / "handcomputed", tmp_path / "data_raw")
    return Paths(tmp_path / "data_raw", tmp_path / "warehouse")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_ui_shows_assets_checks_schedule_and_sensor(tmp_path, dbt_manifest):
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        (REPO_ROOT / "pipelines" / "run_history" / "dagster_instance.yaml").read_text()
    )
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-m",
            "pipelines.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # a background server inherits an ignored SIGINT; give it the default handlers back
        preexec_fn=default_signals,
    )
    try:
        data = graphql(port, QUERY, timeout=120)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    nodes = data["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {
        "ledger_deliveries",
        "asset_registers",
        "training_records",
        "ict_benchmark",
        "published_benchmark",
    } <= keys
    checks = {
        (("/".join(n["assetKey"]["path"])), c["name"])
        for n in nodes
        for c in n["assetChecksOrError"].get("checks", [])
    }
    assert ("ledger_deliveries", "deliveries_meet_contract") in checks
    assert ("ledger_deliveries", "accounting_closes") in checks
    partitioned = {"/".join(n["assetKey"]["path"]) for n in nodes if n["isPartitioned"]}
    assert partitioned == {
        "ledger_deliveries",
        "asset_registers",
        "training_records",
        "application_portfolios",
    }
    repository = data["repositoriesOrError"]["nodes"][0]
    assert [s["name"] for s in repository["schedules"]] == ["nightly_benchmark"]
    assert repository["schedules"][0]["cronSchedule"] == "0 2 * * *"
    assert repository["schedules"][0]["executionTimezone"] == "Europe/Amsterdam"
    assert [s["name"] for s in repository["sensors"]] == ["deliveries_sensor"]


QUERY = """
{
  assetNodes { assetKey { path } isPartitioned
    assetChecksOrError { ... on AssetChecks { checks { name } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule executionTimezone }
    sensors { name } } } }
}
"""


def graphql(port: int, query: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    body = json.dumps({"query": query}).encode()
    while True:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())["data"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def evaluate_sensor(instance, paths: Paths, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"warehouse": build_resources(paths)["warehouse"]},
    )
    return deliveries_sensor(context)


def run_request(instance, paths: Paths, request: dg.RunRequest):
    from pipelines.definitions import defs

    return defs.resolve_job_def("benchmark").execute_in_process(
        resources=build_resources(paths),
        instance=instance,
        tags=request.tags,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )


def test_a_redelivery_reingests_exactly_its_partition_and_republishes(drop_zone, dbt_manifest):
    instance = dg.DagsterInstance.ephemeral()
    first = evaluate_sensor(instance, drop_zone, None)
    assert sorted(p for r in first.dynamic_partitions_requests for p in r.partition_keys) == [
        "GM0088-2024",
        "GM0363-2024",
    ]
    for request in first.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    [request] = first.run_requests
    assert run_request(instance, drop_zone, request).success
    published = drop_zone.published_db
    before = checksums(published)
    exported_before = exported_line_files(drop_zone)
    untouched = drop_zone.landing / "ledger" / "GM0088_2024_ledger.parquet"
    untouched_mtime = untouched.stat().st_mtime_ns

    quiet = evaluate_sensor(instance, drop_zone, first.cursor)
    assert isinstance(quiet, dg.SkipReason)

    ledger = drop_zone.deliveries / "GM0363" / "2024" / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"10.000,00", b"12.000,00"))
    changed = evaluate_sensor(instance, drop_zone, first.cursor)
    [request] = changed.run_requests
    assert request.partition_key_range.start == request.partition_key_range.end == "GM0363-2024"
    result = run_request(instance, drop_zone, request)
    assert result.success
    materialised = {
        (e.asset_key.to_user_string(), e.partition)
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.partition
    }
    assert ("ledger_deliveries", "GM0363-2024") in materialised
    assert all(partition == "GM0363-2024" for _, partition in materialised)
    assert untouched.stat().st_mtime_ns == untouched_mtime
    assert checksums(published) != before
    with duckdb.connect(str(published), read_only=True) as connection:
        licences = connection.execute(
            "select software_licences_per_inhabitant from ict_benchmark where municipality_code = 'GM0363'"
        ).fetchone()[0]
    assert float(licences) == 12.00
    # the copy of the published file the run started with was taken by publishing
    assert list(drop_zone.warehouse.glob(".benchmark.duckdb.*")) == []
    # the line export rewrote the re-delivered municipality-year's file and kept the other one
    exported_after = exported_line_files(drop_zone)
    assert exported_after.keys() == exported_before.keys() == {"GM0088_2024", "GM0363_2024"}
    assert exported_after["GM0088_2024"] == exported_before["GM0088_2024"]
    assert exported_after["GM0363_2024"] != exported_before["GM0363_2024"]
    lines = drop_zone.warehouse / "export" / "fct_ict_cost_line"
    with duckdb.connect(str(published), read_only=True) as connection:
        assert (
            connection.execute(
                f"select municipality_code, count(*), sum(amount) "
                f"from read_parquet('{lines}/*.parquet') "
                "group by all order by all"
            ).fetchall()
            == connection.execute(
                "select municipality_code, count(*), sum(amount) from fct_ict_cost_line "
                "group by all order by all"
            ).fetchall()
        )


def exported_line_files(paths: Paths) -> dict[str, int]:
    """The inode of each municipality-year's file in the ledger-line export."""
    folder = paths.warehouse / "export" / "fct_ict_cost_line"
    return {path.stem: path.stat().st_ino for path in folder.glob("*.parquet")}


def test_publishing_keeps_three_versions_and_rolls_back(drop_zone, dbt_manifest):
    assert run_benchmark_job(drop_zone, dg.DagsterInstance.ephemeral()).success
    published = drop_zone.published_db
    history = [checksums(published)]
    for _ in range(3):  # republish three changed builds, without paying for dbt again
        with duckdb.connect(str(drop_zone.build_db)) as build:
            build.execute("update main.ict_benchmark set inhabitants = inhabitants + 1")
        publish(drop_zone.build_db, published)
        history.append(checksums(published))
    assert len({str(h) for h in history}) == 4
    versions = sorted((drop_zone.warehouse / "versions").glob("benchmark-*.duckdb"))
    assert len(versions) == 3
    exported = drop_zone.warehouse / "export" / "ict_benchmark.parquet"
    assert duckdb.sql(f"select sum(inhabitants) from '{exported}'").fetchall() == [(1500 + 2 * 3,)]
    for expected in reversed(history[:-1]):
        rollback(published)
        assert checksums(published) == expected
    assert duckdb.sql(f"select sum(inhabitants) from '{exported}'").fetchall() == [(1500,)]
    with pytest.raises(FileNotFoundError):
        rollback(published)


def test_a_failing_dbt_test_fails_the_run_before_publishing(drop_zone, dbt_manifest):
    """dbt's tests are no blocking checks in Dagster: dbt gates publishing itself, since an
    error-severity test that fails fails `dbt build`, so the dbt step."""
    instance = dg.DagsterInstance.ephemeral()
    assert run_benchmark_job(drop_zone, instance).success
    published = checksums(drop_zone.published_db)
    # a landed mapping rule without a category, as a bug in the ingest code might land it
    [landed] = (drop_zone.landing / "account_mapping").glob("GM0363_*.parquet")
    rules = pq.read_table(landed)
    category = rules.schema.get_field_index("category")
    categories = rules.column(category).to_pylist()
    categories[0] = None
    pq.write_table(
        rules.set_column(category, "category", pa.array(categories, pa.string())), landed
    )

    result = run_benchmark_job(drop_zone, instance)
    assert not result.success
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failed == ["benchmark_models"]
    checks = {
        e.event_specific_data.check_name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["not_null_stg_landing__account_mappings_category"] is False
    assert not result.asset_materializations_for_node("published_benchmark")
    assert checksums(drop_zone.published_db) == published


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    import os
    seen, errors = set(), []
    while not os.path.exists(stop):
        if not os.path.exists(path):
            continue
        try:
            with duckdb.connect(path, read_only=True) as c:
                rows = c.execute("select count(*), bit_xor(hash(t)) from ict_benchmark as t").fetchone()
                lines = c.execute("select count(*) from fct_ict_cost_line").fetchone()[0]
                seen.add((rows[0], rows[1], lines))
        except Exception as error:
            errors.append(repr(error))
        time.sleep(0.05)
    print(len(errors), errors[:3], sorted(seen, key=str))
    """
)


def test_a_reader_in_a_loop_never_fails_and_sees_whole_versions(drop_zone, tmp_path, dbt_manifest):
    instance = dg.DagsterInstance.ephemeral()
    assert run_benchmark_job(drop_zone, instance).success
    with duckdb.connect(str(drop_zone.published_db), read_only=True) as c:
        old = c.execute("select count(*), bit_xor(hash(t)) from ict_benchmark as t").fetchone()
    ledger = drop_zone.deliveries / "GM0363" / "2024" / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"10.000,00", b"12.000,00"))
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(drop_zone.published_db), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert run_benchmark_job(drop_zone, instance).success
        time.sleep(0.5)
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    with duckdb.connect(str(drop_zone.published_db), read_only=True) as c:
        new = c.execute("select count(*), bit_xor(hash(t)) from ict_benchmark as t").fetchone()
    errors = output.split(" ", 1)[0]
    assert errors == "0", output
    versions = {(rows, checksum) for rows, checksum, _ in eval(output.split(" ", 2)[2])}
    assert versions <= {tuple(old), tuple(new)}
