"""A run ingests only the partitions that changed and rebuilds only the municipality-years whose
deliveries changed, and what it publishes equals a build from scratch of the same drop zone."""

import json
import logging
import shutil
import subprocess
import sys

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
import yaml

from pipelines.cli.runner import plan_run, run_benchmark_job
from pipelines.contract.kinds import KINDS
from pipelines.defs.transform.project import dbt_project
from pipelines.publish.publish import rollback
from pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Paths
from pipelines.storage.duckdb_format import STORAGE_VERSION, storage_version
from pipelines.storage.files import read_json, write_parquet_atomic
from pipelines.transform.build_state import (
    BuildState,
    built_from,
    landed_files_digest,
    landed_sources,
    partitioned_sources,
)
from pipelines.transform.selection import built_sources, left_out, models_left_out
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow
SOURCES_YML = "models/staging/landing/_landing__sources.yml"


@pytest.fixture
def drop_zone(tmp_path) -> Paths:
    shutil.copytree(FIXTURES / "handcomputed", tmp_path / "data_raw")
    return Paths(tmp_path / "data_raw", tmp_path / "warehouse")


def mart(db) -> dict[str, list[tuple]]:
    """Every published table's rows, sorted: equal marts, equal dicts."""
    with duckdb.connect(str(db), read_only=True) as connection:
        tables = [row[0] for row in connection.execute("show tables").fetchall()]
        return {
            table: sorted(connection.execute(f'select * from "{table}"').fetchall(), key=repr)
            for table in tables
        }


def from_scratch(paths: Paths, name: str) -> dict[str, list[tuple]]:
    scratch = Paths(paths.data_raw, paths.warehouse.with_name(name))
    assert run_benchmark_job(scratch, dg.DagsterInstance.ephemeral()).success
    return mart(scratch.published_db)


def run(paths: Paths, instance, expected_partitions: list[str]) -> dg.ExecuteInProcessResult:
    plan = plan_run(paths, instance)
    assert plan.partition_keys == expected_partitions
    result = run_benchmark_job(paths, instance, plan=plan)
    assert result.success
    assert result.dagster_run.job_name == plan.job_name
    return result


BUILT_AND_PUBLISHED = {"fct_ict_cost_line", "ict_benchmark", "published_benchmark"}
REFERENCE_AND_MAPPING_VIEWS = {
    "stg_landing__inhabitants",
    "stg_landing__municipalities",
    "stg_landing__price_indices",
    "stg_landing__account_mappings",
}


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def dbt_test_keys() -> set[dg.AssetCheckKey]:
    # Imported here: the dbt assets read the manifest the dbt_manifest fixture makes.
    from pipelines.defs.transform.assets import benchmark_models

    return set(benchmark_models.check_keys)


def checks(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str | None]]:
    """Each dbt test's result in a run: passed, and the run it was carried over from (or None)."""
    found = {}
    dbt_tests = dbt_test_keys()
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.asset_check_key not in dbt_tests:
            continue
        carried = evaluation.metadata.get("result_of_run")
        key = evaluation.asset_check_key
        found[f"{key.asset_key.to_user_string()}:{key.name}"] = (
            evaluation.passed,
            carried and carried.value,
        )
    return found


