"""Registers exported from a CMDB or a spreadsheet (CSV or XLSX) as all-text tables, every cell
the text a controller sees, rows numbered as in the file.

A workbook is checked against the zip limits before it is parsed, refused when a formula has no
computed value, and its sheet and header row are found by the kind's header aliases (an export
may start with a cover sheet, and title rows above the header).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.contract.errors import UnreadableFile
from pipelines.contract.header_matching import count_known, with_profile
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import RowProblem
from pipelines.contract.vocabulary import Aliases
from pipelines.readers.dutch_csv import (
    drop_blank_rows,
    line_problems,
    read_text_csv,
    refuse_broken_rows,
    unique_names,
)
from pipelines.readers.xlsx_formulas import uncomputed_formulas
from pipelines.readers.zip_limits import check_zip

_HEADER_SEARCH_ROWS = 30  # title and logo rows above the header in Excel exports
MIN_KNOWN_HEADERS = 3


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
    path: Path,
    label: str,
    aliases: Aliases,
    profile: KindProfile | None = None,
    *,
    guess_header: bool = False,
) -> RegisterText:
    """The register's text table: a CSV file, or the sheet and header row of a workbook.

    aliases: the kind's built-in header aliases, by which a workbook's header row is found
    (the profile's own headers first).

    guess_header: when no row of the workbook names enough known columns, take the widest of
    its top rows on its fullest sheet as the header, instead of the first row (for proposing a
    profile for a layout nobody knows yet)."""
    profile = profile or KindProfile()
    if path.suffix.lower() == ".xlsx":
        aliases = with_profile(aliases, profile.columns)
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
            hint=f"Rename it to {Path(label).stem}.csv (or save it from Excel as .xlsx) and "
            "deliver it again.",
        )
    raise UnreadableFile(
        "the file is not an Excel .xlsx workbook",
        file=label,
        hint="Export it as .xlsx or as CSV (separator `;`).",
    )


def _looks_like_csv(start: bytes) -> bool:
    if b"\x00" in start:
        return False
    text = start.decode("utf-8", errors="replace")
    return any(separator in text for separator in (";", ",", "\t")) and "\n" in text


def _header_row(cells: list[list[object]], aliases: Aliases) -> int | None:
    """The first of the top rows naming enough known columns to be the register's header."""
    for index, row in enumerate(cells[:_HEADER_SEARCH_ROWS]):
        if count_known([_cell_text(c) or "" for c in row], aliases) >= MIN_KNOWN_HEADERS:
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
