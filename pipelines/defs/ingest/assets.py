import dagster as dg

from pipelines.contract.kinds import KINDS, DeliveryKind
from pipelines.defs.ingest.partitions import (
    add_metadata_per_partition,
    deliveries_partitions,
    partition_key,
    slots,
)
from pipelines.defs.resources import WarehouseResource
from pipelines.ingest.check import PARTIAL, REJECTED, LoadPolicy, LoadResult
from pipelines.ingest.deliveries import ingest_kind, status_counts
from pipelines.ingest.discovery import DropZone
from pipelines.ingest.load_results import current_results, write_results_table
from pipelines.ingest.reference import ingest_reference
from pipelines.ingest.workers import build_data_docs, default_workers, stop_workers

GROUP = "ingest"


class IngestConfig(dg.Config):
    """How much of a delivery may be quarantined before it is rejected whole, and how many cores read."""

    max_quarantined_row_share: float = 0.01
    max_quarantined_amount_share: float = 0.01
    workers: int = 0  # processes reading deliveries side by side; 0: one per core

    def worker_count(self) -> int:
        return self.workers or default_workers()

    def policy(self) -> LoadPolicy:
        return LoadPolicy(self.max_quarantined_row_share, self.max_quarantined_amount_share)


def contract_checks(asset_name: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "deliveries_meet_contract",
            asset=asset_name,
            description="Every delivery passed its GX suite; rejected or partly quarantined ones are listed.",
        ),
        dg.AssetCheckSpec(
            "accounting_closes",
            asset=asset_name,
            blocking=True,
            description="Rows read = rows landed + rows quarantined, for every delivery: nothing lost.",
        ),
    ]


def check_results(asset_name: str, results: list[LoadResult]) -> list[dg.AssetCheckResult]:
    troubled = [r for r in results if r.status in (REJECTED, PARTIAL)]
    failed_rules = sorted({rule for r in troubled for rule in r.failed_expectations})
    unbalanced = [
        r.delivery_key for r in results if r.rows_read != r.rows_landed + r.rows_quarantined
    ]
    return [
        dg.AssetCheckResult(
            asset_key=asset_name,
            check_name="deliveries_meet_contract",
            passed=not troubled,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "deliveries": len(results),
                "rejected": sum(r.status == REJECTED for r in results),
                "partially_accepted": sum(r.status == PARTIAL for r in results),
                "failed_expectations": ", ".join(failed_rules) or "none",
                "messages": dg.MetadataValue.md(
                    "\n".join(f"- {r.message}" for r in troubled) or "all accepted"
                ),
            },
        ),
        dg.AssetCheckResult(
            asset_key=asset_name,
            check_name="accounting_closes",
            passed=not unbalanced,
            metadata={"deliveries_not_closing": ", ".join(unbalanced) or "none"},
        ),
    ]


def partition_results(results: list[LoadResult]) -> dict[str, list[LoadResult]]:
    grouped: dict[str, list[LoadResult]] = {}
    for result in results:
        if result.fiscal_year is not None:
            key = partition_key(result.municipality_code, result.fiscal_year)
            grouped.setdefault(key, []).append(result)
    return grouped


def summary(results: list[LoadResult]) -> dict[str, object]:
    return {
        **{f"deliveries_{status}": n for status, n in status_counts(results).items()},
        "rows_landed": sum(r.rows_landed for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "municipalities",
            group_name="reference",
            kinds={"python", "parquet"},
            description="CBS list of municipalities (code, name, province) from data_raw/reference.",
        ),
        dg.AssetSpec(
            "inhabitants",
            group_name="reference",
            kinds={"python", "parquet"},
            description="Inhabitants on 1 January per municipality and year, from a CBS StatLine export.",
        ),
        dg.AssetSpec(
            "price_index",
            group_name="reference",
            kinds={"python", "parquet"},
            description="CBS consumer price index (2015=100) per year, for the real-terms figures.",
        ),
    ]
)
def reference_data(warehouse: WarehouseResource):
    counts = ingest_reference(warehouse.paths())
    yield dg.MaterializeResult(
        asset_key="municipalities", metadata={"rows": counts["municipalities"]}
    )
    yield dg.MaterializeResult(
        asset_key="inhabitants", metadata={"rows": counts["inhabitant_counts"]}
    )
    yield dg.MaterializeResult(
        asset_key="price_index", metadata={"rows": counts["price_index_years"]}
    )


def ingest_asset(kind: DeliveryKind) -> dg.AssetsDefinition:
    """The ingest asset of one kind of delivery, with its contract checks. A yearly kind is
    partitioned by municipality-year, and a backfill of any size is one run."""
    per_year = kind.per_year

    @dg.multi_asset(
        name=kind.asset_name,
        specs=[
            dg.AssetSpec(
                kind.asset_name,
                group_name=GROUP,
                kinds={"python", "parquet"},
                description=kind.description,
                partitions_def=deliveries_partitions if per_year else None,
            )
        ],
        check_specs=contract_checks(kind.asset_name),
        backfill_policy=dg.BackfillPolicy.single_run() if per_year else None,
    )
    def ingest(
        context: dg.AssetExecutionContext,
        config: IngestConfig,
        warehouse: WarehouseResource,
        drop_zone: dg.ResourceParam[DropZone],
    ):
        results = ingest_kind(
            warehouse.paths(),
            kind.name,
            drop_zone=drop_zone,
            policy=config.policy(),
            pseudonymiser=warehouse.pseudonymiser() if kind.personal_data else None,
            log=context.log.info,
            only=slots(context.partition_keys) if per_year else None,
            workers=config.worker_count(),
        )
        if per_year:
            # each partition's materialisation carries its own deliveries' counts, not the run's
            by_partition = partition_results(results)
            add_metadata_per_partition(
                context,
                kind.asset_name,
                {key: summary(by_partition.get(key, [])) for key in context.partition_keys},
            )
            yield dg.MaterializeResult(asset_key=kind.asset_name)
        else:
            yield dg.MaterializeResult(asset_key=kind.asset_name, metadata=summary(results))
        yield from check_results(kind.asset_name, results)

    return ingest


ingest_assets = [ingest_asset(kind) for kind in KINDS.values()]


@dg.asset(
    group_name=GROUP,
    kinds={"python", "parquet"},
    deps=[kind.asset_name for kind in KINDS.values()],
)
def load_results(warehouse: WarehouseResource, drop_zone: dg.ResourceParam[DropZone]):
    """The latest load result of every delivery, for the load_quality mart, and the GX Data Docs."""
    paths = warehouse.paths()
    results = current_results(paths, drop_zone)
    table = write_results_table(paths, results)
    docs = build_data_docs(paths, results)
    stop_workers()  # nothing after this step checks a delivery
    return dg.MaterializeResult(
        metadata={"deliveries": table.num_rows, "data_docs": dg.MetadataValue.path(str(docs))}
    )
