"""Dutch CSV exports (`;`, UTF-8 with or without BOM, or Windows-1252) read as all-text tables.

Every field stays the text that was delivered, so quarantine can show it; `dutch_values` types
it column by column. Row numbers are the line each record starts on (the header is line 1), as
an editor shows them, also when a quoted field holds a newline.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.contract.errors import UnreadableFile, WrongLayout

DELIMITER = ";"
SOURCE_ROW = "source_row"  # the lineage column every raw table gets; a file column is renamed
_CHUNK = 1 << 20
_SEPARATORS = ((",", "a comma (',')"), ("\t", "tabs"), ("|", "a pipe ('|')"))


@dataclass(frozen=True)
class BrokenRow:
    """A record that does not have the header's number of fields."""

    line: int
    fields: int
    text: str  # the record as delivered: may hold personal data, so never put it in a message


@dataclass
class TextTable:
    """Every field as text (`""` when empty), the file's blank rows left out."""

    table: pa.Table  # columns named by the header, made unique (see unique_names)
    header: list[str]  # the file's own column names, trimmed; a name may occur twice
    source_rows: pa.Array  # int64: the line each record starts on
    encoding: str  # "utf-8" or "windows-1252"
    notes: list[str] = field(default_factory=list)
    broken_rows: list[BrokenRow] = field(default_factory=list)


def read_text_csv(path: Path, *, file: Path | str | None = None) -> TextTable:
    """Read a `;`-separated file with one header line into an all-text table.

    `file` is how errors name the file (the delivery's relative path); it defaults to `path`.
    Records with too few or too many fields are returned as `broken_rows`: whether they reject
    the file or only their row is the caller's decision.
    """
    path = Path(path)
    file = path if file is None else file
    encoding, encoding_note = _detect_encoding(path, file)
    header = _read_header(path, encoding, file)
    positional = [f"c{i}" for i in range(len(header))]
    broken: list[tuple[int | None, int, str]] = []

    def collect(row: pacsv.InvalidRow) -> str:
        broken.append((row.number, row.actual_columns, row.text))
        return "skip"

    def read(use_threads: bool) -> pa.Table:
        broken.clear()
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=positional,
                skip_rows=1,
                encoding="cp1252" if encoding == "windows-1252" else "utf-8",
                use_threads=use_threads,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=DELIMITER,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=collect,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positional, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        table = read(use_threads=True)
        if any(number is None for number, _, _ in broken):
            table = read(use_threads=False)  # only a single-threaded read numbers broken rows
    except pa.ArrowInvalid as error:
        # Arrow's message quotes a line of the file (possibly personal data): keep it out of ours.
        raise UnreadableFile(
            "the file could not be parsed as `;`-separated CSV (check quotes around text)",
            file=file,
            hint="Export the file again; text containing `;` must be between double quotes.",
        ) from error

    starts, broken_rows = _line_numbers(table, broken)
    table = table.rename_columns(unique_names(header))
    table, starts, blank_lines = _without_blank_rows(table, starts)
    blank_lines += [row.line for row in broken_rows if not row.text.strip()]
    notes = [encoding_note] if encoding_note else []
    if blank_lines:
        notes.append(_blank_rows_note(blank_lines))
    return TextTable(
        table=table,
        header=header,
        source_rows=starts,
        encoding=encoding,
        notes=notes,
        broken_rows=[row for row in broken_rows if row.text.strip()],
    )


def refuse_broken_rows(text: TextTable, file: Path | str) -> None:
    """Reject the file if a record does not have the header's number of fields."""
    if not text.broken_rows:
        return
    first = text.broken_rows[0]
    more = f" ({len(text.broken_rows)} rows like this)" if len(text.broken_rows) > 1 else ""
    raise WrongLayout(
        f"{first.fields} fields where the header has {len(text.header)}{more}",
        file=file,
        row=first.line,
        hint="A `;` inside a text field needs double quotes around the field.",
    )


def _detect_encoding(path: Path, file: Path | str) -> tuple[str, str | None]:
    """(`utf-8`, None) for UTF-8 with or without BOM; else (`windows-1252`, a note saying so).

    A file that is neither is UnreadableFile, as are empty, UTF-16 and binary files.
    """
    offset = 0
    with path.open("rb") as handle:
        chunk = handle.read(_CHUNK)
        _refuse_non_text(chunk, file)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk:
                decoder.decode(chunk)
                offset += len(chunk)
                chunk = handle.read(_CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            _check_cp1252(path, file)
            held_back = len(error.object) - len(chunk)  # a character split over two chunks
            first = offset - held_back + error.start
            return "windows-1252", (
                f"not valid UTF-8 (first non-UTF-8 byte at offset {first}); read as Windows-1252"
            )
    return "utf-8", None


def _refuse_non_text(start: bytes, file: Path | str) -> None:
    if not start:
        raise UnreadableFile(
            "the file is empty (0 bytes)",
            file=file,
            hint="Export the file again and re-deliver it.",
        )
    if start.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "this is an Excel workbook (or another ZIP file), not a CSV text file",
            file=file,
            hint="Save it as CSV (separator `;`), or deliver an asset register as .xlsx.",
        )
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in start:
        raise UnreadableFile(
            "the file is UTF-16 or binary, not CSV text in UTF-8 or Windows-1252",
            file=file,
            hint="In Excel choose 'CSV UTF-8 (comma delimited)' or 'CSV (separator ;)'.",
        )


