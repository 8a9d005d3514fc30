"""HR training records (`training.csv`) to TRAINING_SCHEMA; personal data is removed at parse time.

Shape: one row per employee and course, plus one row with an empty course for each employee
without training in the year, so the FTE of every employee is in the same file (the share of
employees trained and training per FTE need the whole workforce, not only those who trained).

Privacy: only the columns of the alias table are kept; names, e-mail addresses and every other
column are dropped before any value is parsed, personal data typed into the cells kept is replaced
by a marker (see scrub.py), and the employee id is replaced by its keyed pseudonym. Nothing the reader returns (rows, raw, notes, problems, header) holds a removed value.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.header_matching import ColumnMatch, match_columns, normalise_header
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import (
    TRAINING_SCHEMA,
    ParsedDelivery,
    RowProblem,
    gaps_of,
    problems_where,
    with_lineage,
)
from pipelines.contract.vocabulary import (
    column_aliases,
    personal_columns,
    required_columns,
    value_words,
)
from pipelines.readers.dutch_csv import (
    SOURCE_ROW,
    line_problems,
    read_text_csv,
    refuse_broken_rows,
)
from pipelines.readers.dutch_values import (
    blank,
    lookup_values,
    parse_amount,
    parse_date,
    parse_number,
    unknown_words_note,
)
from pipelines.readers.pseudonymise import pseudonymise_array
from pipelines.readers.register_fields import RegisterFields
from pipelines.readers.scrub import scrub_note, scrub_table

_PSEUDONYM_SUFFIX = " (pseudonym)"


def read_training(
    delivery: Delivery, pseudonymise: Callable[[str], str], profile: KindProfile | None = None
) -> ParsedDelivery:
    """Read training records into TRAINING_SCHEMA; employee ids leave only as pseudonyms.

    profile: the municipality's own headers and course-category words, if it has them."""
    label = delivery.relative_path
    profile = profile or KindProfile()
    csv_text = read_text_csv(delivery.path, file=label)
    refuse_broken_rows(csv_text, label)
    notes, source_rows = csv_text.notes, csv_text.source_rows
    match = match_columns(
        csv_text.table.column_names,
        column_aliases("training"),
        required_columns("training"),
        file=label,
        show_found=False,
        profile_columns=profile.columns,
    )
    notes.extend(_column_notes(match))
    # Only the contract's columns survive this line; everything personal is gone after it.
    text = _contract_columns(csv_text.table, match)
    id_header = match.headers["employee_id"]
    # Every cell kept, free text or not, since a value that fails to parse is quoted in problems
    # and quarantine; the employee id is replaced by its pseudonym below.
    text, scrubbed = scrub_table(text, [name for name in text.column_names if name != id_header])
    if note := scrub_note(scrubbed):
        notes.append(note)
    ids = pc.utf8_trim_whitespace(text.column(id_header).combine_chunks())
    keys = pseudonymise_array(pc.if_else(blank(ids), None, ids), pseudonymise)
    text = _replace_ids(text, id_header, keys)
    columns, problems, value_notes = _normalise(text, source_rows, match, keys, profile)
    # a line that cannot be split into columns cannot lose its personal ones: no text kept
    problems += line_problems(csv_text, keep_text=False)
    notes.extend(value_notes)
    delivery_id = delivery.content_hash()
    rows = with_lineage(TRAINING_SCHEMA, columns, source_rows, delivery, delivery_id)
    notes.extend(_consistency_notes(rows))
    order = {name: i for i, name in enumerate(match.headers.values())}
    problems.sort(key=lambda p: (p.source_row, order.get(p.column, len(order))))
    return ParsedDelivery(
        delivery=delivery,
        delivery_id=delivery_id,
        rows=rows,
        raw=text.add_column(0, SOURCE_ROW, source_rows),
        notes=notes,
        row_problems=problems,
        header={
            "format": "csv",
            "encoding": csv_text.encoding,
            "header_row": 1,
            "columns": match.headers,
        },
    )


def _column_notes(match: ColumnMatch) -> list[str]:
    known = personal_columns("training").values()
    personal_keys = {normalise_header(a) for aliases in known for a in aliases}
    personal = [name for name in match.unknown if normalise_header(name) in personal_keys]
    other = [name for name in match.unknown if normalise_header(name) not in personal_keys]
    notes = []
    if personal:
        listed = ", ".join(f"`{name}`" for name in personal)
        notes.append(f"columns with personal data dropped, never stored: {listed}")
    if other:
        listed = ", ".join(f"`{name}`" for name in other)
        notes.append(f"columns not in the data contract dropped: {listed}")
    return notes + match.duplicates


def _contract_columns(text: pa.Table, match: ColumnMatch) -> pa.Table:
    names = list(match.headers.values())
    return pa.Table.from_arrays(
        [text.column(match.positions[c]).combine_chunks() for c in match.headers], names=names
    )


def _replace_ids(text: pa.Table, id_header: str, keys: pa.Array) -> pa.Table:
    position = text.column_names.index(id_header)
    return text.set_column(position, id_header + _PSEUDONYM_SUFFIX, keys)


