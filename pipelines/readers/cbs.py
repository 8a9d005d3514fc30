"""CBS reference data: the municipality list and StatLine CSV exports (inhabitants on 1 January, consumer price index)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.readers.dutch_values import parse_number

MUNICIPALITIES_SCHEMA = pa.schema(
    [
        pa.field("municipality_code", pa.string(), nullable=False),
        pa.field("municipality_name", pa.string(), nullable=False),
        pa.field("province_code", pa.string()),
        pa.field("province_name", pa.string()),
    ]
)
INHABITANTS_SCHEMA = pa.schema(
    [
        pa.field("municipality_code", pa.string(), nullable=False),
        pa.field("reference_year", pa.int32(), nullable=False),
        pa.field("inhabitants", pa.int64(), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("source_row", pa.int64()),
    ]
)
CODE = re.compile(r"^GM\d{4}$")
# CBS adds "(gemeente)" where a province or town has the same name, e.g. "Groningen (gemeente)".
NAME_SUFFIX = re.compile(r"\s*\((gemeente|gem\.)\)\s*$", re.IGNORECASE)


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        raise UnreadableFile("CBS exports are UTF-8; this file is not", file=path) from error


def read_municipalities(path: Path) -> pa.Table:
    """The CBS list 'gemeenten alfabetisch' (comma-separated)."""
    rows = list(csv.DictReader(_lines(path)))
    needed = {"GemeentecodeGM", "Gemeentenaam", "ProvinciecodePV", "Provincienaam"}
    if not rows or not needed <= set(rows[0]):
        raise WrongLayout("expected the CBS columns " + ", ".join(sorted(needed)), file=path, row=1)
    records = []
    for number, row in enumerate(rows, start=2):
        code = row["GemeentecodeGM"].strip()
        if not CODE.match(code):
            raise WrongLayout(
                f"'{code}' is not a GM code", file=path, row=number, column="GemeentecodeGM"
            )
        records.append(
            {
                "municipality_code": code,
                "municipality_name": NAME_SUFFIX.sub("", row["Gemeentenaam"].strip()),
                "province_code": row["ProvinciecodePV"].strip() or None,
                "province_name": row["Provincienaam"].strip() or None,
            }
        )
    return pa.Table.from_pylist(records, schema=MUNICIPALITIES_SCHEMA)


def read_inhabitants(path: Path) -> pa.Table:
    """A StatLine CSV export: title rows, a header with `Gemeentecode`, data, then footer rows."""
    lines = _lines(path)
    header_at = next((i for i, line in enumerate(lines) if "gemeentecode" in line.lower()), None)
    if header_at is None:
        raise WrongLayout("no header row with `Gemeentecode` found", file=path)
    header = [name.strip().lower() for name in next(csv.reader([lines[header_at]], delimiter=";"))]
    try:
        code_at = header.index("gemeentecode")
        period_at = next(i for i, name in enumerate(header) if name.startswith("perioden"))
        count_at = next(i for i, name in enumerate(header) if "bevolking" in name)
    except (ValueError, StopIteration) as error:
        raise WrongLayout(
            "expected columns Gemeentecode, Perioden and Bevolking op 1 januari",
            file=path,
            row=header_at + 1,
        ) from error
    records, read = [], []
    for number, fields in enumerate(
        csv.reader(lines[header_at + 1 :], delimiter=";"), header_at + 2
    ):
        code = fields[code_at].strip() if len(fields) > code_at else ""
        if not code:
            continue  # empty separator rows and the "Bron: CBS" footer
        year = re.search(r"\d{4}", fields[period_at])
        read.append(fields)
        if not CODE.match(code) or year is None or len(fields) <= count_at:
            raise _unreadable_inhabitants(fields, path, number)
        records.append(
            {
                "municipality_code": code,
                "reference_year": int(year.group()),
                "inhabitants": fields[count_at],
                "source_file": path.name,
                "source_row": number,
            }
        )
    if not records:
        raise UnreadableFile("the export has no data rows", file=path)
    counts, failed = _counts(pa.array([record["inhabitants"] for record in records], pa.string()))
    for record, fields, count, bad in zip(
        records, read, counts.to_pylist(), failed.to_pylist(), strict=True
    ):
        if bad:
            raise _unreadable_inhabitants(fields, path, record["source_row"])
        record["inhabitants"] = count
    return pa.Table.from_pylist(records, schema=INHABITANTS_SCHEMA)


def _counts(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Whole numbers of people, with or without thousands dots: the Dutch number rules, unsigned."""
    number, failed = parse_number(text)
    whole = pc.and_(pc.equal(pc.floor(number), number), pc.greater_equal(number, 0))
    unsigned = pc.match_substring_regex(text, r"^\s*\d")
    failed = pc.or_(failed, pc.invert(pc.fill_null(pc.and_(whole, unsigned), False)))
    return pc.cast(pc.if_else(failed, None, number), pa.int64()), failed


