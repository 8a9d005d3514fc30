import dagster as dg

from pipelines.defs.ingest.partitions import deliveries_partitions, range_tags
from pipelines.defs.resources import WarehouseResource
from pipelines.run_history.instance import WAREHOUSE_TAG


@dg.schedule(
    job_name="benchmark",
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly at 02:00 Amsterdam time: every partition in one run, marts rebuilt, published.",
)
def nightly_benchmark(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    keys = context.instance.get_dynamic_partitions(deliveries_partitions.name)
    if not keys:
        return dg.SkipReason("no deliveries registered yet; the deliveries sensor registers them")
    return dg.RunRequest(
        run_key=context.scheduled_execution_time.isoformat(),
        tags={
            **range_tags(keys),
            "ictbench/trigger": "nightly",
            WAREHOUSE_TAG: str(warehouse.paths().warehouse),
        },
    )
