"""One run over a range of delivery partitions: the tags that ask for it mean what Dagster reads."""

import dagster as dg

from pipelines.defs.ingest.partitions import deliveries_partitions, range_tags

KEYS = ["GM0014-2024", "GM0034-2024", "GM0037-2024", "GM0047-2024"]
seen: list[tuple[dg.PartitionKeyRange, list[str]]] = []


@dg.asset(partitions_def=deliveries_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def landed(context: dg.AssetExecutionContext) -> None:
    seen.append((context.partition_key_range, list(context.partition_keys)))


def test_a_run_request_reads_the_range_back_from_the_tags():
    request = dg.RunRequest(tags=range_tags(KEYS[1:3]))
    assert request.partition_key_range == dg.PartitionKeyRange("GM0034-2024", "GM0037-2024")


def test_a_run_with_the_tags_materialises_exactly_that_range():
    seen.clear()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(deliveries_partitions.name, KEYS)

    result = dg.materialize([landed], instance=instance, tags=range_tags(KEYS[1:3]))

    assert result.success
    assert seen == [(dg.PartitionKeyRange("GM0034-2024", "GM0037-2024"), KEYS[1:3])]
    assert instance.get_materialized_partitions(landed.key) == set(KEYS[1:3])
