import dagster as dg

from pipelines.contract.kinds import yearly_kinds
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform.assets import benchmark_models
from pipelines.publish.publication import publication
from pipelines.publish.publish import publish
from pipelines.publish.published_copy import PublishedCopy
from pipelines.storage.lock import warehouse_writer
from pipelines.transform.build_state import BuildState

# Steps share one process: per-step processes cost seconds each and the DuckDB files are
# written one at a time anyway.
benchmark_job = dg.define_asset_job(
    "benchmark",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    tags={"ictbench/writes": "warehouse"},
    description="Ingest deliveries (a partition range), build the mart with dbt and publish it.",
)

# What `ictbench run` starts when no delivery partition changed: a mapping, the reference data,
# the dbt project or the code may have, and the mart is rebuilt from what has landed.
rebuild_job = dg.define_asset_job(
    "rebuild_benchmark",
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.assets(*(kind.asset_name for kind in yearly_kinds())),
    executor_def=dg.in_process_executor,
    tags={"ictbench/writes": "warehouse"},
    description="Check account mappings and reference data, build the mart with dbt from what has landed, publish it.",
)


class PublishConfig(dg.Config):
    """fresh: write the file fresh instead of updating a copy of the published one (`ictbench run
    --full`): its freed space then holds nothing an earlier version published."""

    fresh: bool = False


@dg.asset(group_name="publish", kinds={"duckdb"}, deps=[benchmark_models])
def published_benchmark(
    config: PublishConfig,
    warehouse: WarehouseResource,
    published_copy: dg.ResourceParam[PublishedCopy],
):
    """The benchmark mart BI tools read: warehouse/benchmark.duckdb, replaced atomically after every check passed."""
    paths = warehouse.paths()
    with warehouse_writer(paths.warehouse):
        result = publish(
            paths.build_db, paths.published_db, fresh=config.fresh, copied=published_copy
        )
        BuildState(paths.build_db).published(publication(paths.published_db))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "tables": dg.MetadataValue.json(result.tables),
            "how": result.how,
        }
    )
