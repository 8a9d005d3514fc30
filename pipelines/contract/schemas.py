"""The normalised shapes every reader returns, whatever the file format it read."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from pipelines.contract.delivery import Delivery


AMOUNT = pa.decimal128(18, 2)

# Lineage first: every landed row can be traced back to its file and row.
LINEAGE_FIELDS = [
    pa.field("delivery_id", pa.string(), nullable=False),  # sha256 of the delivered bytes
    pa.field("municipality_code", pa.string(), nullable=False),
    pa.field("fiscal_year", pa.int32(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),  # relative to data_raw/deliveries
    pa.field("source_row", pa.int64(), nullable=False),  # CSV: line a record starts on
]

# The rules a landed row broke in its soft fields (`purchase_date_missing`), whose values were
# left out: the KPIs that need those values say how many rows they could not use, and why.
GAPS_FIELD = pa.field("gaps", pa.list_(pa.string()))

LEDGER_SCHEMA = pa.schema(
    [
        *LINEAGE_FIELDS,
        pa.field("journal", pa.string()),
        pa.field("transaction_id", pa.string()),
        pa.field("line_number", pa.string()),
        pa.field("booking_date", pa.date32()),
        pa.field("account_code", pa.string()),
        pa.field("account_name", pa.string()),
        # B balance sheet, P profit and loss (XAF accTp; CSV `rekeningsoort`); null: not said
        pa.field("account_type", pa.string()),
        pa.field("cost_centre", pa.string()),
        pa.field("cost_type", pa.string()),
        pa.field("description", pa.string()),
        pa.field("amount", AMOUNT),  # signed: debit positive, credit negative
        # the delivery profile says the amounts include compensable VAT (docs/methodology.md)
        pa.field("amounts_include_vat", pa.bool_()),
    ]
)


MAPPING_SCHEMA = pa.schema(
    [
        pa.field("delivery_id", pa.string(), nullable=False),
        pa.field("municipality_code", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        pa.field("account_from", pa.string()),
        pa.field("account_to", pa.string()),
        pa.field("cost_centre", pa.string()),
        pa.field("category", pa.string()),
        pa.field("note", pa.string()),
        pa.field("rule_target", pa.string()),  # account or cost centre; null = a rule for nothing
    ]
)

ASSET_SCHEMA = pa.schema(
    [
        *LINEAGE_FIELDS,
        pa.field("asset_id", pa.string()),
        pa.field("asset_class", pa.string()),
        pa.field("purchase_date", pa.date32()),
        pa.field("purchase_price", AMOUNT),
        pa.field("status", pa.string()),
        pa.field("cost_centre", pa.string()),
        pa.field("depreciation_years", pa.int32()),
        GAPS_FIELD,
    ]
)

TRAINING_SCHEMA = pa.schema(
    [
        *LINEAGE_FIELDS,
        pa.field("employee_key", pa.string()),  # keyed pseudonym of the employee id
        pa.field("department", pa.string()),
        pa.field("fte", pa.float64()),
        pa.field("role", pa.string()),  # ICT role of the employee; null: no ICT role
        pa.field("course", pa.string()),  # null: employee without training this year
        pa.field("course_category", pa.string()),  # ict | other
        pa.field("hours", pa.float64()),
        pa.field("cost", AMOUNT),
        pa.field("training_date", pa.date32()),
        GAPS_FIELD,
    ]
)

APPLICATION_SCHEMA = pa.schema(
    [
        *LINEAGE_FIELDS,
        pa.field("application_name", pa.string()),
        pa.field("supplier", pa.string()),
        pa.field("version", pa.string()),
        pa.field("gemma_components", pa.list_(pa.string())),  # as delivered; [] when blank
        pa.field("hosting", pa.string()),  # on_premises | private_cloud | saas
        pa.field("licence_cost", AMOUNT),  # per year, in euro
        pa.field("users", pa.int64()),
        pa.field("department", pa.string()),
        pa.field("contract_end_date", pa.date32()),
        pa.field("lifecycle_status", pa.string()),  # planned | in_use | phasing_out | phased_out
        GAPS_FIELD,
    ]
)


@dataclass(frozen=True)
class RowProblem:
    """One reason one row cannot land as delivered; a row can have several.

    field: the canonical column at fault, when there is one. A problem in a soft field of the
    kind's suite only leaves that value out; any other problem keeps the row from landing.
    """

    source_row: int
    column: str | None
    value: str | None
    rule: str
    message: str
    field: str | None = None


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


@dataclass
class ReadBatch:
    """Part of a delivery read a batch at a time: its rows, their delivered text and the
    problems the reader found in them (see ParsedDelivery)."""

    rows: pa.Table
    raw: pa.Table
    problems: list[RowProblem]


def whole_delivery(batches: Generator[ReadBatch, None, ParsedDelivery]) -> ParsedDelivery:
    """A delivery read in batches, held whole: what the reader returns at its end, with the rows,
    delivered text and problems of every batch."""
    parts = []
    while True:
        try:
            parts.append(next(batches))
        except StopIteration as end:
            parsed: ParsedDelivery = end.value
            break
    if parts:  # else the reader's empty tables
        parsed.rows = pa.concat_tables([part.rows for part in parts])
        parsed.raw = pa.concat_tables([part.raw for part in parts])
        parsed.row_problems = [problem for part in parts for problem in part.problems]
    return parsed


def with_lineage(
    schema: pa.Schema,
    columns: dict[str, pa.Array],
    source_rows: pa.Array,
    delivery: Delivery,
    delivery_id: str,
) -> pa.Table:
    """The normalised table: lineage columns first, then `columns`, in `schema` order."""
    n = len(source_rows)
    lineage = {
        "delivery_id": pa.array([delivery_id] * n, pa.string()),
        "municipality_code": pa.array([delivery.municipality_code] * n, pa.string()),
        "fiscal_year": pa.array([delivery.fiscal_year] * n, pa.int32()),
        "source_file": pa.array([delivery.relative_path] * n, pa.string()),
        "source_row": pc.cast(source_rows, pa.int64()),
    }
    arrays = {**lineage, **columns}
    if GAPS_FIELD.name in schema.names and GAPS_FIELD.name not in arrays:
        arrays[GAPS_FIELD.name] = gaps_where(pa.nulls(n, pa.bool_()), "")
    return pa.Table.from_arrays([arrays[f.name] for f in schema], schema=schema)


def gaps_where(mask: pa.Array, rule: str) -> pa.Array:
    """The gaps column: [rule] where mask is true, else no gap."""
    kind = GAPS_FIELD.type
    return pc.if_else(pc.fill_null(mask, False), pa.scalar([rule], kind), pa.scalar([], kind))


def gaps_of(masks: dict[str, pa.Array]) -> pa.Array:
    """The gaps column: for each row, the rules (keys) whose mask is true there, in key order."""
    rules = list(masks)
    hits = np.column_stack(
        [pc.fill_null(mask, False).to_numpy(zero_copy_only=False) for mask in masks.values()]
    )
    offsets = np.concatenate([[0], np.cumsum(hits.sum(axis=1))]).astype(np.int32)
    names = pa.array(np.array(rules, dtype=object)[np.nonzero(hits)[1]], pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), names, type=GAPS_FIELD.type)


def problems_where(
    mask: pa.Array,
    source_rows: pa.Array,
    values: pa.Array | None,
    *,
    column: str | None,
    rule: str,
    message: str,
    field: str | None = None,
) -> list[RowProblem]:
    """One RowProblem per row where `mask` is true; `message` may use {column} and {value}."""
    hits = pc.indices_nonzero(pc.fill_null(mask, False))
    rows = pc.take(source_rows, hits).to_pylist()
    texts = pc.take(values, hits).to_pylist() if values is not None else [None] * len(rows)
    return [
        RowProblem(
            source_row=row,
            column=column,
            value=value,
            rule=rule,
            message=message.format(column=column, value=value),
            field=field,
        )
        for row, value in zip(rows, texts, strict=True)
    ]
