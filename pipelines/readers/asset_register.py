"""Hardware asset registers (TOPdesk / Lansweeper CMDB exports, CSV or XLSX) to ASSET_SCHEMA."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.contract.delivery import Delivery
from pipelines.contract.errors import UnreadableFile
from pipelines.contract.header_matching import (
    ColumnMatch,
    count_known,
    match_columns,
    normalise_header,
    with_profile,
)
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import (
    ASSET_SCHEMA,
    ParsedDelivery,
    RowProblem,
    gaps_where,
    problems_where,
    with_lineage,
)
from pipelines.contract.vocabulary import (
    Aliases,
    column_aliases,
    personal_columns,
    required_columns,
    value_words,
)
from pipelines.readers.dutch_csv import (
    SOURCE_ROW,
    drop_blank_rows,
    line_problems,
    read_text_csv,
    refuse_broken_rows,
    unique_names,
)
from pipelines.readers.dutch_values import (
    blank,
    lookup_values,
    parse_amount,
    parse_date,
    parse_number,
)
from pipelines.readers.scrub import scrub_array, scrub_note, scrub_table
from pipelines.readers.xlsx_formulas import uncomputed_formulas
from pipelines.readers.zip_limits import check_zip

_HEADER_SEARCH_ROWS = 30  # title and logo rows above the header in Excel exports
_MIN_KNOWN_HEADERS = 3
_YEARS_SUFFIX = r"(?i)\s*(jaren|jaar|jr|years|year|yrs|y)\.?$"


def read_asset_register(delivery: Delivery, profile: KindProfile | None = None) -> ParsedDelivery:
    """Read an asset register (CSV or XLSX) into ASSET_SCHEMA, with the problems of each row.

    profile: the municipality's own headers, device and status words and sheet, if it has them.
    """
    label = delivery.relative_path
    profile = profile or KindProfile()
    register = read_register_text(delivery.path, label, profile)
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
    personal = _personal_headers(match.unknown)
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
    problems = _scrubbed_problems(problems)
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


def _personal_headers(unknown: list[str]) -> list[str]:
    personal = {
        normalise_header(alias)
        for aliases in personal_columns("assets").values()
        for alias in aliases
    }
    return [name for name in unknown if normalise_header(name) in personal]


def _scrubbed_problems(problems: list[RowProblem]) -> list[RowProblem]:
    """Problems quote the value at fault: personal data in it is replaced as in the raw text."""
    quoted = [i for i, problem in enumerate(problems) if problem.value]
    if not quoted:
        return problems
    values = pa.array([problems[i].value for i in quoted], pa.string())
    scrubbed, found = scrub_array(values)
    if not found:
        return problems
    problems = list(problems)
    for i, before, after in zip(quoted, values.to_pylist(), scrubbed.to_pylist(), strict=True):
        if before != after:
            problem = problems[i]
            problems[i] = replace(
                problem, value=after, message=problem.message.replace(before, after)
            )
    return problems


@dataclass
class RegisterText:
    """A register as the controller sees it: every cell as text, rows numbered as in the file."""

    table: pa.Table  # columns named by the header row, made unique
    source_rows: pa.Array  # int64: CSV line or Excel row of each record
    header_row: int
    notes: list[str]
    meta: dict[str, object]  # format, and the encoding or the sheet
    line_problems: list[RowProblem] = field(default_factory=list)  # CSV lines that are no row


def read_register_text(
    path: Path, label: str, profile: KindProfile | None = None, *, guess_header: bool = False
) -> RegisterText:
    """The register's text table: a CSV file, or the sheet and header row of a workbook.

    guess_header: when no row of the workbook names enough known columns, take the widest of
    its top rows on its fullest sheet as the header, instead of the first row (for proposing a
    profile for a layout nobody knows yet)."""
    profile = profile or KindProfile()
    if path.suffix.lower() == ".xlsx":
        aliases = with_profile(column_aliases("assets"), profile.columns)
        text, source_rows, header_row, notes, meta = _read_xlsx_text(
            path, label, aliases, profile.sheet, guess_header=guess_header
        )
        text, source_rows, blank_notes = drop_blank_rows(text, source_rows)
        return RegisterText(text, source_rows, header_row, notes + blank_notes, meta)
    csv_text = read_text_csv(path, file=label)
    refuse_broken_rows(csv_text, label)
    meta: dict[str, object] = {"format": "csv", "encoding": csv_text.encoding}
    return RegisterText(
        csv_text.table, csv_text.source_rows, 1, csv_text.notes, meta, line_problems(csv_text)
    )


def _normalise(
    text: pa.Table, source_rows: pa.Array, match: ColumnMatch, profile: KindProfile
) -> tuple[dict[str, pa.Array], list[RowProblem], list[str]]:
    problems: list[RowProblem] = []
    notes: list[str] = []
    header = match.headers
    empty = pa.nulls(text.num_rows, pa.string())

    def column(name: str) -> pa.Array:
        if name not in match.positions:
            return empty
        return pc.utf8_trim_whitespace(text.column(match.positions[name]).combine_chunks())

    def require(name: str, rule: str, what: str) -> None:
        problems.extend(
            problems_where(
                blank(column(name)),
                source_rows,
                None,
                column=header[name],
                rule=rule,
                message="column `{column}`: empty; " + what,
                field=name,
            )
        )

    def failed(name: str, mask: pa.Array, rule: str, what: str) -> None:
        problems.extend(
            problems_where(
                mask,
                source_rows,
                column(name),
                column=header[name],
                rule=rule,
                message="column `{column}`: '{value}' " + what,
                field=name,
            )
        )

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
        notes.append(_unmapped_note(column("asset_class").filter(unmapped), header["asset_class"]))
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


def _unmapped_note(values: pa.Array, header: str) -> str:
    counts = pc.value_counts(values).to_pylist()
    counts.sort(key=lambda item: (-item["counts"], item["values"]))
    listed = ", ".join(f"'{item['values']}' ({item['counts']})" for item in counts[:10])
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    return f"column `{header}`: unknown asset classes counted as other: {listed}{more}"


def _column_order(text: pa.Table, column: str | None) -> int:
    names = text.column_names
    return names.index(column) if column in names else len(names)


def _read_xlsx_text(
    path: Path, label: str, aliases: Aliases, sheet: str | None, *, guess_header: bool = False
) -> tuple[pa.Table, pa.Array, int, list[str], dict[str, object]]:
    """One sheet as an all-text table; source rows are Excel's own row numbers.

    The sheet is the profile's, else the first whose top rows hold a header of the register
    (an export may start with a cover sheet), else the first (with guess_header: the fullest)."""
    _check_is_xlsx(path, label)
    limits = check_zip(path, label)  # before calamine: it inflates and fills whatever it is given
    try:
        workbook = CalamineWorkbook.from_path(path)
        names = workbook.sheet_names
        if sheet is not None:
            chosen = [n for n in names if n.casefold() == sheet.casefold()]
            if not chosen:
                raise UnreadableFile(
                    f"the delivery profile names the sheet '{sheet}', which the workbook lacks",
                    file=label,
                    hint="Sheets: " + ", ".join(f"'{n}'" for n in names) + ".",
                )
            candidates = chosen
        else:
            candidates = names
        sheets = (
            (n, workbook.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in candidates
        )
        found = None
        recognised = False
        for sheet_name, cells in sheets:
            if _header_row(cells, aliases) is not None:
                found, recognised = (sheet_name, cells), True
                break
            if found is None or (guess_header and _filled_rows(cells) > _filled_rows(found[1])):
                found = (sheet_name, cells)
        sheet_name, cells = found if found else (names[0], [])
    except (CalamineError, IndexError, ValueError) as error:
        raise UnreadableFile(
            f"the workbook could not be opened ({type(error).__name__}: {error})",
            file=label,
            hint="Open it in Excel, save it as .xlsx again and re-deliver it.",
        ) from error
    if limits.formula_parts:
        _refuse_uncomputed_formulas(path, label, sheet_name, limits.formula_parts)
    if guess_header and not recognised:
        header_index = _widest_top_row(cells, label)
    else:
        header_index = _find_header(cells, label, aliases)
    header_cells = [_cell_text(cell) or "" for cell in cells[header_index]]
    body = cells[header_index + 1 :]
    width = _used_width(header_cells, body)
    names = unique_names(header_cells[:width])
    columns = [
        pa.array([_cell_text(row[i]) if i < len(row) else None for row in body], pa.string())
        for i in range(width)
    ]
    table = pa.Table.from_arrays(columns, names=names)
    first_row = header_index + 2  # Excel rows are 1-based; data starts below the header
    source_rows = pa.array(range(first_row, first_row + len(body)), pa.int64())
    notes = []
    if header_index > 0:
        notes.append(f"header found on row {header_index + 1}; rows above it skipped")
    meta: dict[str, object] = {"format": "xlsx", "sheet": sheet_name}
    return table, source_rows, header_index + 1, notes, meta


def _refuse_uncomputed_formulas(path: Path, label: str, sheet: str, parts: list[str]) -> None:
    """A formula whose result was never computed reads as an empty cell: say what it is."""
    cells = uncomputed_formulas(path, sheet, parts)
    if not cells:
        return
    more = f" (and {len(cells) - 1} more cells)" if len(cells) > 1 else ""
    raise UnreadableFile(
        f"formula without a computed value in {sheet}!{cells[0]}{more}; open the workbook in "
        "Excel and save it again",
        file=label,
        hint="The program that wrote the file did not calculate its formulas; Excel does so "
        "when it saves.",
    )


def _check_is_xlsx(path: Path, label: str) -> None:
    with path.open("rb") as handle:
        start = handle.read(4096)
    if not start:
        raise UnreadableFile("the file is empty (0 bytes)", file=label)
    if start.startswith(b"PK\x03\x04"):
        return
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            "this is an old Excel 97-2003 (.xls) workbook, not .xlsx",
            file=label,
            hint="Open it in Excel and save it as 'Excel Workbook (*.xlsx)'.",
        )
    if _looks_like_csv(start):
        raise UnreadableFile(
            "the file is named .xlsx but contains CSV text, not an Excel workbook",
            file=label,
            hint="Rename it to assets.csv (or save it from Excel as .xlsx) and deliver it again.",
        )
    raise UnreadableFile(
        "the file is not an Excel .xlsx workbook",
        file=label,
        hint="Export the asset register as .xlsx or as CSV (separator `;`).",
    )


def _looks_like_csv(start: bytes) -> bool:
    if b"\x00" in start:
        return False
    text = start.decode("utf-8", errors="replace")
    return any(separator in text for separator in (";", ",", "\t")) and "\n" in text


def _header_row(cells: list[list[object]], aliases: Aliases) -> int | None:
    """The first of the top rows naming enough known columns to be the register's header."""
    for index, row in enumerate(cells[:_HEADER_SEARCH_ROWS]):
        if count_known([_cell_text(c) or "" for c in row], aliases) >= _MIN_KNOWN_HEADERS:
            return index
    return None


