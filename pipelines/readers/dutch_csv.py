"""Dutch CSV exports (`;`, UTF-8 with or without BOM, or Windows-1252) read as all-text tables.

Every field stays the text that was delivered, so quarantine can show it; `dutch_values` types
it column by column. One physical line is one row, always: the row number is the line number
(the header is line 1), as an editor shows it, and rows read = data lines.

Quotes: a field may be between double quotes (to hold `;`), with a quote inside written as two.
A double quote inside unquoted text (`12" monitor`) is text. A line whose field opens a quote that
does not close on the same line, or has text after its closing quote, is an `unbalanced_quote`
line: it is returned alone, never joined to the lines after it. So a field spanning several lines
(a line break inside quotes) is not supported: each of its lines is reported as such. A line of
more than MAX_LINE_BYTES is a `line_too_long` line. Both are returned as `unreadable_lines`.

Arrow reads with quoting switched off (it would otherwise join every line up to the next quote into
one record, whatever newlines_in_values says); only the lines with a field that starts with an
unclosed-looking quote are split again in Python.

Because a line is a row, a file too large to hold whole can be read in parts cut after a line
break (read_text_csv_parts): each part is read as a file of its own (the header line and its
lines), with its line numbers moved on. The one thing that looks past a line, an opened quote
looking ahead for where it closes, stays inside a part: a cut follows _MAX_SPAN lines without a
double quote.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.contract.schemas import RowProblem

DELIMITER = ";"
SOURCE_ROW = "source_row"  # the lineage column every raw table gets; a file column is renamed
MAX_LINE_BYTES = 1 << 20  # one line, as UTF-8 text; real export lines are well under 1 KB
# Arrow needs each line inside one block and the next; cp1252 text grows up to 3x as UTF-8.
_BLOCK = 4 * MAX_LINE_BYTES
_CHUNK = 1 << 20
_SEPARATORS = ((",", "a comma (',')"), ("\t", "tabs"), ("|", "a pipe ('|')"))
_QUOTED = re.compile(r'"([^"]*+(?:""[^"]*+)*+)"')  # a quoted field, possessive: linear time
_COMPLETE = r'^"[^"]*(?:""[^"]*)*"$'  # the same, as a whole field (RE2 in Arrow)
_MAX_SPAN = 10  # lines looked ahead to tell a line break inside quotes from a stray quote
_SHOWN = 200  # characters of a too-long line kept for quarantine
UNBALANCED_QUOTE, LINE_TOO_LONG = "unbalanced_quote", "line_too_long"


@dataclass(frozen=True)
class BrokenRow:
    """A record that does not have the header's number of fields."""

    line: int
    fields: int
    text: str  # the record as delivered: may hold personal data, so never put it in a message


@dataclass(frozen=True)
class UnreadableLine:
    """A physical line that cannot be read as a row: it is quarantined alone, with its text."""

    line: int
    rule: str  # UNBALANCED_QUOTE or LINE_TOO_LONG
    message: str  # never quotes the text
    text: str  # as delivered (a too-long line: its start); may hold personal data


@dataclass
class TextTable:
    """Every field as text (`""` when empty), the file's blank rows left out."""

    table: pa.Table  # columns named by the header, made unique (see unique_names)
    header: list[str]  # the file's own column names, trimmed; a name may occur twice
    source_rows: pa.Array  # int64: the line of each record
    encoding: str  # "utf-8" or "windows-1252"
    notes: list[str] = field(default_factory=list)
    broken_rows: list[BrokenRow] = field(default_factory=list)
    unreadable_lines: list[UnreadableLine] = field(default_factory=list)


def read_text_csv(path: Path, *, file: Path | str | None = None) -> TextTable:
    """Read a `;`-separated file with one header line into an all-text table.

    `file` is how errors name the file (the delivery's relative path); it defaults to `path`.
    Records with too few or too many fields are returned as `broken_rows`: whether they reject
    the file or only their row is the caller's decision. Lines that cannot be read as a row at
    all are returned as `unreadable_lines` (see the module's doc).
    """
    path = Path(path)
    file = path if file is None else file
    encoding, encoding_note = _detect_encoding(path, file)
    header = _read_header(path, encoding, file)
    part, blank_lines = _read_lines(path, file, header, encoding, 0)
    return _with_notes(part, encoding_note, blank_lines)


