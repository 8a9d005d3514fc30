"""Dutch CSV exports (`;`, decimal comma, dd-mm-yyyy, UTF-8 or Windows-1252) read as text, then typed.

Reading everything as text first keeps the original value of every field for quarantine; typing is
done column-wise by dutch_values, and a value that does not parse becomes a row problem, not a
crash.
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

from pipelines.readers.errors import UnreadableFile, WrongLayout

UTF8_BOM = codecs.BOM_UTF8
SOURCE_ROW = "source_row"


@dataclass
class TextTable:
    """Every field as text, named by the file's own header, with the line each record starts on."""

    table: pa.Table
    header: list[str]
    encoding: str
    notes: list[str] = field(default_factory=list)
    # (line, text, reason) of records that could not be split into the header's columns
    broken_rows: list[tuple[int, str, str]] = field(default_factory=list)


def detect_encoding(path: Path, chunk_size: int = 1 << 20) -> tuple[str, str | None]:
    """Return (pyarrow encoding, note): UTF-8 (BOM or not) or, if the bytes are not UTF-8, cp1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        first = handle.read(chunk_size)
        if not first:
            raise UnreadableFile("the file is empty (0 bytes)", file=path)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in first:
            raise UnreadableFile(
                "the file is UTF-16 or binary, not CSV text in UTF-8 or Windows-1252", file=path
            )
        chunk = first
        while chunk:
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as error:
                return _cp1252_or_fail(path, offset + error.start)
            offset += len(chunk)
            chunk = handle.read(chunk_size)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            return _cp1252_or_fail(path, offset + error.start)
    return "utf-8", None


def _cp1252_or_fail(path: Path, bad_offset: int) -> tuple[str, str]:
    with path.open("rb") as handle:
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                "the file is neither UTF-8 nor Windows-1252 text",
                file=path,
                hint="Export the file as CSV (UTF-8) from your financial package.",
            ) from error
    note = f"not valid UTF-8 (first non-UTF-8 byte at offset {bad_offset}); read as Windows-1252"
    return "cp1252", note


def read_header(path: Path, encoding: str) -> list[str]:
    with path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
        first_line = f.readline()
    if not first_line.strip():
        raise UnreadableFile("the first line is empty; expected a header row", file=path, row=1)
    header = next(csv.reader(io.StringIO(first_line), delimiter=";"))
    header = [name.strip() for name in header]
    if len(header) == 1:
        for separator, name in ((",", "comma"), ("\t", "tab")):
            if separator in header[0]:
                raise WrongLayout(
                    f"the columns are separated by a {name} ('{separator}'); expected ';'",
                    file=path,
                    row=1,
                    hint="Export with ';' as separator, as Dutch spreadsheet exports do.",
                )
    return header


def read_text_table(path: Path) -> TextTable:
    """Read a `;`-separated file with a header row into an all-text Arrow table."""
    encoding, note = detect_encoding(path)
    header = read_header(path, encoding)
    positional = [f"c{i}" for i in range(len(header))]
    broken: list[tuple[int | None, str]] = []

    def collect(row: pacsv.InvalidRow) -> str:
        broken.append((row.number, row.text, row.actual_columns))
        return "skip"

    def read(use_threads: bool) -> pa.Table:
        broken.clear()
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=positional, skip_rows=1, encoding=encoding, use_threads=use_threads
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=";",
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
            table = read(use_threads=False)  # only a single-threaded read knows line numbers
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise UnreadableFile(f"the file cannot be read as CSV: {error}", file=path) from error

    starts, invalid = _line_numbers(table, broken)
    table = table.rename_columns(header if len(set(header)) == len(header) else positional)
    table = table.append_column(SOURCE_ROW, pa.array(starts, pa.int64()))

    notes = [note] if note else []
    table, blank_lines = _drop_empty_records(table)
    blank_lines += [line for line, text, _ in invalid if not text.strip()]
    if blank_lines:
        first = min(blank_lines)
        notes.append(f"{len(blank_lines)} empty line(s) skipped (first at line {first})")
    broken_rows = [
        (line, text, f"has {count} field(s), the header has {len(header)}")
        for line, text, count in invalid
        if text.strip()
    ]
    return TextTable(table, header, encoding, notes, broken_rows)


def _drop_empty_records(table: pa.Table) -> tuple[pa.Table, list[int]]:
    empty = None
    for name in table.column_names:
        if name == SOURCE_ROW:
            continue
        blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(table[name])), 0)
        empty = blank if empty is None else pc.and_(empty, blank)
    if empty is None or not pc.any(empty).as_py():
        return table, []
    lines = table[SOURCE_ROW].filter(empty).to_pylist()
    return table.filter(pc.invert(empty)), lines


def _line_numbers(
    table: pa.Table, broken: list[tuple[int, str, int]]
) -> tuple[np.ndarray, list[tuple[int, str, int]]]:
    """Turn pyarrow's record numbers into the line each record starts on (header = line 1).

    Records and lines differ when a quoted field holds a newline; editors and controllers count lines.
    """
    total = table.num_rows + len(broken)
    spans = np.ones(total, dtype=np.int64)
    is_valid = np.ones(total, dtype=bool)
    for number, text, _ in broken:
        index = number - 2  # record 1 is the header
        is_valid[index] = False
        spans[index] += text.count("\n")
    embedded = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        embedded += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    spans[is_valid] += embedded
    starts = 2 + np.cumsum(spans) - spans
    invalid = [(int(starts[n - 2]), text, count) for n, text, count in broken]
    return starts[is_valid], invalid