def _find_header(cells: list[list[object]], label: str, aliases: Aliases) -> int:
    """The header row; else the first non-empty row (to report what it lacks)."""
    found = _header_row(cells, aliases)
    if found is not None:
        return found
    for index, row in enumerate(cells):
        if any(_cell_text(c) for c in row):
            return index
    raise UnreadableFile("the sheet of the workbook is empty", file=label)


def _filled(row: Sequence[object]) -> int:
    return sum(1 for cell in row if _cell_text(cell))


def _filled_rows(cells: list[list[object]]) -> int:
    return sum(1 for row in cells if _filled(row))


def _widest_top_row(cells: list[list[object]], label: str) -> int:
    """A header nobody knows yet: the first of the top rows with the most filled cells (title
    rows above it fill one or two)."""
    widths = [_filled(row) for row in cells[:_HEADER_SEARCH_ROWS]]
    if not widths or max(widths) == 0:
        raise UnreadableFile("the sheet of the workbook is empty", file=label)
    return widths.index(max(widths))


def _used_width(header: list[str], body: Sequence[Sequence[object]]) -> int:
    width = max((i + 1 for i, name in enumerate(header) if name.strip()), default=0)
    for row in body:
        width = max(width, max((i + 1 for i, c in enumerate(row) if _cell_text(c)), default=0))
    return width


def _cell_text(cell: object) -> str | None:
    """Excel cell -> the text a Dutch CSV export would hold (`1234,5`, `14-03-2024`)."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, dt.date):
        return cell.strftime("%d-%m-%Y")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if cell.is_integer():
            return str(int(cell))
        # Six decimals absorb binary noise (0.1 + 0.2) without touching real cents.
        return f"{cell:.6f}".rstrip("0").replace(".", ",")
    return str(cell)
