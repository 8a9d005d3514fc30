"""Application portfolios (own CMDB exports, the GEMMA Softwarecatalogus landscape; CSV or XLSX)
to APPLICATION_SCHEMA: one row per application in the landscape on 31 December.

Only the name and the lifecycle status are needed to count an application; hosting, licence
cost, users, contract end date and GEMMA components are soft: a blank or unreadable value is left
out with a gap and the application still lands. Owners, administrators and contact persons are
personal data: their columns are dropped before anything is kept, and every other cell is
scrubbed (scrub.py).

Duplicates: a row naming the same application, version and department as an earlier row
(compared without case or surrounding spaces) is quarantined, so the application counts once;
the first row lands. Two versions, or two departments, of one package are two rows that land.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.header_matching import ColumnMatch, match_columns, personal_headers
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import (
    APPLICATION_SCHEMA,
    GAPS_FIELD,
    ParsedDelivery,
    RowProblem,
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

KIND = "applications"
# Several GEMMA components in one cell: `;` (quoted in a CSV), `|`, a line break (Excel), or a
# comma as the GEMMA Softwarecatalogus export writes them (no GEMMA component name has one).
_SEPARATOR_CHARACTERS = " \t;|,\r\n"
_COMPONENT_SEPARATORS = r"\s*(?:[;|,\r\n]\s*)+"
_SOFT_COLUMNS = ("gemma_components", "hosting", "licence_cost", "users", "contract_end_date")
_GAP_OF_ABSENT = {
    "gemma_components": "gemma_component_missing",
    "hosting": "hosting_missing",
    "licence_cost": "licence_cost_missing",
    "users": "users_missing",
    "contract_end_date": "contract_end_date_missing",
}


def read_application_portfolio(
    delivery: Delivery, profile: KindProfile | None = None
) -> ParsedDelivery:
    """Read an application portfolio (CSV or XLSX) into APPLICATION_SCHEMA, with each row's problems.

    profile: the municipality's own headers, hosting and status words and sheet, if it has them."""
    label = delivery.relative_path
    profile = profile or KindProfile()
    register = read_register_text(delivery.path, label, column_aliases(KIND), profile)
    text, source_rows, notes = register.table, register.source_rows, register.notes
    match = match_columns(
        text.column_names,
        column_aliases(KIND),
        required_columns(KIND),
        file=label,
        header_row=register.header_row,
        profile_columns=profile.columns,
    )
    # people's columns come in many spellings; an unknown column naming one is dropped too
    personal = personal_headers(match.unknown, personal_columns(KIND), within=True)
    notes.extend(_column_notes(match, personal))
    # Nothing of a person's column is kept from here on: not in raw, problems or notes.
    text = text.drop_columns(personal)
    text, scrubbed = scrub_table(text)
    if note := scrub_note(scrubbed):
        notes.append(note)
    columns, problems, value_notes = _normalise(text, source_rows, match, profile)
    notes.extend(value_notes)
    # a line that cannot be split into columns cannot lose its person's column: no text kept
    problems += [replace(p, value=None) if personal else p for p in register.line_problems]
    problems = scrub_problems(problems)
    order = {name: i for i, name in enumerate(text.column_names)}
    problems.sort(key=lambda p: (p.source_row, order.get(p.column, len(order))))
    delivery_id = delivery.content_hash()
    return ParsedDelivery(
        delivery=delivery,
        delivery_id=delivery_id,
        rows=with_lineage(APPLICATION_SCHEMA, columns, source_rows, delivery, delivery_id),
        raw=text.add_column(0, SOURCE_ROW, source_rows),
        notes=notes,
        row_problems=problems,
        header={**register.meta, "header_row": register.header_row, "columns": match.headers},
    )


def _column_notes(match: ColumnMatch, personal: list[str]) -> list[str]:
    notes = []
    unknown = [name for name in match.unknown if name not in personal]
    if unknown:
        listed = ", ".join(f"`{name}`" for name in unknown)
        notes.append(
            f"columns not in the data contract (kept with the original row only): {listed}"
        )
    if personal:
        listed = ", ".join(f"`{name}`" for name in personal)
        notes.append(f"columns with personal data dropped, never stored: {listed}")
    absent = [name for name in _SOFT_COLUMNS if name not in match.positions]
    if absent:
        listed = ", ".join(absent)
        notes.append(
            f"no column for {listed}: every application lands without it, and the figures "
            "that need it leave the applications out"
        )
    return notes + match.duplicates