def _normalise(
    text: pa.Table, source_rows: pa.Array, match: ColumnMatch, keys: pa.Array, profile: KindProfile
) -> tuple[dict[str, pa.Array], list[RowProblem], list[str]]:
    notes: list[str] = []
    header = match.headers
    fields = RegisterFields(text, header, header, source_rows)
    column, report, problems = fields.column, fields.report, fields.problems

    has_course = pc.invert(blank(column("course")))
    problems.extend(
        problems_where(
            pc.is_null(keys),
            source_rows,
            keys,
            column=header["employee_id"],
            rule="employee_id_missing",
            message="column `{column}`: empty; every row needs the employee number",
            field="employee_id",
        )
    )

    fte, fte_failed = parse_number(column("fte"))
    report(
        "fte", blank(column("fte")), "fte_missing", "empty; fill in the FTE (e.g. 0,89)", show=False
    )
    report("fte", fte_failed, "fte_not_a_number", "is not a number (decimal comma, e.g. 0,89)")

    category = lookup_values(
        column("course_category"),
        value_words("training", "course_category"),
        profile.values.get("course_category"),
    )
    category_given = pc.invert(blank(column("course_category")))
    other = pc.and_(category_given, pc.is_null(category))
    if pc.any(other).as_py():
        notes.append(
            unknown_words_note(
                column("course_category").filter(other),
                header["course_category"],
                "unknown categories counted as other (not ICT)",
            )
        )
        category = pc.if_else(other, "other", category)

    # the employee's ICT role, optional: blank is no ICT role, an unknown word counts as other
    role = lookup_values(
        column("role"), value_words("training", "role"), profile.values.get("role")
    )
    other_role = pc.and_(pc.invert(blank(column("role"))), pc.is_null(role))
    if pc.any(other_role).as_py():
        notes.append(
            unknown_words_note(
                column("role").filter(other_role),
                header["role"],
                "unknown roles counted as other (map them in the delivery profile)",
            )
        )
        role = pc.if_else(other_role, "other", role)
    gaps = gaps_of({"course_category_unknown": other, "role_unknown": other_role})
    needed = pc.and_(has_course, blank(column("course_category")))
    report(
        "course_category",
        needed,
        "course_category_missing",
        "empty; fill in ICT or other",
        show=False,
    )

    hours, hours_failed = parse_number(column("hours"))
    report(
        "hours",
        pc.and_(has_course, blank(column("hours"))),
        "hours_missing",
        "empty; fill in the hours of the course",
        show=False,
    )
    report("hours", hours_failed, "hours_not_a_number", "is not a number of hours (e.g. 7,5)")

    cost, cost_failed = parse_amount(column("cost"))
    if "cost" in header:
        report("cost", cost_failed, "cost_not_an_amount", "is not an amount")

    date, date_failed = parse_date(column("training_date"), iso_and_time=True)
    report(
        "training_date",
        pc.and_(has_course, blank(column("training_date"))),
        "training_date_missing",
        "empty; fill in the date of the course (dd-mm-yyyy)",
        show=False,
    )
    report("training_date", date_failed, "training_date_not_a_date", "is not a date (dd-mm-yyyy)")

    training_values = [
        category_given,
        pc.invert(blank(column("hours"))),
        pc.invert(blank(column("cost"))),
        pc.invert(blank(column("training_date"))),
    ]
    orphan = pc.invert(has_course)
    any_value = training_values[0]
    for mask in training_values[1:]:
        any_value = pc.or_(any_value, mask)
    report(
        "course",
        pc.and_(orphan, any_value),
        "course_missing",
        "empty, but the row has hours, cost, a date or a category; fill in the course, "
        "or clear those cells for an employee without training",
        show=False,
    )

    department = column("department")
    columns = {
        "employee_key": keys,
        "department": pc.if_else(blank(department), None, department),
        "fte": fte,
        "role": role,
        "course": pc.if_else(has_course, column("course"), None),
        "course_category": pc.if_else(has_course, category, None),
        "hours": pc.if_else(has_course, hours, None),
        "cost": pc.if_else(has_course, cost, None),
        "training_date": pc.if_else(has_course, date, None),
        "gaps": gaps,
    }
    return columns, problems, notes


def _consistency_notes(rows: pa.Table) -> list[str]:
    """FTE, department and role repeat on every row of an employee; differences are worth a look."""
    known = rows.filter(pc.is_valid(rows.column("employee_key")))
    grouped = known.group_by("employee_key").aggregate(
        [("fte", "count_distinct"), ("department", "count_distinct"), ("role", "count_distinct")]
    )
    notes = []
    for name, label in (("fte", "FTE"), ("department", "department"), ("role", "role")):
        differing = pc.sum(pc.greater(grouped.column(f"{name}_count_distinct"), 1)).as_py() or 0
        if differing:
            notes.append(f"employees with a different {label} on different rows: {differing}")
    return notes
