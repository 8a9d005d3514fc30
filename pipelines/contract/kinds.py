"""Every kind of delivery, declared once.

Discovery, reader dispatch, the empty landing schemas, the Dagster ingest assets and their
checks, the jobs' selections and the build state's partitioned sources are all derived from
KINDS. Adding a kind is one entry here, its reader, its GX suite and its dbt models.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from pipelines.contract.schemas import (
    APPLICATION_SCHEMA,
    ASSET_SCHEMA,
    LEDGER_SCHEMA,
    MAPPING_SCHEMA,
    TRAINING_SCHEMA,
)
from pipelines.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    from pipelines.contract.delivery import Delivery
    from pipelines.contract.profile import KindProfile
    from pipelines.contract.schemas import ParsedDelivery, ReadBatch

# A reader takes the delivery (and, for a kind with personal data, the pseudonymiser) and the
# municipality's profile for the kind as `profile=`, and returns the parsed rows;
# "module:function" is imported when a file of the kind is first read.
Reader = Callable[..., "ParsedDelivery"]


@dataclass(frozen=True)
class DeliveryKind:
    name: str  # landing, quarantine and load-result folders, the GX suite's file name
    file_stem: str  # `ledger` in GM0363/2024/ledger.csv
    readers: Mapping[str, str | Reader]  # file suffix -> its reader
    schema: pa.Schema  # what lands
    asset_name: str  # the Dagster asset that ingests the kind
    description: str  # one business sentence, shown in the Dagster UI
    dbt_source: str  # the landing source the dbt models read it from
    title: Mapping[str, str]  # the kind's name for people, by language ("nl", "en")
    # what the values of each contract column look like, for guessing a municipality's own
    # headers (ingest/profile_guess): "date", "amount", "words", "label", ...
    column_shapes: Mapping[str, str] = field(default_factory=dict)
    per_year: bool = True  # one delivery per fiscal year (a partition); else one for every year
    personal_data: bool = False  # the reader pseudonymises, so it gets the pseudonymiser
    must_balance: bool = False  # a general ledger: every voucher and the year sum to zero
    # file suffix -> a reader that hands out the rows a batch at a time, for files too large to
    # hold whole (ingest/streamed.py); only for a kind whose row rules look at one row at a time
    batch_readers: Mapping[str, str] = field(default_factory=dict)
    suite_file: Path | None = field(default=None)  # default: expectations/<name>.json

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(self.readers)

    @property
    def file_names(self) -> list[str]:
        return [f"{self.file_stem}{suffix}" for suffix in self.readers]

    @property
    def suite_path(self) -> Path:
        return self.suite_file or EXPECTATIONS_DIR / f"{self.name}.json"

    def reader(self, suffix: str) -> Reader:
        reader = self.readers[suffix.lower()]
        if callable(reader):
            return reader
        module, _, function = reader.partition(":")
        return getattr(importlib.import_module(module), function)

    def read(
        self,
        delivery: Delivery,
        pseudonymiser: Callable[[str], str] | None,
        profile: KindProfile | None = None,
    ) -> ParsedDelivery:
        read = self.reader(delivery.path.suffix)
        if not self.personal_data:
            return read(delivery, profile=profile)
        if pseudonymiser is None:
            raise ValueError(f"{self.name} deliveries hold personal data and need a pseudonymiser")
        return read(delivery, pseudonymiser, profile=profile)

    def batch_reader(self, suffix: str) -> Callable[..., Iterator[ReadBatch]] | None:
        """The reader that hands out batches for files with this suffix, if the kind has one."""
        reader = self.batch_readers.get(suffix.lower())
        if reader is None:
            return None
        module, _, function = reader.partition(":")
        return getattr(importlib.import_module(module), function)


KINDS: dict[str, DeliveryKind] = {
    kind.name: kind
    for kind in (
        DeliveryKind(
            name="account_mapping",
            file_stem="account_mapping",
            readers={".csv": "pipelines.readers.account_mapping:read_account_mapping"},
            schema=MAPPING_SCHEMA,
            asset_name="account_mappings",
            description="Each municipality's rules saying which ledger lines are ICT, validated and landed.",
            dbt_source="account_mappings",
            title={"nl": "Rekeningindeling", "en": "Account mapping"},
            per_year=False,
        ),
        DeliveryKind(
            name="ledger",
            file_stem="ledger",
            readers={
                ".csv": "pipelines.readers.ledger_csv:read_ledger_csv",
                ".xaf": "pipelines.readers.xaf:read_xaf",
                ".xml": "pipelines.readers.xaf:read_xaf",
            },
            schema=LEDGER_SCHEMA,
            asset_name="ledger_deliveries",
            description="General-ledger deliveries (CSV and XAF), validated and landed one Parquet file per delivery.",
            dbt_source="ledger_lines",
            title={"nl": "Grootboek", "en": "General ledger"},
            column_shapes={
                "booking_date": "date",
                "account_code": "account",
                "account_name": "label",
                "account_type": "words",
                "cost_centre": "label",
                "cost_type": "label",
                "journal": "label",
                "transaction_id": "reference",
                "line_number": "line",
                "description": "free_text",
                "amount": "amount",
                "debit": "amount",
                "credit": "amount",
            },
            must_balance=True,
            batch_readers={
                ".csv": "pipelines.readers.ledger_csv:read_ledger_csv_batches",
                ".xaf": "pipelines.readers.xaf:read_xaf_batches",
                ".xml": "pipelines.readers.xaf:read_xaf_batches",
            },
        ),
        DeliveryKind(
            name="assets",
            file_stem="assets",
            readers={
                ".csv": "pipelines.readers.asset_register:read_asset_register",
                ".xlsx": "pipelines.readers.asset_register:read_asset_register",
            },
            schema=ASSET_SCHEMA,
            asset_name="asset_registers",
            description="Hardware asset registers (CSV or XLSX, state on 31 December), validated and landed.",
            dbt_source="asset_register",
            title={"nl": "Hardwareregister", "en": "Asset register"},
            column_shapes={
                "asset_id": "identifier",
                "asset_class": "words",
                "purchase_date": "date",
                "purchase_price": "amount",
                "status": "words",
                "cost_centre": "label",
                "depreciation_years": "years",
            },
        ),
        DeliveryKind(
            name="training",
            file_stem="training",
            readers={".csv": "pipelines.readers.training:read_training"},
            schema=TRAINING_SCHEMA,
            asset_name="training_records",
            description="HR training records, pseudonymised at parse time (no names or e-mail addresses), validated and landed.",
            dbt_source="training_records",
            title={"nl": "Opleidingen (HR)", "en": "Training (HR)"},
            column_shapes={
                "employee_id": "person_id",
                "department": "label",
                "fte": "fraction",
                "role": "words",
                "course": "free_text",
                "course_category": "words",
                "hours": "hours",
                "cost": "amount",
                "training_date": "date",
            },
            personal_data=True,
        ),
        DeliveryKind(
            name="applications",
            file_stem="applications",
            readers={
                ".csv": "pipelines.readers.application_portfolio:read_application_portfolio",
                ".xlsx": "pipelines.readers.application_portfolio:read_application_portfolio",
            },
            schema=APPLICATION_SCHEMA,
            asset_name="application_portfolios",
            description="Application portfolios (CSV or XLSX, the landscape on 31 December), validated and landed.",
            dbt_source="applications",
            title={"nl": "Applicatielandschap", "en": "Application portfolio"},
            column_shapes={
                "application_name": "free_text",
                "supplier": "label",
                "version": "label",
                "gemma_components": "label",
                "hosting": "words",
                "licence_cost": "amount",
                "users": "count",
                "department": "label",
                "contract_end_date": "date",
                "lifecycle_status": "words",
            },
        ),
    )
}


def kind(name: str) -> DeliveryKind:
    return KINDS[name]


def yearly_kinds() -> list[DeliveryKind]:
    """The kinds delivered per fiscal year: the partitioned ingest assets."""
    return [k for k in KINDS.values() if k.per_year]
