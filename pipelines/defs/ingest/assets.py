import dagster as dg

from pipelines.defs.ingest.partitions import deliveries_partitions, slots
from pipelines.defs.resources import WarehouseResource
from pipelines.ingest.check import PARTIAL, REJECTED, LoadPolicy, LoadResult
from pipelines.ingest.deliveries import ingest_kind, status_counts
from pipelines.ingest.load_results import write_load_results
from pipelines.ingest.reference import ingest_reference
from pipelines.ingest.workers import build_data_docs, default_workers

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


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "account_mappings",
            group_name=GROUP,
            kinds={"python", "parquet"},
            description="Each municipality's rules saying which ledger lines are ICT, validated and landed.",
        )
    ],
    check_specs=contract_checks("account_mappings"),
)
def account_mappings(
    context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource
):
    results = ingest_kind(
        warehouse.paths(),
        "account_mapping",
        policy=config.policy(),
        log=context.log.info,
        workers=config.worker_count(),
    )
    yield dg.MaterializeResult(asset_key="account_mappings", metadata=summary(results))
    yield from check_results("account_mappings", results)


def delivery_ingest(name: str, kind: str, description: str) -> dg.AssetsDefinition:
    """An ingest asset partitioned by municipality-year; a backfill of any size is one run."""

    @dg.multi_asset(
        name=name,
        specs=[
            dg.AssetSpec(
                name,
                group_name=GROUP,
                kinds={"python", "parquet"},
                description=description,
                partitions_def=deliveries_partitions,
            )
        ],
        check_specs=contract_checks(name),
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def ingest(
        context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource
    ):
        results = ingest_kind(
            warehouse.paths(),
            kind,
            policy=config.policy(),
            pseudonymiser=warehouse.pseudonymiser() if kind == "training" else None,
            log=context.log.info,
            only=slots(context.partition_keys),
            workers=config.worker_count(),
        )
        yield dg.MaterializeResult(asset_key=name, metadata=summary(results))
        yield from check_results(name, results)

    return ingest


ledger_deliveries = delivery_ingest(
    "ledger_deliveries",
    "ledger",
    "General-ledger deliveries (CSV and XAF), validated and landed one Parquet file per delivery.",
)
asset_registers = delivery_ingest(
    "asset_registers",
    "assets",
    "Hardware asset registers (CSV or XLSX, state on 31 December), validated and landed.",
)
training_records = delivery_ingest(
    "training_records",
    "training",
    "HR training records, pseudonymised at parse time (no names or e-mail addresses), validated and landed.",
)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "parquet"},
    deps=["account_mappings", "ledger_deliveries", "asset_registers", "training_records"],
)
def load_results(warehouse: WarehouseResource):
    """The latest load result of every delivery, for the load_quality mart, and the GX Data Docs."""
    paths = warehouse.paths()
    table = write_load_results(paths)
    docs = build_data_docs(paths)
    return dg.MaterializeResult(
        metadata={"deliveries": table.num_rows, "data_docs": dg.MetadataValue.path(str(docs))}
    )