def _check_cp1252(path: Path, file: Path | str) -> None:
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                chunk.decode("cp1252")  # single-byte: no state across chunks
            except UnicodeDecodeError as error:
                at = offset + error.start
                raise UnreadableFile(
                    f"the file is neither UTF-8 nor Windows-1252 text (byte "
                    f"0x{chunk[error.start]:02X} at offset {at})",
                    file=file,
                    hint="Export the file again as CSV UTF-8.",
                ) from None
            offset += len(chunk)


def _read_header(path: Path, encoding: str, file: Path | str) -> list[str]:
    """The column names on the first line, trimmed; WrongLayout for another separator."""
    python_encoding = "utf-8-sig" if encoding == "utf-8" else "cp1252"
    with path.open("r", encoding=python_encoding, newline="") as handle:
        first_line = handle.readline()
    header = [
        name.strip() for name in next(csv.reader(io.StringIO(first_line), delimiter=DELIMITER), [])
    ]
    if not any(header):
        raise UnreadableFile(
            "the first row is empty; expected a header row with column names",
            file=file,
            row=1,
            hint="Put the column names in the first row.",
        )
    if len(header) == 1:
        for separator, name in _SEPARATORS:
            if separator in header[0]:
                raise WrongLayout(
                    f"the columns are separated by {name}; expected ';'",
                    file=file,
                    row=1,
                    hint="Export with separator `;` "
                    "(Dutch Excel: 'CSV (gescheiden door lijstscheidingsteken)').",
                )
    return header


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique and non-empty, keeping the file's own spelling where possible."""
    seen: dict[str, int] = {SOURCE_ROW: 1}
    result = []
    for position, name in enumerate(names, start=1):
        name = name.strip().lstrip("\ufeff") or f"column {position}"
        count = seen.get(name.casefold(), 0)
        seen[name.casefold()] = count + 1
        result.append(name if count == 0 else f"{name} ({count + 1})")
    return result


def drop_blank_rows(table: pa.Table, source_rows: pa.Array) -> tuple[pa.Table, pa.Array, list[str]]:
    """Leave out rows in which every cell is empty (`;;;;` lines, formatted Excel rows)."""
    table, source_rows, lines = _without_blank_rows(table, source_rows)
    return table, source_rows, [_blank_rows_note(lines)] if lines else []


def _blank_rows_note(lines: list[int]) -> str:
    return f"empty rows skipped: {len(lines)} (first at row {min(lines)})"


def _without_blank_rows(
    table: pa.Table, source_rows: pa.Array
) -> tuple[pa.Table, pa.Array, list[int]]:
    empty = None
    # A row with a filled cell is not blank: most files are done after their first column.
    for column in table.columns:
        blank = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(column)), 0), True)
        empty = blank if empty is None else pc.and_(empty, blank)
        if not pc.any(empty).as_py():
            return table, source_rows, []
    if empty is None:
        return table, source_rows, []
    empty = empty.combine_chunks() if isinstance(empty, pa.ChunkedArray) else empty
    lines = source_rows.filter(empty).to_pylist()
    keep = pc.invert(empty)
    return table.filter(keep), source_rows.filter(keep), lines


def _line_numbers(
    table: pa.Table, broken: list[tuple[int, int, str]]
) -> tuple[pa.Array, list[BrokenRow]]:
    """Turn Arrow's record numbers (header = 1) into the line each record starts on.

    Records and lines differ when a quoted field holds a newline; editors and controllers count lines.
    """
    total = table.num_rows + len(broken)
    spans = np.ones(total, dtype=np.int64)
    is_valid = np.ones(total, dtype=bool)
    for number, _, text in broken:
        index = number - 2
        is_valid[index] = False
        spans[index] += text.count("\n")
    embedded = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        embedded += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    spans[is_valid] += embedded
    starts = 2 + np.cumsum(spans) - spans
    broken_rows = [BrokenRow(int(starts[n - 2]), count, text) for n, count, text in broken]
    return pa.array(starts[is_valid], pa.int64()), broken_rows
