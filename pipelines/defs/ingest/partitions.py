from collections.abc import Mapping

import dagster as dg

from pipelines.contract.delivery import Delivery
from pipelines.ingest.discovery import DropZone

# One partition per municipality and fiscal year, e.g. "GM0363-2024": the set is whatever has been
# delivered, registered by the deliveries sensor (and by `ictbench run`), never a hard-coded list.
deliveries_partitions = dg.DynamicPartitionsDefinition(name="deliveries")


def partition_key(municipality_code: str, fiscal_year: int) -> str:
    return f"{municipality_code}-{fiscal_year}"


def delivery_partition(delivery: Delivery) -> str | None:
    if delivery.fiscal_year is None:
        return None
    return partition_key(delivery.municipality_code, delivery.fiscal_year)


def slots(partition_keys: list[str]) -> set[tuple[str, int]]:
    """(municipality code, fiscal year) of each partition key."""
    result = set()
    for key in partition_keys:
        code, year = key.rsplit("-", 1)
        result.add((code, int(year)))
    return result


def range_tags(keys: list[str]) -> dict[str, str]:
    """Tags that make one run cover partitions first..last: one process for a whole backfill."""
    # Private names: Dagster's public run APIs (RunRequest, execute_in_process) take one partition
    # key, and its single-run backfills set these tags. A run per partition builds and publishes
    # the mart each time: the hand-computed drop zone's 2 partitions took 123-126 s wall and 37-40 s
    # CPU as 2 runs, 41-50 s and 19-22 s as one. tests/test_partitions.py fails if Dagster stops
    # reading a range from them.
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


def register_partitions(
    instance: dg.DagsterInstance, drop_zone: DropZone, also: set[str] = frozenset()
) -> list[str]:
    """Add a partition for every delivered municipality-year, and for the keys `also` names (slots
    the warehouse holds that are no longer delivered, to withdraw or keep); all keys, in
    partition order."""
    delivered = {delivery_partition(d) for d in drop_zone.deliveries} | set(also)
    delivered.discard(None)
    known = instance.get_dynamic_partitions(deliveries_partitions.name)
    new = sorted(delivered - set(known))
    if new:
        instance.add_dynamic_partitions(deliveries_partitions.name, new)
    return instance.get_dynamic_partitions(deliveries_partitions.name)


def add_metadata_per_partition(
    context: dg.AssetExecutionContext,
    asset_key: str,
    metadata: Mapping[str, Mapping[str, object]],
) -> None:
    """Each partition's own metadata on its materialisation, for a run over many partitions.

    `context.add_asset_metadata(..., partition_key=key)` checks the key against the run's range
    by loading every key of the dynamic partitions from the instance, at each call: 8 ms a call
    with 342 municipality-years, 16 ms with 3,420, so a run over every municipality-year of ten
    years and four kinds spent minutes on it. Here the keys are checked once against the run's
    own, and the metadata goes to the step's metadata accumulator, where add_asset_metadata puts
    it after its check (a private member: tests/test_partitions.py fails if Dagster changes it).
    """
    if outside := set(metadata) - set(context.partition_keys):
        raise ValueError(f"partitions this run does not materialise: {sorted(outside)}")
    step = context._step_execution_context
    accumulated = step._metadata_accumulator
    for key, values in metadata.items():
        accumulated = accumulated.with_additional_asset_metadata(
            asset_key=dg.AssetKey(asset_key), partition_key=key, metadata=values
        )
    step._metadata_accumulator = accumulated
