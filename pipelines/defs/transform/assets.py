import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.contract.kinds import KINDS
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform.project import dbt_project
from pipelines.publish.publication import publication
from pipelines.storage import stop_points
from pipelines.storage.files import read_json
from pipelines.storage.litter import sweep
from pipelines.storage.lock import warehouse_writer
from pipelines.transform.build_state import BuildState, landed_files_digest, landed_sources
from pipelines.transform.check_record import CheckRecord
from pipelines.transform.selection import built_sources

LAYER_GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "publishing": "publishing",
}


# dbt landing source -> the ingest asset that lands it; the reference data and load results are
# landed by assets of the source's own name
LANDED_BY = {kind.dbt_source: kind.asset_name for kind in KINDS.values()}


class BenchmarkTranslator(DagsterDbtTranslator):
    """dbt folders become asset groups; sources map to the ingest assets that land them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props["name"]
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(LANDED_BY.get(name, name))
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey(name)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return next((LAYER_GROUPS[f] for f in folders if f in LAYER_GROUPS), "marts")

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt tests are checks that do not block: dbt blocks already. A failing error-severity test
        fails `dbt build` and so the step, and publishing never runs. As blocking checks, a run that
        builds nothing on purpose would get a warning for each one that gave no result."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or not spec.blocking:
            return spec
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=spec.additional_deps,
            blocking=False,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
            partitions_def=spec.partitions_def,
        )


class DbtBuildConfig(dg.Config):
    """full_refresh: rebuild the per-municipality-year ledger models whole, not only what changed
    (done anyway when the dbt project or the data contract changed since the last build)."""

    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=BenchmarkTranslator(),
)
def benchmark_models(
    context: dg.AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
):
    """dbt models, seeds and tests that turn landed deliveries into the benchmark mart."""
    paths = warehouse.paths()
    variables = json.dumps({"warehouse_dir": str(paths.warehouse)})
    # dbt unit tests check the SQL, not the data: they run in the test suite, not every night.
    # No manifest and run_results.json per build (0.4 s): the run's event log holds every node's
    # result, dbt.log the detail, and Dagster reads the manifest `dbt parse` wrote.
    command = ["build", "--exclude-resource-type", "unit_test", "--vars", variables]
    command += ["--no-write-json"]
    if "DBT_LOG_LEVEL_FILE" not in os.environ:
        # dbt.log at its default debug level holds every statement dbt sends: about 1 MB per
        # re-delivery, 10 MB per full build, and 1.3 s of a re-delivery's 9.7 s dbt step here.
        # DBT_LOG_LEVEL_FILE=debug brings the statements back.
        command += ["--log-level-file", "info"]
    with warehouse_writer(paths.warehouse):
        # runs started from the UI or a schedule do not pass through `ictbench run`'s planning
        if removed := sweep(paths.warehouse):
            context.log.warning(f"removed what a stopped run left behind: {removed}")
        build = BuildState(paths.build_db)
        landed = landed_files_digest(
            paths.landing, landed_sources(read_json(dbt_project.manifest_path))
        )
        if build.needs_full_refresh(forced=config.full_refresh):
            log = context.log.warning if build.reason in build.damaged else context.log.info
            log(f"full refresh: {build.reason}")
            command.append("--full-refresh")
        elif not build.changed_sources(landed) and build.is_published(
            publication(paths.published_db)
        ):
            # no output: Dagster skips publishing, and the published mart stays as it is
            context.log.info("no landed file changed since the published build: nothing to build")
            yield from recalled_check_results(context, paths.build_db, ran=set())
            return
        # a target folder per warehouse, not per run: dbt parses only what changed since the last
        # build, and its compiled SQL and log sit next to it instead of piling up
        target = paths.build_db.parent / "dbt_target"
        invocation = dbt.cli(command, context=context, target_path=target)
        results = {}
        for event in invocation.stream():
            yield event
            if isinstance(event, dg.AssetCheckResult):
                results[check_id(event.asset_key, event.check_name)] = recorded(event, context)
            stop_points.moment("dbt")  # dbt is building
        CheckRecord(paths.build_db).remember(results)
        yield from recalled_check_results(context, paths.build_db, ran=set(results))
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        whole = context.selected_asset_keys == context.assets_def.keys
        build.finish(landed, built_sources(invocation.manifest, landed, selected), whole=whole)


def check_id(asset_key: dg.AssetKey, check_name: str) -> str:
    return f"{asset_key.to_user_string()}:{check_name}"


def recorded(result: dg.AssetCheckResult, context: dg.AssetExecutionContext) -> dict:
    failed_rows = result.metadata.get("dagster_dbt/failed_row_count")
    return {
        "passed": result.passed,
        "severity": result.severity.value,
        "failed_row_count": getattr(failed_rows, "value", failed_rows),
        "run_id": context.run.run_id,
    }


def recalled_check_results(
    context: dg.AssetExecutionContext, build_db: Path, *, ran: set[str]
) -> Iterator[dg.AssetCheckResult]:
    """The last recorded result of each planned dbt test this run did not run: its model was not
    rebuilt, so the data it checked is the data published now (check_record)."""
    record = CheckRecord(build_db).recalled()
    for key in context.selected_asset_check_keys:
        found = record.get(check_id(key.asset_key, key.name))
        if found is None or check_id(key.asset_key, key.name) in ran:
            continue
        metadata = {
            "result_of_run": found["run_id"],
            "carried": "not run: its model did not change",
        }
        if found.get("failed_row_count") is not None:
            metadata["dagster_dbt/failed_row_count"] = found["failed_row_count"]
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=found["passed"],
            severity=dg.AssetCheckSeverity(found["severity"]),
            metadata=metadata,
        )
