"""Writing demo files as the exporting tools do: `;` CSV in their encoding, reproducible XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl


def dutch_amount(cents: int) -> str:
    """123456789 -> `1.234.567,89`."""
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d}"


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    # Windows-1252 exports turn letters they lack (the ı of Yılmaz) into `?`, as HR systems do.
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: list[list[object]],
    title: Sequence[str],
    stamp: dt.datetime,
    sheet_name: str = "Objecten",
    creator: str | None = None,
) -> None:
    """One sheet, optional title rows above the header; the same content gives the same bytes."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    for line in title:
        sheet.append([line])
    if title:
        sheet.append([])
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD-MM-YYYY"
            elif isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    workbook.properties.creator = creator or ("TOPdesk" if title else "Lansweeper")
    workbook.properties.created = workbook.properties.modified = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_reproducible_zip(buffer.getvalue(), stamp))


def _reproducible_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Same content, same bytes: fixed zip entry times and a fixed `modified` property."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + modified + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return output.getvalue()
