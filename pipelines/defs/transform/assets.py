import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform.project import dbt_project
from pipelines.warehouse.lock import warehouse_writer

LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class BenchmarkTranslator(DagsterDbtTranslator):
    """dbt folders become asset groups; sources map to the ingest assets that land them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return next((LAYER_GROUPS[f] for f in folders if f in LAYER_GROUPS), "marts")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=BenchmarkTranslator(),
)
def benchmark_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """dbt models, seeds and tests that turn landed deliveries into the benchmark mart."""
    paths = warehouse.paths()
    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    variables = json.dumps({"warehouse_dir": str(paths.warehouse)})
    with warehouse_writer(paths.warehouse):
        yield from dbt.cli(["build", "--vars", variables], context=context).stream()