def read_text_csv_parts(
    path: Path, *, file: Path | str | None = None, part_bytes: int
) -> Iterator[TextTable]:
    """read_text_csv a part of about part_bytes at a time, for a file too large to hold whole:
    the same rows, with the same line numbers; the last part has the file's notes.

    Every physical line is a row of its own, so the file is cut after a line break; only a quote
    that does not close looks at the lines after it (up to _MAX_SPAN), so a cut comes after
    _MAX_SPAN lines without a double quote."""
    path = Path(path)
    file = path if file is None else file
    encoding, encoding_note = _detect_encoding(path, file)
    header = _read_header(path, encoding, file)
    blank_lines: list[int] = []
    parts = list(_parts(path, part_bytes))
    for index, (start, end, first_line) in enumerate(parts):
        with _part_file(path, start, end) as part_path:
            part, blanks = _read_lines(part_path, file, header, encoding, first_line - 2)
        blank_lines += blanks
        if index == len(parts) - 1:
            part = _with_notes(part, encoding_note, blank_lines)
        yield part


def _with_notes(part: TextTable, encoding_note: str | None, blank_lines: list[int]) -> TextTable:
    notes = [encoding_note] if encoding_note else []
    if blank_lines:
        notes.append(_blank_rows_note(blank_lines))
    part.notes = notes
    return part


def _read_lines(
    path: Path, file: Path | str, header: list[str], encoding: str, line_offset: int
) -> tuple[TextTable, list[int]]:
    """The rows of a file whose first line is the header, and the lines of its blank rows; every
    line number `line_offset` further on (the file is a part of a larger one)."""
    positional = [f"c{i}" for i in range(len(header))]
    long_lines: list[tuple[int, int, int]] = []
    try:
        table, invalid = _arrow_read(path, positional, encoding)
    except pa.ArrowInvalid as error:
        if "straddl" not in str(error):
            # Arrow's message quotes a line of the file (possibly personal data): keep it out.
            raise UnreadableFile(
                "the file could not be parsed as `;`-separated CSV",
                file=file,
                hint="Export the file again as CSV (separator `;`).",
            ) from error
        # A line longer than Arrow's block: read again without the long lines' text.
        long_lines = _long_lines(path)
        spans = [(start, end) for _, start, end in long_lines]
        with io.BufferedReader(_LinesLeftOut(path, spans), _CHUNK) as stream:
            table, invalid = _arrow_read(stream, positional, encoding)

    lines = np.arange(2, 2 + table.num_rows + len(invalid), dtype=np.int64)
    is_valid = np.ones(len(lines), dtype=bool)
    is_valid[[number - 2 for number, _, _ in invalid]] = False
    valid_lines = lines[is_valid] + line_offset
    unreadable = [
        _too_long(line + line_offset, end - start, _start_text(path, start, encoding))
        for line, start, end in long_lines
    ]
    left_out = {line + line_offset for line, _, _ in long_lines}
    invalid = [
        (number + line_offset, count, text)
        for number, count, text in invalid
        if number + line_offset not in left_out
    ]
    table, valid_lines, long_rows = _without_long_rows(table, valid_lines)
    unreadable += long_rows

    table, valid_lines, broken, quote_lines = _split_quotes(
        table, valid_lines, invalid, len(header)
    )
    unreadable = sorted(unreadable + quote_lines, key=lambda line: line.line)
    starts = pa.array(valid_lines, pa.int64())
    table = table.rename_columns(unique_names(header))
    table, starts, blank_lines = _without_blank_rows(table, starts)
    blank_lines = [line for line in blank_lines if line not in left_out]
    blank_lines += [row.line for row in broken if not row.text.strip()]
    text = TextTable(
        table=table,
        header=header,
        source_rows=starts,
        encoding=encoding,
        broken_rows=[row for row in broken if row.text.strip()],
        unreadable_lines=unreadable,
    )
    return text, blank_lines