def _normalise(
    text: pa.Table, source_rows: pa.Array, match: ColumnMatch, profile: KindProfile
) -> tuple[dict[str, pa.Array], list[RowProblem], list[str]]:
    notes: list[str] = []
    header = match.headers
    n = text.num_rows
    fields = RegisterFields(text, header, header, source_rows)
    column, given, problems = fields.column, fields.given, fields.problems
    report, missing = fields.report, fields.missing

    def vocabulary(name: str) -> tuple[pa.Array, pa.Array]:
        """The codes of a column with words, and where a filled cell's word is unknown."""
        codes = lookup_values(column(name), value_words(KIND, name), profile.values.get(name))
        return codes, pc.and_(pc.invert(blank(column(name))), pc.is_null(codes))

    missing("application_name", "application_name_missing", "every row needs the application")
    status, status_unknown = vocabulary("lifecycle_status")
    missing(
        "lifecycle_status",
        "lifecycle_status_missing",
        "fill in the status (Gepland, In gebruik, Uitfaseren, Uitgefaseerd)",
    )
    report(
        "lifecycle_status",
        status_unknown,
        "lifecycle_status_unknown",
        "is not a known lifecycle status; use Gepland, In gebruik, Uitfaseren or Uitgefaseerd "
        "(or Planned, In use, Phasing out, Phased out)",
    )
    problems.extend(_duplicates(column("application_name"), column, source_rows, header))

    hosting, hosting_unknown = vocabulary("hosting")
    missing("hosting", "hosting_missing", "fill in On-premises, Gehost or SaaS")
    report(
        "hosting",
        hosting_unknown,
        "hosting_unknown",
        "is not a known kind of hosting (On-premises, Gehost, SaaS); left out",
    )
    if pc.any(hosting_unknown).as_py():
        notes.append(
            unknown_words_note(
                column("hosting").filter(hosting_unknown),
                header["hosting"],
                "unknown kinds of hosting left out (map them in the delivery profile)",
            )
        )

    cost, cost_failed = parse_amount(column("licence_cost"))
    missing("licence_cost", "licence_cost_missing", "fill in the yearly cost in euros (0 if free)")
    report("licence_cost", cost_failed, "licence_cost_not_an_amount", "is not an amount")

    users, users_failed = parse_number(column("users"))
    users_failed = pc.or_(users_failed, pc.fill_null(pc.not_equal(pc.floor(users), users), False))
    missing("users", "users_missing", "fill in the number of users")
    report("users", users_failed, "users_not_a_number", "is not a whole number of users")

    end_date, date_failed = parse_date(column("contract_end_date"), iso_and_time=True)
    missing(
        "contract_end_date",
        "contract_end_date_missing",
        "fill in the end date of the contract (dd-mm-yyyy)",
    )
    report("contract_end_date", date_failed, "contract_end_date_not_a_date", "is not a date")

    components = _components(column("gemma_components"))
    missing("gemma_components", "gemma_component_missing", "fill in the GEMMA reference component")

    columns = {
        "application_name": given("application_name"),
        "supplier": given("supplier"),
        "version": given("version"),
        "gemma_components": components,
        "hosting": hosting,
        "licence_cost": pc.if_else(cost_failed, None, cost),
        "users": pc.cast(pc.if_else(users_failed, None, users), pa.int64()),
        "department": given("department"),
        "contract_end_date": pc.if_else(date_failed, None, end_date),
        "lifecycle_status": status,
        "gaps": _absent_gaps(match, n),
    }
    return columns, problems, notes


def _components(cells: pa.Array) -> pa.Array:
    """Each cell split into trimmed names; [] for a blank cell."""
    trimmed = pc.utf8_trim(pc.fill_null(cells, ""), _SEPARATOR_CHARACTERS)
    names = pc.split_pattern_regex(trimmed, _COMPONENT_SEPARATORS)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar([], names.type), names)


def _duplicates(
    names: pa.Array, column, source_rows: pa.Array, header: dict[str, str]
) -> list[RowProblem]:
    """A row with the same application, version and department as an earlier row."""
    keys = pa.table(
        {
            "name": pc.utf8_lower(names),
            "version": pc.fill_null(pc.utf8_lower(column("version")), ""),
            "department": pc.fill_null(pc.utf8_lower(column("department")), ""),
            "row": source_rows,
        }
    ).filter(pc.invert(blank(names)))
    first = keys.group_by(["name", "version", "department"]).aggregate([("row", "min")])
    joined = keys.join(first, ["name", "version", "department"])
    later = joined.filter(pc.not_equal(joined["row"], joined["row_min"])).sort_by("row")
    label = header["application_name"]
    return [
        RowProblem(
            source_row=row,
            column=label,
            value=None,
            rule="application_duplicate",
            message=(
                f"column `{label}`: the same application, version and department as row {first_row}; "
                "one row per application (the first one landed)"
            ),
            field="application_name",
        )
        for row, first_row in zip(
            later["row"].to_pylist(), later["row_min"].to_pylist(), strict=True
        )
    ]


def _absent_gaps(match: ColumnMatch, n: int) -> pa.Array:
    """A soft column the file does not have at all is a gap in every row (no cell to quarantine)."""
    rules = [rule for name, rule in _GAP_OF_ABSENT.items() if name not in match.positions]
    return pa.array([rules] * n, GAPS_FIELD.type)
