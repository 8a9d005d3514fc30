import json

import dagster as dg

from pipelines.contract.delivery import fingerprint_files
from pipelines.defs.ingest.partitions import (
    deliveries_partitions,
    partition_key,
    range_tags,
)
from pipelines.defs.resources import WarehouseResource
from pipelines.run_history.instance import WAREHOUSE_TAG


def changed_partitions(before: dict[str, list], after: dict[str, list]) -> set[str]:
    """Partitions whose files were added, changed or removed; a changed account mapping touches
    every year of its municipality."""
    touched = {
        path
        for path in before.keys() | after.keys()
        if (before.get(path) or [None] * 3)[2] != (after.get(path) or [None] * 3)[2]
    }
    years_by_municipality: dict[str, set[int]] = {}
    for path in before.keys() | after.keys():
        parts = path.split("/")
        if len(parts) == 3 and parts[1].isdigit():
            years_by_municipality.setdefault(parts[0], set()).add(int(parts[1]))
    keys = set()
    for path in touched:
        parts = path.split("/")
        if len(parts) == 3 and parts[1].isdigit():
            keys.add(partition_key(parts[0], int(parts[1])))
        elif len(parts) == 2:
            keys |= {partition_key(parts[0], y) for y in years_by_municipality.get(parts[0], ())}
    return keys


@dg.sensor(
    job_name="benchmark",
    minimum_interval_seconds=60,
    # off until switched on in the UI (Automation): a first `make dev` starts no run by itself
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches data_raw/deliveries by content hash; new or changed deliveries get their partitions (re)ingested and the mart republished.",
)
def deliveries_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    root = warehouse.paths().deliveries
    previous = json.loads(context.cursor) if context.cursor else {}
    current = fingerprint_files(root, previous)
    changed = changed_partitions(previous, current)
    if not changed:
        return dg.SkipReason("no new or changed deliveries")
    known = context.instance.get_dynamic_partitions(deliveries_partitions.name)
    new = sorted(changed - set(known))
    ordered = [key for key in [*known, *new] if key in changed]
    # one run covering the changed partitions; unchanged ones inside the range are no-ops
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"deliveries-{hash_of(current)}",
                tags={
                    **range_tags(ordered),
                    "ictbench/trigger": "deliveries",
                    WAREHOUSE_TAG: str(warehouse.paths().warehouse),
                },
            )
        ],
        dynamic_partitions_requests=[deliveries_partitions.build_add_request(new)] if new else [],
        cursor=json.dumps(current, sort_keys=True),
    )


def hash_of(files: dict[str, list]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