def _unreadable_inhabitants(fields: list[str], path: Path, row: int) -> WrongLayout:
    return WrongLayout(
        f"cannot read '{';'.join(fields)}' as municipality, year and inhabitants",
        file=path,
        row=row,
    )


PRICE_INDEX_SCHEMA = pa.schema(
    [
        pa.field("reference_year", pa.int32(), nullable=False),
        pa.field("price_index", pa.float64(), nullable=False),
        pa.field("base_period", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("source_row", pa.int64()),
    ]
)
# "CPI (2015=100)", "Consumentenprijsindex (2015=100)", "Prijsindex 2015=100": the base is in the name
INDEX_COLUMN = re.compile(r"(cpi|prijsindex)\D*(\d{4})\s*=\s*100", re.IGNORECASE)
# a StatLine export per spending category starts the all-items row with code 000000
ALL_ITEMS = re.compile(r"^(000000\b|alle bestedingen)", re.IGNORECASE)


def read_price_index(path: Path) -> pa.Table:
    """A StatLine CSV export of the CBS consumer price index (table 83131NED), yearly figures.

    Title rows, a header with `Perioden` and a `CPI (2015=100)` column, data, then footer rows.
    With a spending-category column, only the all-items row (000000 Alle bestedingen) is read.
    Index values may use a decimal comma (StatLine's Dutch export) or a point.
    """
    lines = _lines(path)
    header_at = next(
        (
            i
            for i, line in enumerate(lines)
            if "perioden" in line.lower() and INDEX_COLUMN.search(line)
        ),
        None,
    )
    if header_at is None:
        raise WrongLayout("no header row with `Perioden` and `CPI (2015=100)` found", file=path)
    header = [name.strip() for name in next(csv.reader([lines[header_at]], delimiter=";"))]
    period_at = next(i for i, name in enumerate(header) if name.lower().startswith("perioden"))
    index_at, base = next(
        (i, f"{match.group(2)}=100")
        for i, name in enumerate(header)
        if (match := INDEX_COLUMN.search(name))
    )
    category_at = next(
        (i for i, name in enumerate(header) if name.lower().startswith("bestedingscategorie")), None
    )
    records: dict[int, dict] = {}
    for number, fields in enumerate(
        csv.reader(lines[header_at + 1 :], delimiter=";"), header_at + 2
    ):
        period = fields[period_at].strip() if len(fields) > period_at else ""
        if not period:
            continue  # empty separator rows and the "Bron: CBS" footer
        if category_at is not None and not ALL_ITEMS.match(fields[category_at].strip()):
            continue
        year = re.fullmatch(r"(\d{4})(\s*JJ00)?", period)
        if year is None:
            continue  # months and quarters (2024MM01, 2024KW01) when the export has them
        text = fields[index_at].strip().replace(",", ".") if len(fields) > index_at else ""
        try:
            value = float(text)
        except ValueError as error:
            raise WrongLayout(
                f"'{fields[index_at] if len(fields) > index_at else ''}' is not an index figure",
                file=path,
                row=number,
                column=header[index_at],
            ) from error
        reference_year = int(year.group(1))
        if reference_year in records:
            raise WrongLayout(
                f"{reference_year} appears twice; export one spending category only",
                file=path,
                row=number,
                column=header[period_at],
            )
        records[reference_year] = {
            "reference_year": reference_year,
            "price_index": value,
            "base_period": base,
            "source_file": path.name,
            "source_row": number,
        }
    if not records:
        raise UnreadableFile("the export has no yearly index figures", file=path)
    return pa.Table.from_pylist(
        [records[year] for year in sorted(records)], schema=PRICE_INDEX_SCHEMA
    )