def planned_tests(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> set[str]:
    planned = (
        entry.dagster_event.event_specific_data.asset_check_key
        for entry in instance.all_logs(
            result.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        )
    )
    dbt_tests = dbt_test_keys()
    return {f"{key.asset_key.to_user_string()}:{key.name}" for key in planned if key in dbt_tests}


def fct_descriptions(paths: Paths) -> dict[str, set[str]]:
    with duckdb.connect(str(paths.build_db), read_only=True) as connection:
        rows = connection.execute(
            "select municipality_code, description from main.fct_ict_cost_line"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for code, description in rows:
        found.setdefault(code, set()).add(description)
    return found


def assert_slot_digests_are_those_of_the_rows(paths: Paths) -> None:
    """The digests dbt keeps for publishing are those of fct_ict_cost_line's rows now."""
    with duckdb.connect(str(paths.build_db), read_only=True) as connection:
        kept = connection.execute(
            "select municipality_code, fiscal_year, line_count, digest "
            "from publishing.fct_ict_cost_line_slot_digests where line_count > 0 order by all"
        ).fetchall()
        rows = connection.execute(
            "select municipality_code, fiscal_year, count(*), "
            "cast(sum(hash(*columns(*))) as varchar) from main.fct_ict_cost_line "
            "group by all order by all"
        ).fetchall()
    assert kept and kept == rows


def test_each_change_runs_only_its_part_and_publishes_what_a_full_build_would(
    drop_zone, dbt_manifest, caplog
):
    instance = dg.DagsterInstance.ephemeral()
    first_run = run(drop_zone, instance, ["GM0088-2024", "GM0363-2024"])
    first = mart(drop_zone.published_db)
    tests_run = checks(first_run)
    assert tests_run and all(passed for passed, _ in tests_run.values())
    assert not any(carried for _, carried in tests_run.values())

    # nothing new: the job without delivery partitions builds and publishes nothing; the dbt
    # tests it did not run keep the state of the build whose mart is published
    with caplog.at_level(logging.WARNING):
        nothing_new = run(drop_zone, instance, [])
    assert not materialized(nothing_new) & BUILT_AND_PUBLISHED
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [message for message in warnings if "benchmark_models" in message]
    assert mart(drop_zone.published_db) == first
    assert checks(nothing_new).keys() == planned_tests(nothing_new, instance)
    assert set(checks(nothing_new).values()) == {(True, first_run.run_id)}

    # a re-delivered ledger: its partition alone, and no hardware or training model
    ledger = drop_zone.deliveries / "GM0363" / "2024" / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"10.000,00", b"12.000,00"))
    redelivery = run(drop_zone, instance, ["GM0363-2024"])
    built = materialized(redelivery)
    assert built >= BUILT_AND_PUBLISHED
    # every planned test has a state, and the tests of what was rebuilt ran again
    redelivered_checks = checks(redelivery)
    assert redelivered_checks.keys() == planned_tests(redelivery, instance)
    assert checks(redelivery)["fct_ict_cost_line:not_null_fct_ict_cost_line_municipality_code"] == (
        True,
        None,
    )
    assert not {"int_assets_aged", "fct_hardware_asset", "fct_training"} & built
    # the reference data and account mappings are landed as they were: their views stay
    assert not REFERENCE_AND_MAPPING_VIEWS & built
    assert mart(drop_zone.published_db) != first
    assert mart(drop_zone.published_db) == from_scratch(drop_zone, "scratch_ledger")
    assert_slot_digests_are_those_of_the_rows(drop_zone)

    # a changed account mapping is no partition, but reclassifies its municipality's lines
    mapping = drop_zone.deliveries / "GM0088" / "account_mapping.csv"
    mapping.write_bytes(mapping.read_bytes().replace(b"44100;;;not_ict", b"44100;;;telecom"))
    remapped = materialized(run(drop_zone, instance, []))
    assert "stg_landing__account_mappings" in remapped
    assert "stg_landing__inhabitants" not in remapped
    assert mart(drop_zone.published_db) == from_scratch(drop_zone, "scratch_mapping")
    assert_slot_digests_are_those_of_the_rows(drop_zone)

    # new CBS figures: the reference views and everything over them again
    inhabitants = drop_zone.reference / "bevolking.csv"
    inhabitants.write_bytes(
        inhabitants.read_bytes().replace(b"GM0363;2024;1000", b"GM0363;2024;1250")
    )
    recounted = materialized(run(drop_zone, instance, []))
    assert {"stg_landing__inhabitants", "ict_benchmark"} <= recounted
    assert "stg_landing__account_mappings" not in recounted
    assert mart(drop_zone.published_db) == from_scratch(drop_zone, "scratch_inhabitants")

    # a withdrawn ledger takes its lines out of the mart
    (drop_zone.deliveries / "GM0088" / "2024" / "ledger.csv").unlink()
    run(drop_zone, instance, ["GM0088-2024"])
    published = mart(drop_zone.published_db)
    assert {row[1] for row in published["fct_ict_cost_line"]} == {"GM0363"}
    assert published == from_scratch(drop_zone, "scratch_withdrawn")
    assert_slot_digests_are_those_of_the_rows(drop_zone)


