import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform.assets import benchmark_models
from pipelines.warehouse.lock import warehouse_writer
from pipelines.warehouse.publish import publish

# Steps share one process: per-step processes cost seconds each and the DuckDB files are
# written one at a time anyway.
benchmark_job = dg.define_asset_job(
    "benchmark",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    tags={"ictbench/writes": "warehouse"},
    description="Ingest deliveries (a partition range), build the mart with dbt and publish it.",
)


@dg.asset(group_name="publish", kinds={"duckdb"}, deps=[benchmark_models])
def published_benchmark(warehouse: WarehouseResource):
    """The benchmark mart BI tools read: warehouse/benchmark.duckdb, replaced atomically after every check passed."""
    paths = warehouse.paths()
    with warehouse_writer(paths.warehouse):
        result = publish(paths.build_db, paths.published_db)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "tables": dg.MetadataValue.json(result.tables),
        }
    )
