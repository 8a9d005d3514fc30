import os
import subprocess
import sys

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def repository(dbt_manifest):
    from pipelines.definitions import defs

    return defs.get_repository_def()


def test_every_asset_has_a_group_and_a_description(repository):
    graph = repository.asset_graph
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name and node.group_name != "default", key
        assert node.description, f"{key.to_user_string()} has no description"


def test_ingest_validation_is_an_asset_check(repository):
    checks = {
        (k.asset_key.to_user_string(), k.name) for k in repository.asset_graph.asset_check_keys
    }
    assert ("ledger_deliveries", "deliveries_meet_contract") in checks
    assert ("ledger_deliveries", "accounting_closes") in checks
    # dbt data tests become checks on the mart
    assert any(asset == "ict_benchmark" for asset, _ in checks)


def test_dbt_tests_leave_blocking_to_dbt_and_are_otherwise_dagster_dbts_checks(dbt_manifest):
    """An error-severity dbt test fails `dbt build`, so the step, so publishing: as a blocking
    check it would add nothing but a warning in every run that builds nothing on purpose."""
    from dagster_dbt import DagsterDbtTranslator

    from pipelines.defs.transform.assets import BenchmarkTranslator, benchmark_models
    from pipelines.defs.transform.project import dbt_project
    from pipelines.settings import DBT_MANIFEST
    from pipelines.storage.files import read_json

    manifest = read_json(DBT_MANIFEST)
    translator = BenchmarkTranslator()
    asset_specs = {spec.key: spec for spec in benchmark_models.specs}
    checks = list(benchmark_models.check_specs)
    defaults = [
        DagsterDbtTranslator.get_asset_check_spec(
            translator,
            asset_specs[check.asset_key],
            manifest,
            check.metadata["dagster_dbt/unique_id"],
            dbt_project,
        )
        for check in checks
    ]
    assert sum(default.blocking for default in defaults) > 80  # dagster-dbt's error severity
    for check, default in zip(checks, defaults, strict=True):
        assert check._asdict() == {**default._asdict(), "blocking": False}


def test_the_benchmark_job_covers_every_asset(repository):
    job = repository.get_job("benchmark")
    assert job.asset_layer.executable_asset_keys == repository.asset_graph.executable_asset_keys


def test_dagster_validates_the_definitions(dbt_manifest, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_asset_keys_are_plain_names(repository):
    keys = {k.to_user_string() for k in repository.asset_graph.get_all_asset_keys()}
    assert {"ledger_deliveries", "ict_benchmark", "published_benchmark"} <= keys
    assert dg.AssetKey("ict_benchmark") in repository.asset_graph.get_all_asset_keys()


def test_the_rebuild_job_is_the_benchmark_without_delivery_partitions(repository):
    everything = set(repository.get_job("benchmark").asset_layer.executable_asset_keys)
    rebuild = set(repository.get_job("rebuild_benchmark").asset_layer.executable_asset_keys)
    partitioned = {
        "ledger_deliveries",
        "asset_registers",
        "training_records",
        "application_portfolios",
    }
    assert {key.to_user_string() for key in everything - rebuild} == partitioned


def test_the_manifest_fingerprint_follows_project_files_only(tmp_path):
    import shutil

    from pipelines.settings import DBT_PROJECT_DIR
    from pipelines.transform.manifest import project_fingerprint

    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    before = project_fingerprint(project)
    for output in ("target", "logs"):
        (project / output).mkdir()
        (project / output / "something.json").write_text("{}")
    assert project_fingerprint(project) == before
    model = project / "models" / "marts" / "ict_benchmark.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    assert project_fingerprint(project) != before


def test_an_unchanged_project_is_not_parsed_again(dbt_manifest):
    from pipelines.settings import DBT_PROJECT_DIR
    from pipelines.transform.manifest import prepare_manifest

    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    written = manifest.stat().st_mtime_ns
    prepare_manifest()
    assert manifest.stat().st_mtime_ns == written


def test_ictbench_run_full_is_valid_run_config_for_both_jobs(repository):
    from pipelines.cli.app import FULL_REFRESH

    for name in ("benchmark", "rebuild_benchmark"):
        dg.validate_run_config(repository.get_job(name), FULL_REFRESH)


DBT_THROUGH_THE_RESOURCE = """
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from pipelines.defs.resources import InstalledDbtCliResource
from pipelines.defs.transform.project import dbt_project

kind, executable, target = sys.argv[1:]
resource = {"installed": InstalledDbtCliResource, "dagster-dbt": DbtCliResource}[kind]
dbt = resource(
    project_dir=dbt_project, profiles_dir=str(dbt_project.project_dir), dbt_executable=executable
)
dbt.cli(["ls", "--resource-type", "seed", "--quiet"], target_path=Path(target)).wait()
print(dbt._cli_version, "dbt.adapters.duckdb" in sys.modules)
"""


@pytest.mark.parametrize(
    ("kind", "version_runs", "adapter_in_process"),
    [("installed", 0, False), ("dagster-dbt", 1, True)],
)
def test_the_dbt_resource_starts_no_dbt_version_and_no_adapter_in_process(
    kind, version_runs, adapter_in_process, tmp_path, dbt_manifest
):
    """InstalledDbtCliResource overrides two private members of dagster-dbt's resource; this
    fails when dagster-dbt renames them or stops calling them (then the override can go)."""
    from importlib.metadata import version

    from dagster_dbt import DbtCliResource

    from pipelines.settings import DBT_EXECUTABLE

    called = set(DbtCliResource.cli.__code__.co_names)
    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= called
    invocations = tmp_path / "invocations"
    logging_dbt = tmp_path / "dbt"
    logging_dbt.write_text(f'#!/bin/sh\necho "$@" >> {invocations}\nexec {DBT_EXECUTABLE} "$@"\n')
    logging_dbt.chmod(0o755)

    completed = subprocess.run(
        [sys.executable, "-c", DBT_THROUGH_THE_RESOURCE, kind, str(logging_dbt), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1].split() == [
        version("dbt-core"),
        str(adapter_in_process),
    ]
    commands = invocations.read_text().splitlines()
    assert commands.count("--version") == version_runs
    assert [command for command in commands if command != "--version"] == [
        "ls --resource-type seed --quiet"
    ]


def test_loading_the_definitions_does_not_import_great_expectations(dbt_manifest):
    """GX costs seconds to import: only a run that validates a delivery pays for it."""
    code = "import sys, pipelines.definitions; print('great_expectations' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"


def test_planning_a_run_does_not_import_dbt(tmp_path, dbt_manifest):
    """`ictbench run` starts the checking workers once the plan is made: importing dagster-dbt
    (over a second) belongs after that, with the definitions."""
    from pipelines.defs.transform.project import dbt_project
    from pipelines.settings import DBT_MANIFEST

    assert dbt_project.manifest_path == DBT_MANIFEST
    code = (
        "import sys; from pathlib import Path; from pipelines.transform.selection import models_left_out; "
        "from pipelines.settings import Paths; "
        "models_left_out(Paths(Path(sys.argv[1]) / 'raw', Path(sys.argv[1]) / 'wh'), {'ledger'}); "
        "print(sorted(m for m in ('dagster_dbt', 'dbt') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
