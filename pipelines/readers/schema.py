"""The normalised shapes every reader returns, whatever the file format it read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from pipelines.readers.delivery import Delivery

AMOUNT = pa.decimal128(18, 2)

# Lineage first: every landed row can be traced back to its file and row.
LINEAGE_FIELDS = [
    pa.field("delivery_id", pa.string(), nullable=False),  # sha256 of the delivered bytes
    pa.field("municipality_code", pa.string(), nullable=False),
    pa.field("fiscal_year", pa.int32(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),  # relative to data_raw/deliveries
    pa.field("source_row", pa.int64(), nullable=False),  # CSV: record number, header = 1
]

LEDGER_SCHEMA = pa.schema(
    [
        *LINEAGE_FIELDS,
        pa.field("journal", pa.string()),
        pa.field("transaction_id", pa.string()),
        pa.field("line_number", pa.string()),
        pa.field("booking_date", pa.date32()),
        pa.field("account_code", pa.string()),
        pa.field("account_name", pa.string()),
        pa.field("cost_centre", pa.string()),
        pa.field("cost_type", pa.string()),
        pa.field("description", pa.string()),
        pa.field("amount", AMOUNT),  # signed: debit positive, credit negative
    ]
)


@dataclass(frozen=True)
class RowProblem:
    """One reason one row cannot land; a row can have several."""

    source_row: int
    column: str | None
    value: str | None
    rule: str
    message: str


@dataclass
class ParsedDelivery:
    """A delivery read into the normalised schema, before validation decides what lands."""

    delivery: Delivery
    delivery_id: str
    rows: pa.Table
    # Original text per row (source_row + the file's own column names): kept for quarantine.
    raw: pa.Table
    notes: list[str] = field(default_factory=list)
    row_problems: list[RowProblem] = field(default_factory=list)
    header: dict[str, object] = field(default_factory=dict)
