"""Limits a zip container (an .xlsx workbook) is checked against before anything parses it.

A workbook is a zip of XML parts, and a reader that trusts it can be made to inflate gigabytes
from a small file, or to build a sheet of billions of cells from two (a spreadsheet reader keeps
the rectangle from A1 to the last used cell). So, before a parser sees the file: the number of
parts is read from the zip's end record, the declared sizes from its directory, and then every
part is inflated as a stream (sizes as inflated, never as declared) while the cell tags of the
sheets are counted; the first limit crossed rejects the file. Memory stays at one chunk per part.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contract.errors import TooLarge, UnreadableFile

_MiB = 1 << 20
_CHUNK = _MiB
_MAX_TAG = 1 << 16


@dataclass(frozen=True)
class ZipLimits:
    """Sized for the largest real registers with room to spare: 5,000 devices with 30 columns
    are 150,000 cells and about 10 MiB of sheet XML."""

    max_parts: int = 1_000
    max_part_bytes: int = 128 * _MiB  # one part, inflated
    max_total_bytes: int = 256 * _MiB  # all parts, inflated
    max_cells: int = 2_000_000  # per sheet: cells, and the rectangle from A1 to the last cell


XLSX_LIMITS = ZipLimits()


@dataclass
class ZipSummary:
    """What the check saw: the parts, what they inflate to, and the sheets' cells."""

    parts: int = 0
    inflated_bytes: int = 0
    cells: dict[str, int] = field(default_factory=dict)  # part -> cell tags
    formula_parts: list[str] = field(default_factory=list)  # parts with a formula (<f>)