def _parts(path: Path, part_bytes: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line) of each part of the file after its header: cut after a line feed
    that follows _MAX_SPAN lines without a double quote, about every part_bytes."""
    with path.open("rb") as handle:
        data_start = _after_first_line(handle)
        size = handle.seek(0, io.SEEK_END)
        start, line = data_start, 2
        if start >= size:  # a header alone: one part without rows
            yield start, start, line
        while start < size:
            cut = _cut_after(handle, start + part_bytes, size)
            yield start, cut, line
            handle.seek(start)
            line += _line_ends(handle, cut - start)
            start = cut


def _after_first_line(handle: BinaryIO) -> int:
    handle.seek(0)
    head = handle.read(MAX_LINE_BYTES + 2)
    ends = [at for at in (head.find(b"\n"), head.find(b"\r")) if at >= 0]
    if not ends:
        return len(head)
    at = min(ends)
    return at + (2 if head[at : at + 2] == b"\r\n" else 1)


def _cut_after(handle: BinaryIO, wanted: int, size: int) -> int:
    """The first offset at or after `wanted` that starts a line, after _MAX_SPAN lines without a
    double quote; `size` if there is none."""
    position = wanted
    while position < size:
        handle.seek(position)
        window = handle.read(_CHUNK)
        at = window.find(b"\n")
        while at >= 0:
            cut = position + at + 1
            if _quiet_before(handle, cut):
                return cut
            at = window.find(b"\n", at + 1)
        position += len(window)
    return size


def _quiet_before(handle: BinaryIO, cut: int) -> bool:
    """Whether the _MAX_SPAN lines before `cut` hold no double quote (and are all there)."""
    back = min(cut, _CHUNK)
    handle.seek(cut - back)
    before = handle.read(back)
    lines = re.split(rb"\r\n|\r|\n", before[:-1])
    return len(lines) > _MAX_SPAN and not any(b'"' in line for line in lines[-_MAX_SPAN:])


def _line_ends(handle: BinaryIO, length: int) -> int:
    """Lines ended in the next `length` bytes (LF, CR or CRLF, as Arrow ends them)."""
    count = 0
    remaining, previous_cr = length, False
    while remaining:
        chunk = handle.read(min(_CHUNK, remaining))
        remaining -= len(chunk)
        crlf = chunk.count(b"\r\n") + (previous_cr and chunk.startswith(b"\n"))
        count += chunk.count(b"\n") + chunk.count(b"\r") - crlf
        previous_cr = chunk.endswith(b"\r")
    return count


@contextlib.contextmanager
def _part_file(path: Path, start: int, end: int) -> Iterator[Path]:
    """A file of the header line and the bytes start..end of `path`, for the whole-file reader."""
    with path.open("rb") as source, tempfile.TemporaryDirectory(prefix="ictbench-part-") as folder:
        part = Path(folder) / path.name
        with part.open("wb") as target:
            header_end = _after_first_line(source)
            source.seek(0)
            target.write(source.read(header_end))
            source.seek(start)
            remaining = end - start
            while remaining:
                chunk = source.read(min(_CHUNK, remaining))
                target.write(chunk)
                remaining -= len(chunk)
        yield part


def line_problems(text: TextTable, *, keep_text: bool = True) -> list[RowProblem]:
    """A row problem for each unreadable line, with its text unless keep_text is off (a line
    of a file with personal data cannot be split into the columns that may be kept)."""
    return [
        RowProblem(line.line, None, line.text if keep_text else None, line.rule, line.message)
        for line in text.unreadable_lines
    ]


def _arrow_read(
    source: Path | io.BufferedIOBase, names: list[str], encoding: str
) -> tuple[pa.Table, list[tuple[int, int, str]]]:
    """Every physical line a record, split at every `;`: quotes are dealt with afterwards."""
    invalid: list[tuple[int | None, int, str]] = []

    def collect(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    def read(use_threads: bool) -> pa.Table:
        invalid.clear()
        if isinstance(source, io.BufferedIOBase):
            source.seek(0)
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                encoding="cp1252" if encoding == "windows-1252" else "utf-8",
                use_threads=use_threads,
                block_size=_BLOCK,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=DELIMITER,
                quote_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=collect,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    # Quoted text with a `;` is an invalid row to Arrow, and only a single-threaded read numbers
    # invalid rows: a file with quotes is read that way at once.
    table = read(use_threads=not _has_quote(source))
    if any(number is None for number, _, _ in invalid):
        table = read(use_threads=False)  # only a single-threaded read numbers broken rows
    return table, invalid


def _has_quote(source: Path | io.BufferedIOBase) -> bool:
    if not isinstance(source, Path):
        return True
    with source.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b'"' in chunk:
                return True
    return False


def _split_quotes(
    table: pa.Table, lines: np.ndarray, invalid: list[tuple[int, int, str]], width: int
) -> tuple[pa.Table, np.ndarray, list[BrokenRow], list[UnreadableLine]]:
    """Unquote quoted fields; split again the lines Arrow split inside quotes; find the lines
    whose quotes do not balance. Returns the rows, their lines, broken rows, unreadable lines."""
    opening = []
    complete = []
    suspect = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        starts = pc.starts_with(column, '"')
        if not pc.any(starts).as_py():
            opening.append(None)
            complete.append(None)
            continue
        # `"text"` with no other quote is whole; the regex is only needed past that
        whole = pc.and_(pc.ends_with(column, '"'), pc.equal(pc.count_substring(column, '"'), 2))
        if pc.any(pc.and_(starts, pc.invert(whole))).as_py():
            whole = pc.match_substring_regex(column, _COMPLETE)
        opening.append(starts)
        complete.append(whole)
        suspect |= pc.and_(starts, pc.invert(whole)).to_numpy(zero_copy_only=False)
    original = table
    for position, (starts, whole) in enumerate(zip(opening, complete, strict=True)):
        if starts is None:
            continue
        column = table.column(position)
        unquoted = pc.replace_substring(pc.utf8_slice_codeunits(column, 1, -1), '""', '"')
        table = table.set_column(
            position, table.field(position), pc.if_else(pc.and_(starts, whole), unquoted, column)
        )

    texts = {int(line): text for line, text in _line_texts(original, lines, suspect)}
    texts.update((number, text) for number, _, text in invalid if '"' in text)
    broken = [BrokenRow(number, count, text) for number, count, text in invalid if '"' not in text]
    if not texts:
        return table, lines, broken, []

    repaired: dict[int, list[str]] = {}
    faults: dict[int, tuple[str, int]] = {}
    for line, text in sorted(texts.items()):
        split = _split_line(text)
        if isinstance(split, tuple):
            faults[line] = split
        elif len(split) == width:
            repaired[line] = split
        else:
            broken.append(BrokenRow(line, len(split), text))
    unreadable = _quote_lines(faults, texts, original, lines, invalid, width)
    taken = {line.line for line in unreadable}
    broken = sorted((row for row in broken if row.line not in taken), key=lambda r: r.line)
    for line in taken:
        repaired.pop(line, None)

    # every line that was split again leaves the table: it comes back repaired, or not at all
    drop = np.isin(lines, np.fromiter(set(texts) | taken, dtype=np.int64))
    if drop.any():
        table, lines = table.filter(pa.array(~drop)), lines[~drop]
    if repaired:
        order = sorted(repaired)
        extra = pa.table(
            {
                name: pa.array([repaired[line][i] for line in order], pa.string())
                for i, name in enumerate(table.column_names)
            }
        )
        table = pa.concat_tables([table, extra])
        lines = np.concatenate([lines, np.array(order, dtype=np.int64)])
        by_line = np.argsort(lines, kind="stable")
        table, lines = table.take(pa.array(by_line)), lines[by_line]
    return table, lines, broken, unreadable


def _line_texts(table: pa.Table, lines: np.ndarray, mask: np.ndarray) -> list[tuple[int, str]]:
    """(line, text as delivered) of the masked rows: quoting was off, so `;` joins them back."""
    if not mask.any():
        return []
    rows = table.filter(pa.array(mask))
    joined = (
        pc.binary_join_element_wise(*rows.columns, DELIMITER)
        if rows.num_columns > 1
        else (rows.column(0))
    )
    return list(zip(lines[mask].tolist(), joined.to_pylist(), strict=True))


def _split_line(text: str) -> list[str] | tuple[str, int]:
    """The fields of one line by the quoting rules; ("open" | "after", field number) where a
    quote does not close on the line or text follows its closing quote."""
    fields: list[str] = []
    position, end = 0, len(text)
    while True:
        if text.startswith('"', position):
            match = _QUOTED.match(text, position)
            if match is None:
                return ("open", len(fields) + 1)
            position = match.end()
            while position < end and text[position] in " \t":  # `"text"  ;`: padding, not text
                position += 1
            if position < end and text[position] != DELIMITER:
                return ("after", len(fields) + 1)
            fields.append(match.group(1).replace('""', '"'))
        else:
            stop = text.find(DELIMITER, position)
            stop = end if stop < 0 else stop
            fields.append(text[position:stop])
            position = stop
        if position >= end:
            return fields
        position += 1


def _quote_lines(
    faults: dict[int, tuple[str, int]],
    texts: dict[int, str],
    table: pa.Table,
    lines: np.ndarray,
    invalid: list[tuple[int, int, str]],
    width: int,
) -> list[UnreadableLine]:
    """An unreadable line for every line with a quote fault; a quote that opens a text which the
    next lines close into one record of the header's width is named as a line break inside a
    field, and those next lines are unreadable too (they are not rows of their own)."""
    if not faults:
        return []
    opened = [line for line, (kind, _) in faults.items() if kind == "open"]
    ahead = _texts_ahead(opened, texts, table, lines, invalid)
    result: dict[int, UnreadableLine] = {}
    for line in sorted(faults):
        if line in result:
            continue
        kind, number = faults[line]
        if kind == "after":
            message = (
                f"unbalanced double quote: field {number} has text after its closing quote "
                '(a double quote inside quoted text must be written twice: "")'
            )
            result[line] = UnreadableLine(line, UNBALANCED_QUOTE, message, texts[line])
            continue
        last = _closing_line(line, ahead, width)
        if last is None:
            message = (
                f"unbalanced double quote: field {number} starts with a double quote that does "
                "not close on this line"
            )
            result[line] = UnreadableLine(line, UNBALANCED_QUOTE, message, texts[line])
            continue
        message = (
            f"unbalanced double quote: the quoted text of field {number} goes on to line "
            f"{last}; a line break inside a field is not supported (export without them)"
        )
        result[line] = UnreadableLine(line, UNBALANCED_QUOTE, message, texts[line])
        for follow in range(line + 1, last + 1):
            message = (
                f"unbalanced double quote: this line goes on with the quoted text of line "
                f"{line}; a line break inside a field is not supported"
            )
            result[follow] = UnreadableLine(follow, UNBALANCED_QUOTE, message, ahead[follow])
    return list(result.values())


def _texts_ahead(
    opened: list[int],
    texts: dict[int, str],
    table: pa.Table,
    lines: np.ndarray,
    invalid: list[tuple[int, int, str]],
) -> dict[int, str]:
    """The text of the lines after each opened quote, up to _MAX_SPAN of them."""
    wanted = {follow for line in opened for follow in range(line + 1, line + 1 + _MAX_SPAN)} - set(
        texts
    )
    ahead = dict(texts)
    ahead.update((number, text) for number, _, text in invalid if number in wanted)
    mask = np.isin(lines, np.fromiter(wanted, dtype=np.int64))
    ahead.update(_line_texts(table, lines, mask))
    for line in opened:
        ahead.setdefault(line, texts[line])
    return ahead


def _closing_line(line: int, ahead: dict[int, str], width: int) -> int | None:
    """The line on which the quote opened on `line` closes into one record of `width` fields."""
    joined = ahead[line]
    for follow in range(line + 1, line + 1 + _MAX_SPAN):
        if follow not in ahead:
            return None
        joined += "\n" + ahead[follow]
        if '"' not in ahead[follow]:
            continue
        split = _split_line(joined)
        if isinstance(split, tuple):
            if split[0] == "open":
                continue
            return None
        return follow if len(split) == width else None
    return None


def _without_long_rows(
    table: pa.Table, lines: np.ndarray
) -> tuple[pa.Table, np.ndarray, list[UnreadableLine]]:
    """Rows longer than MAX_LINE_BYTES that Arrow could still read: unreadable as well."""
    if table.num_rows == 0:
        return table, lines, []
    longest = sum(pc.max(pc.binary_length(column)).as_py() or 0 for column in table.columns)
    if longest + table.num_columns - 1 <= MAX_LINE_BYTES:
        return table, lines, []
    size = np.full(table.num_rows, table.num_columns - 1, dtype=np.int64)
    for column in table.columns:
        size += pc.binary_length(column).to_numpy(zero_copy_only=False)
    long = size > MAX_LINE_BYTES
    if not long.any():
        return table, lines, []
    texts = _line_texts(table, lines, long)
    found = [_too_long(line, len(text.encode()), text[:_SHOWN]) for line, text in texts]
    return table.filter(pa.array(~long)), lines[~long], found


def _too_long(line: int, size: int, start: str) -> UnreadableLine:
    message = (
        f"the line is {_spaced(size)} bytes long; the limit is {_spaced(MAX_LINE_BYTES)} bytes "
        "(1 MiB) per line"
    )
    return UnreadableLine(line, LINE_TOO_LONG, message, start + "…")


def _spaced(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _long_lines(path: Path) -> list[tuple[int, int, int]]:
    """(line, start, end) byte offsets of every line longer than MAX_LINE_BYTES, the line
    break not included; lines end at LF, CR or CRLF, as Arrow ends them."""
    found = []
    line, start, offset, after_cr = 1, 0, 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            data = np.frombuffer(chunk, dtype=np.uint8)
            at = np.flatnonzero((data == 10) | (data == 13))
            if after_cr and chunk[:1] == b"\n":  # the LF of a CRLF cut in two by the chunks
                at, start = at[1:], offset + 1
            second_of_pair = (data[at] == 10) & np.concatenate(([False], data[:-1] == 13))[at]
            ends = at[~second_of_pair]
            pair = np.concatenate((data[1:] == 10, [False]))[ends] & (data[ends] == 13)
            ends_global = ends + offset
            starts = np.concatenate(([start], ends_global[:-1] + 1 + pair[:-1]))
            for index in np.flatnonzero(ends_global - starts > MAX_LINE_BYTES):
                found.append((line + int(index), int(starts[index]), int(ends_global[index])))
            if len(ends):
                line += len(ends)
                start = int(ends_global[-1]) + 1 + int(pair[-1])
            after_cr = chunk.endswith(b"\r")
            offset += len(chunk)
    if offset - start > MAX_LINE_BYTES:
        found.append((line, start, offset))
    return found


def _start_text(path: Path, start: int, encoding: str) -> str:
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(_SHOWN * 4)
    text = data.decode("utf-8" if encoding == "utf-8" else "cp1252", errors="replace")
    return text[:_SHOWN]


class _LinesLeftOut(io.RawIOBase):
    """The file with the bytes of some spans left out (the text of too-long lines)."""

    def __init__(self, path: Path, spans: list[tuple[int, int]]) -> None:
        self._handle = path.open("rb")
        self._spans = spans
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("only a rewind")
        self._position = 0
        return 0

    def readinto(self, buffer) -> int:
        for start, end in self._spans:
            if start <= self._position < end:
                self._position = end
        limit = len(buffer)
        for start, _ in self._spans:
            if start >= self._position:
                limit = min(limit, start - self._position)
                break
        self._handle.seek(self._position)
        data = self._handle.read(limit)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()


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


def refuse_unreadable_lines(text: TextTable, file: Path | str) -> None:
    """Reject the file if a line cannot be read as a row (for files where a lost row changes
    the meaning of the others, such as the account mapping)."""
    if not text.unreadable_lines:
        return
    first = text.unreadable_lines[0]
    more = (
        f" ({len(text.unreadable_lines)} lines like this)" if len(text.unreadable_lines) > 1 else ""
    )
    raise WrongLayout(first.message + more, file=file, row=first.line)


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
        first_line = handle.readline(MAX_LINE_BYTES + 1)
    if len(first_line) > MAX_LINE_BYTES:
        raise UnreadableFile(
            f"the first line (the header) is longer than {_spaced(MAX_LINE_BYTES)} characters, "
            "the limit per line",
            file=file,
            row=1,
            hint="The first line must hold the column names, separated by `;`.",
        )
    split = _split_line(first_line.rstrip("\r\n"))
    if isinstance(split, tuple):
        raise UnreadableFile(
            f"unbalanced double quote in the header, in column {split[1]}",
            file=file,
            row=1,
            hint="Put the column names in the first row, each quote closed on the same line.",
        )
    header = [name.strip() for name in split]
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