def test_a_rolled_back_mart_is_published_again_by_the_next_run(drop_zone, dbt_manifest):
    instance = dg.DagsterInstance.ephemeral()
    run(drop_zone, instance, ["GM0088-2024", "GM0363-2024"])
    ledger = drop_zone.deliveries / "GM0363" / "2024" / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"10.000,00", b"12.000,00"))
    run(drop_zone, instance, ["GM0363-2024"])
    redelivered = mart(drop_zone.published_db)

    # the published file is no longer this build's: nothing changed, yet it is published again
    rollback(drop_zone.published_db)
    assert mart(drop_zone.published_db) != redelivered
    assert "published_benchmark" in materialized(run(drop_zone, instance, []))
    assert mart(drop_zone.published_db) == redelivered
    assert not materialized(run(drop_zone, instance, [])) & BUILT_AND_PUBLISHED

    # other publishing code than the published file was made with: published again
    inputs = drop_zone.build_db.with_name("built_inputs.json")
    recorded = json.loads(inputs.read_text())
    recorded["published"]["publisher"] = "an older publish.py"
    inputs.write_text(json.dumps(recorded))
    assert "published_benchmark" in materialized(run(drop_zone, instance, []))


def test_unchanged_municipality_years_are_kept_until_the_project_changes(drop_zone, dbt_manifest):
    instance = dg.DagsterInstance.ephemeral()
    run(drop_zone, instance, ["GM0088-2024", "GM0363-2024"])
    # mark the built rows: a municipality-year that is rebuilt loses the mark
    with duckdb.connect(str(drop_zone.build_db)) as connection:
        connection.execute("update main.fct_ict_cost_line set description = 'kept'")

    ledger = drop_zone.deliveries / "GM0363" / "2024" / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"10.000,00", b"12.000,00"))
    run(drop_zone, instance, ["GM0363-2024"])
    descriptions = fct_descriptions(drop_zone)
    assert descriptions["GM0088"] == {"kept"}
    assert "kept" not in descriptions["GM0363"]

    # other SQL or another data contract than the build was made with: everything is rebuilt
    stamp = drop_zone.build_db.with_name("built_from.json")
    recorded = json.loads(stamp.read_text())
    stamp.write_text(json.dumps({**recorded, "dbt_project": "an older project"}))
    run(drop_zone, instance, [])
    assert "kept" not in fct_descriptions(drop_zone)["GM0088"]
    assert json.loads(stamp.read_text()) == built_from()


def test_a_build_in_another_storage_format_is_made_again(tmp_path):
    build_db = tmp_path / "build" / "benchmark.duckdb"
    build_db.parent.mkdir()
    with duckdb.connect(str(build_db)) as connection:
        connection.execute("create table t as select 1 as x")
    assert storage_version(build_db) != f"{STORAGE_VERSION}+"
    state = BuildState(build_db)
    assert state.needs_full_refresh()
    assert "storage format" in state.reason
    assert not build_db.exists()


def test_a_full_refresh_is_asked_for_or_needed_until_a_build_finishes(tmp_path):
    build_db = tmp_path / "build" / "benchmark.duckdb"
    state = BuildState(build_db)
    assert state.needs_full_refresh() and state.reason == "first build"
    with duckdb.connect(str(build_db), config={"storage_compatibility_version": STORAGE_VERSION}):
        pass
    assert state.needs_full_refresh()  # made, but no build finished on it yet
    state.finish({})
    assert not state.needs_full_refresh()
    assert state.needs_full_refresh(forced=True) and state.reason == "asked for"


def test_the_build_watches_the_files_each_dbt_source_reads(dbt_manifest):
    sources = yaml.safe_load((DBT_PROJECT_DIR / SOURCES_YML).read_text())["sources"][0]["tables"]
    locations = {t["name"]: t["meta"]["external_location"] for t in sources}
    landed = landed_sources(read_json(dbt_project.manifest_path))
    assert landed.keys() == locations.keys()
    for name, pattern in landed.items():
        assert f"{{{{ var('warehouse_dir') }}}}/landing/{pattern}'" in locations[name]
    # every kind of delivery lands where its dbt source reads
    for kind in KINDS.values():
        assert landed[kind.dbt_source] == f"{kind.name}/*.parquet"


def test_landing_the_same_rows_again_leaves_the_file_and_its_digest_alone(tmp_path):
    landing = tmp_path / "landing"
    table = pa.table({"municipality_code": ["GM0363"], "amount": [1.5]})
    assert write_parquet_atomic(table, landing / "ledger" / "GM0363_2024_ledger.parquet")
    sources = {"ledger_lines": "ledger/*.parquet", "asset_register": "assets/*.parquet"}
    before = landed_files_digest(landing, sources)
    assert not write_parquet_atomic(table, landing / "ledger" / "GM0363_2024_ledger.parquet")
    assert landed_files_digest(landing, sources) == before

    changed = pa.table({"municipality_code": ["GM0363"], "amount": [2.5]})
    assert write_parquet_atomic(changed, landing / "ledger" / "GM0363_2024_ledger.parquet")
    after = landed_files_digest(landing, sources)
    assert [s for s in sources if after[s] != before[s]] == ["ledger_lines"]