_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"  # a tag, with or without a namespace prefix
_TAG = re.compile(_PREFIX + rb"(row|c|f)(?=[\s/>])([^<>]*)>")
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{0,3})(\d*)["']""")
_CELL = re.compile(_PREFIX + rb"c(?=[\s/>])")
_CELL_REF = re.compile(_PREFIX + rb"""c\s[^<>]*?\br\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_ROW = re.compile(_PREFIX + rb"row(?=[\s/>])")
_ROW_REF = re.compile(_PREFIX + rb"""row\s[^<>]*?\br\s*=\s*["'](\d+)["']""")
_FORMULA = re.compile(_PREFIX + rb"f(?=[\s/>])")
_END = b"PK\x05\x06"
_END_SIZE = 22


def check_zip(path: Path, label: str, limits: ZipLimits = XLSX_LIMITS) -> ZipSummary:
    """Check the container at `path` against `limits`; TooLarge names the limit and the file,
    UnreadableFile says the zip is damaged. Reads the file once, one chunk at a time."""
    summary = ZipSummary(parts=_declared_parts(path, label))
    if summary.parts > limits.max_parts:
        raise _too_large(
            label, f"it has {_spaced(summary.parts)} parts", _count(limits.max_parts, "parts")
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            summary.parts = len(infos)
            if summary.parts > limits.max_parts:
                raise _too_large(
                    label,
                    f"it has {_spaced(summary.parts)} parts",
                    _count(limits.max_parts, "parts"),
                )
            for info in infos:
                _check_declared(info, label, limits)
            declared = sum(info.file_size for info in infos)
            if declared > limits.max_total_bytes:
                raise _too_large(
                    label,
                    f"its parts inflate to {_size(declared)}",
                    _size(limits.max_total_bytes) + " for all parts",
                )
            for info in infos:
                _inflate(archive, info, label, limits, summary)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as error:
        raise UnreadableFile(
            f"the workbook is a damaged or unsupported zip file ({error})",
            file=label,
            hint="Open it in Excel, save it as .xlsx again and re-deliver it.",
        ) from error
    return summary


def _declared_parts(path: Path, label: str) -> int:
    """The number of parts the zip's end record declares, read before the zip's directory (which
    Python's zipfile reads whole into memory)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - _END_SIZE - 0xFFFF))
        tail = handle.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < _END_SIZE:
        raise UnreadableFile(
            "the workbook is not a complete zip file (its end record is missing)",
            file=label,
            hint="The file may have been cut off: export it again and re-deliver it.",
        )
    entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return entries  # 0xFFFF (a zip64 count): zipfile's directory gives the real number


def _check_declared(info: zipfile.ZipInfo, label: str, limits: ZipLimits) -> None:
    if info.file_size > limits.max_part_bytes:
        raise _too_large(
            label,
            f"the part {info.filename} inflates to {_size(info.file_size)}",
            _size(limits.max_part_bytes) + " per part",
        )


def _inflate(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    limits: ZipLimits,
    summary: ZipSummary,
) -> None:
    """Inflate one part as a stream, counting what it really inflates to (one byte past the limit
    is enough to know: the declared size is not trusted) and the cells of a sheet."""
    # zipfile stops reading a part at its declared size (and checks the CRC there): declare
    # more than the limit plus one chunk instead, so the loop below stops first
    bounded = _with_size(info, limits.max_part_bytes + 2 * _CHUNK)
    sheet = _SheetScan(info.filename, label, limits.max_cells)
    inflated = 0
    with archive.open(bounded) as stream:
        while chunk := stream.read(_CHUNK):
            inflated += len(chunk)
            summary.inflated_bytes += len(chunk)
            if inflated > limits.max_part_bytes:
                raise _too_large(
                    label,
                    f"the part {info.filename} inflates to more than "
                    f"{_size(limits.max_part_bytes)}",
                    _size(limits.max_part_bytes) + " per part",
                )
            if summary.inflated_bytes > limits.max_total_bytes:
                raise _too_large(
                    label,
                    f"its parts inflate to more than {_size(limits.max_total_bytes)}",
                    _size(limits.max_total_bytes) + " for all parts",
                )
            sheet.feed(chunk)
    if inflated != info.file_size:
        raise UnreadableFile(
            f"the part {info.filename} declares {_spaced(info.file_size)} bytes but inflates "
            f"to {_spaced(inflated)}",
            file=label,
            hint="Open it in Excel, save it as .xlsx again and re-deliver it.",
        )
    sheet.finish()
    if sheet.cells:
        summary.cells[info.filename] = sheet.cells
    if sheet.formulas:
        summary.formula_parts.append(info.filename)


def _with_size(info: zipfile.ZipInfo, size: int) -> zipfile.ZipInfo:
    """A copy of the part's entry with another declared size (ZipInfo is a plain record)."""
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    for name in info.__slots__:
        if hasattr(info, name):
            setattr(copy, name, getattr(info, name))
    copy.file_size = size
    return copy


class _SheetScan:
    """Counts the cell tags of a sheet's XML as it streams by, and the rectangle from A1 to the
    last cell (rows and cells without an `r` reference follow the one before them)."""

    def __init__(self, part: str, label: str, max_cells: int) -> None:
        self.part, self.label, self.max_cells = part, label, max_cells
        self.cells = 0
        self.formulas = False
        self._row = self._column = self._last_row = self._last_column = 0
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        data = self._carry + chunk
        cut = data.rfind(b"<")
        if cut < 0 or len(data) - cut > _MAX_TAG:  # no tag, or longer than any cell tag
            cut = len(data)
        self._scan(data[:cut])
        self._carry = data[cut:]

    def finish(self) -> None:
        self._scan(self._carry)
        self._carry = b""

    def _scan(self, data: bytes) -> None:
        if b"<" not in data:
            return
        if not self.formulas and _FORMULA.search(data):
            self.formulas = True
        cells = _CELL.findall(data)
        refs = _CELL_REF.findall(data)
        rows = _ROW.findall(data)
        row_refs = _ROW_REF.findall(data)
        if len(cells) != len(refs) or len(rows) != len(row_refs):
            self._scan_in_order(data)  # a row or cell without its reference: count one by one
            return
        self.cells += len(cells)
        if refs:
            letters = {column for column, _ in refs}
            self._column = max(_column_number(column) for column in letters)
            self._last_column = max(self._last_column, self._column)
            self._last_row = max(self._last_row, max(map(int, (row for _, row in refs))))
        if row_refs:
            self._row = int(row_refs[-1])
            self._last_row = max(self._last_row, max(map(int, row_refs)))
            if data.rfind(b"<row") > data.rfind(b"<c"):
                self._column = 0
        self._check()

    def _scan_in_order(self, data: bytes) -> None:
        for match in _TAG.finditer(data):
            ref = _REF.search(match.group(2))
            if match.group(1) == b"row":
                self._row = int(ref.group(2)) if ref and ref.group(2) else self._row + 1
                self._column = 0
                self._last_row = max(self._last_row, self._row)
                continue
            if match.group(1) == b"f":
                continue
            self.cells += 1
            if ref and ref.group(1):
                self._column = _column_number(ref.group(1))
                if ref.group(2):
                    self._last_row = max(self._last_row, int(ref.group(2)))
            else:
                self._column += 1
            self._last_column = max(self._last_column, self._column)
            self._check()

    def _check(self) -> None:
        if self.cells > self.max_cells:
            raise _too_large(
                self.label,
                f"the sheet part {self.part} has more than {_spaced(self.max_cells)} cells",
                _count(self.max_cells, "cells per sheet"),
            )
        area = max(self._last_row, 1) * self._last_column
        if area > self.max_cells:
            raise _too_large(
                self.label,
                f"the sheet part {self.part} reaches cell "
                f"{_column_name(self._last_column)}{max(self._last_row, 1)}, "
                f"a range of {_spaced(area)} cells from A1",
                _count(self.max_cells, "cells per sheet"),
            )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _too_large(label: str, what: str, limit: str) -> TooLarge:
    return TooLarge(
        f"the workbook is over a limit: {what}; the limit is {limit}",
        file=label,
        hint="Deliver only the register sheet, without images or other sheets, or as CSV.",
    )


def _size(size: int) -> str:
    return f"{size / _MiB:,.1f} MiB".replace(",", " ")


def _count(number: int, unit: str) -> str:
    return f"{_spaced(number)} {unit}"


def _spaced(number: int) -> str:
    return f"{number:,}".replace(",", " ")
