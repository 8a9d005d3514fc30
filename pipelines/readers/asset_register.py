"""Hardware asset registers (TOPdesk / Lansweeper CMDB exports, CSV or XLSX) to ASSET_SCHEMA."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.header_matching import ColumnMatch, match_columns, personal_headers
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import (
    ASSET_SCHEMA,
    ParsedDelivery,
    RowProblem,
    gaps_where,
    with_lineage,
)
from pipelines.contract.vocabulary import (
    column_aliases,
    personal_columns,
    required_columns,
    value_words,
)
from pipelines.readers.dutch_csv import SOURCE_ROW
from pipelines.readers.dutch_values import (
    blank,
    lookup_values,
    parse_amount,
    parse_date,
    parse_number,
    unknown_words_note,
)
from pipelines.readers.register_fields import RegisterFields
from pipelines.readers.register_text import read_register_text
from pipelines.readers.scrub import scrub_note, scrub_problems, scrub_table

_YEARS_SUFFIX = r"(?i)\s*(jaren|jaar|jr|years|year|yrs|y)\.?$"


def read_asset_register(delivery: Delivery, profile: KindProfile | None = None) -> ParsedDelivery:
    """Read an asset register (CSV or XLSX) into ASSET_SCHEMA, with the problems of each row.

    profile: the municipality's own headers, device and status words and sheet, if it has them.
    """
    label = delivery.relative_path
    profile = profile or KindProfile()
    register = read_register_text(delivery.path, label, column_aliases("assets"), profile)
    text, source_rows, header_row = register.table, register.source_rows, register.header_row
    notes, meta = register.notes, register.meta
    match = match_columns(
        text.column_names,
        column_aliases("assets"),
        required_columns("assets"),
        file=label,
        header_row=header_row,
        profile_columns=profile.columns,
    )
    personal = personal_headers(match.unknown, personal_columns("assets"))
    unknown = [name for name in match.unknown if name not in personal]
    if unknown:
        notes.append(
            "columns not in the data contract (kept with the original row only): "
            + ", ".join(f"`{name}`" for name in unknown)
        )
    if personal:
        listed = ", ".join(f"`{name}`" for name in personal)
        notes.append(f"columns with personal data dropped, never stored: {listed}")
    notes.extend(match.duplicates)
    columns, problems, value_notes = _normalise(text, source_rows, match, profile)
    # a line that cannot be split into columns cannot lose its user column: no text kept
    problems += [replace(p, value=None) if personal else p for p in register.line_problems]
    notes.extend(value_notes)
    delivery_id = delivery.content_hash()
    rows = with_lineage(ASSET_SCHEMA, columns, source_rows, delivery, delivery_id)
    # The original text goes to quarantine: without user columns, and scrubbed like HR text.
    raw, scrubbed = scrub_table(text.drop_columns(personal))
    problems = scrub_problems(problems)
    if note := scrub_note(scrubbed):
        notes.append(note)
    raw = raw.add_column(0, SOURCE_ROW, source_rows)
    problems.sort(key=lambda problem: (problem.source_row, _column_order(text, problem.column)))
    return ParsedDelivery(
        delivery=delivery,
        delivery_id=delivery_id,
        rows=rows,
        raw=raw,
        notes=notes,
        row_problems=problems,
        header={**meta, "header_row": header_row, "columns": match.headers},
    )


def _normalise(
    text: pa.Table, source_rows: pa.Array, match: ColumnMatch, profile: KindProfile
) -> tuple[dict[str, pa.Array], list[RowProblem], list[str]]:
    notes: list[str] = []
    header = match.headers
    empty = pa.nulls(text.num_rows, pa.string())
    fields = RegisterFields(text, match.positions, header, source_rows)
    column, problems = fields.column, fields.problems
    require, failed = fields.missing, fields.report

    asset_id = column("asset_id")
    require("asset_id", "asset_id_missing", "every asset needs its object number")

    asset_class = lookup_values(
        column("asset_class"),
        value_words("assets", "asset_class"),
        profile.values.get("asset_class"),
    )
    require("asset_class", "asset_class_missing", "fill in the kind of device (e.g. Laptop)")
    unmapped = pc.and_(pc.invert(blank(column("asset_class"))), pc.is_null(asset_class))
    if pc.any(unmapped).as_py():
        notes.append(
            unknown_words_note(
                column("asset_class").filter(unmapped),
                header["asset_class"],
                "unknown asset classes counted as other",
            )
        )
        asset_class = pc.if_else(unmapped, "other", asset_class)
    gaps = gaps_where(unmapped, "asset_class_unknown")

    purchase_date, date_failed = parse_date(column("purchase_date"), iso_and_time=True)
    require("purchase_date", "purchase_date_missing", "fill in the purchase date (dd-mm-yyyy)")
    failed("purchase_date", date_failed, "purchase_date_not_a_date", "is not a date (dd-mm-yyyy)")

    price, price_failed = parse_amount(column("purchase_price"))
    require(
        "purchase_price",
        "purchase_price_missing",
        "fill in the purchase price in euros (0 for a leased or donated device)",
    )
    failed("purchase_price", price_failed, "purchase_price_not_an_amount", "is not an amount")

    status = lookup_values(
        column("status"), value_words("assets", "status"), profile.values.get("status")
    )
    require("status", "status_missing", "fill in the status (In gebruik, Voorraad, Afgevoerd)")
    failed(
        "status",
        pc.and_(pc.invert(blank(column("status"))), pc.is_null(status)),
        "status_unknown",
        "is not a known status; use In gebruik, Voorraad or Afgevoerd "
        "(or In use, In stock, Retired)",
    )

    years = empty
    if "depreciation_years" in match.positions:
        text_years = pc.replace_substring_regex(column("depreciation_years"), _YEARS_SUFFIX, "")
        number, years_failed = parse_number(text_years)
        fractional = pc.fill_null(pc.not_equal(pc.floor(number), number), False)
        years_failed = pc.or_(years_failed, fractional)
        failed(
            "depreciation_years",
            years_failed,
            "depreciation_years_not_a_number",
            "is not a whole number of years",
        )
        years = pc.if_else(years_failed, None, number)
    columns = {
        "asset_id": pc.if_else(blank(asset_id), None, asset_id),
        "asset_class": asset_class,
        "purchase_date": purchase_date,
        "purchase_price": price,
        "status": status,
        "cost_centre": pc.if_else(blank(column("cost_centre")), None, column("cost_centre")),
        "depreciation_years": pc.cast(years, pa.int32()),
        "gaps": gaps,
    }
    return columns, problems, notes


def _column_order(text: pa.Table, column: str | None) -> int:
    names = text.column_names
    return names.index(column) if column in names else len(names)