def test_a_run_leaves_out_the_models_no_source_it_may_change_feeds(dbt_manifest):
    manifest = read_json(dbt_project.manifest_path)
    landed = landed_sources(manifest)
    every_run = set(landed) - set(partitioned_sources().values())
    hardware = {"stg_landing__assets", "int_assets_aged", "fct_hardware_asset"}
    training = {"stg_landing__training_records", "int_training_employees", "fct_training"}
    applications = {
        "stg_landing__applications",
        "int_applications_classified",
        "fct_application",
        "application_overlap",
    }
    seeds = {
        "ict_categories",
        "municipality_successors",
        "replacement_cycles",
        "gemma_reference_components",
        "municipality_structure_groups",
    }

    assert left_out(manifest, every_run | {"ledger_lines"}) == (
        hardware | training | applications | seeds
    )
    assert left_out(manifest, every_run | {"asset_register"}) == training | applications | seeds | {
        "stg_landing__ledger_lines",  # a view: it stays as it is, the models over it run
    }
    assert left_out(manifest, landed) == seeds  # seeds change with the project only
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert built_sources(manifest, landed, models - hardware) == [
        s for s in landed if s != "asset_register"
    ]


def test_a_source_whose_models_did_not_run_keeps_the_digest_they_were_built_from(tmp_path):
    state = BuildState(tmp_path / "build" / "benchmark.duckdb")
    state.finish({"ledger_lines": "a", "asset_register": "b"})
    state.finish({"ledger_lines": "a2", "asset_register": "b2"}, built=["ledger_lines"])
    assert state.changed_sources({"ledger_lines": "a2", "asset_register": "b2"}) == [
        "asset_register"
    ]


def test_a_build_of_some_models_leaves_a_due_full_refresh_due(tmp_path):
    build_db = tmp_path / "build" / "benchmark.duckdb"
    with_format = {"storage_compatibility_version": STORAGE_VERSION}
    build_db.parent.mkdir()
    duckdb.connect(str(build_db), config=with_format).close()
    state = BuildState(build_db)
    state.finish({}, whole=False)
    assert state.needs_full_refresh()
    assert state.reason == "the dbt project or the data contract changed since the last build"
    state.finish({})
    assert not state.needs_full_refresh()


def test_while_another_run_writes_the_build_the_plan_builds_every_model(tmp_path, dbt_manifest):
    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")
    paths.build_db.parent.mkdir(parents=True)
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(60)"
    writer = subprocess.Popen(
        [sys.executable, "-c", hold, str(paths.build_db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        assert models_left_out(paths, {"ledger"}) == frozenset()
    finally:
        writer.kill()
        writer.wait()


def test_a_duplicate_ledger_line_is_found_in_the_municipality_years_the_build_rebuilt(
    drop_zone, tmp_path
):
    """fct_ict_cost_line's key is tested in the municipality-years a build digested again, not
    over every ledger line kept: a duplicate in a rebuilt one fails the build, one in a
    municipality-year the build left alone is not read."""
    assert run_benchmark_job(drop_zone, dg.DagsterInstance.ephemeral()).success
    with duckdb.connect(str(drop_zone.build_db)) as connection:
        slots = connection.execute(
            "select distinct municipality_code, fiscal_year from main.fct_ict_cost_line order by all"
        ).fetchall()
        left_alone, rebuilt = slots[0], slots[-1]
        for slot in (left_alone, rebuilt):
            connection.execute(
                "insert into main.fct_ict_cost_line select * from main.fct_ict_cost_line "
                "where municipality_code = ? and fiscal_year = ? limit 1",
                list(slot),
            )
        connection.execute(
            "delete from publishing.fct_ict_cost_line_slot_digests "
            "where municipality_code = ? and fiscal_year = ?",
            list(rebuilt),
        )
    variables = json.dumps({"warehouse_dir": str(drop_zone.warehouse)})
    build = subprocess.run(
        [
            DBT_EXECUTABLE,
            "build",
            "--select",
            "fct_ict_cost_line_slot_digests",
            "--vars",
            variables,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "dbt_target"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 1, build.stdout
    assert "unique_in_slots_digested" in build.stdout
    assert "Got 1 result, configured to fail if != 0" in build.stdout
