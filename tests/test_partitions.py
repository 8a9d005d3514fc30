"""One run over a range of delivery partitions: the tags that ask for it mean what Dagster reads."""

import dagster as dg

from pipelines.defs.ingest.partitions import (
    add_metadata_per_partition,
    deliveries_partitions,
    range_tags,
)

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


@dg.asset(partitions_def=deliveries_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def counted(context: dg.AssetExecutionContext) -> None:
    add_metadata_per_partition(
        context, "counted", {key: {"rows": int(key[2:6])} for key in context.partition_keys}
    )


@dg.asset(partitions_def=deliveries_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def counted_by_dagster(context: dg.AssetExecutionContext) -> None:
    for key in context.partition_keys:
        context.add_asset_metadata({"rows": int(key[2:6])}, partition_key=key)


def test_each_partition_gets_its_own_metadata_as_add_asset_metadata_gives_it():
    """add_metadata_per_partition writes where Dagster's add_asset_metadata writes after its
    check; this fails when Dagster moves that, and then the shortcut must go or follow."""
    from dagster._core.execution.context.system import StepExecutionContext

    names = StepExecutionContext.add_asset_metadata.__code__.co_names
    assert {"_metadata_accumulator", "with_additional_asset_metadata"} <= set(names)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(deliveries_partitions.name, KEYS)

    def metadata_per_partition(asset: dg.AssetsDefinition) -> dict[str, dict]:
        result = dg.materialize([asset], instance=instance, tags=range_tags(KEYS[1:4]))
        assert result.success
        return {
            event.partition: {k: v.value for k, v in event.materialization.metadata.items()}
            for event in result.get_asset_materialization_events()
        }

    ours = metadata_per_partition(counted)
    assert ours == {
        "GM0034-2024": {"rows": 34},
        "GM0037-2024": {"rows": 37},
        "GM0047-2024": {"rows": 47},
    }
    assert ours == metadata_per_partition(counted_by_dagster)


def test_metadata_for_a_partition_the_run_does_not_materialise_is_refused():
    @dg.asset(partitions_def=deliveries_partitions)
    def stray(context: dg.AssetExecutionContext) -> None:
        add_metadata_per_partition(context, "stray", {"GM0014-2024": {"rows": 1}})

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(deliveries_partitions.name, KEYS)
    result = dg.materialize(
        [stray], instance=instance, partition_key="GM0034-2024", raise_on_error=False
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "GM0014-2024" in failure.step_failure_data.error.cause.message
