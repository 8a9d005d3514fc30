"""Dutch CSV files read as all-text tables, and the row helpers the asset and training readers share.

Values are typed by dutch_values.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from pipelines.readers.delivery import Delivery
from pipelines.readers.dutch_values import blank
from pipelines.readers.errors import UnreadableFile, WrongLayout
from pipelines.readers.schema import RowProblem

DELIMITER = ";"
CP1252_NOTE = "not valid UTF-8; read as Windows-1252"

_CHUNK = 1 << 20


def read_text_csv(path: Path) -> tuple[pa.Table, list[str]]:
    """Read a `;`-separated CSV as an all-text table (empty cell = null) plus notes on how.

    Row i of the table is record i + 2 of the file (the header is record 1; empty lines count).
    """
    path = Path(path)
    notes: list[str] = []
    _check_not_empty_or_binary(path)
    if _is_utf8(path):
        return _read_utf8_csv(path, path), notes
    notes.append(CP1252_NOTE)
    with tempfile.TemporaryDirectory(prefix="ictbench-") as tmp:
        utf8_path = Path(tmp) / "utf8.csv"
        _transcode_cp1252(path, utf8_path)
        return _read_utf8_csv(utf8_path, path), notes


def _check_not_empty_or_binary(path: Path) -> None:
    with path.open("rb") as handle:
        start = handle.read(4096)
    if not start:
        raise UnreadableFile(
            "the file is empty (0 bytes)",
            file=path,
            hint="Export the file again and re-deliver it.",
        )
    if start.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "this is an Excel workbook (or another ZIP file), not a CSV text file",
            file=path,
            hint="Save it as CSV (separator `;`) or deliver it with the .xlsx extension.",
        )
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in start:
        raise UnreadableFile(
            "the file is UTF-16 or binary, not CSV text in UTF-8 or Windows-1252",
            file=path,
            hint="In Excel choose 'CSV UTF-8 (comma delimited)' or 'CSV (separator ;)'.",
        )


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode_cp1252(source: Path, target: Path) -> None:
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        with source.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"byte {error.start + 1:,} is neither UTF-8 nor Windows-1252 text".replace(",", " "),
            file=source,
            hint="Export the file again as CSV UTF-8.",
        ) from error


def _first_record(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle, delimiter=DELIMITER), [])


def _read_utf8_csv(path: Path, reported: Path) -> pa.Table:
    header = _first_record(path)
    if not any(name.strip() for name in header):
        raise UnreadableFile(
            "the first row is empty; expected a header row with column names",
            file=reported,
            row=1,
            hint="Put the column names in the first row.",
        )
    if len(header) == 1:
        for separator, label in ((",", "`,`"), ("\t", "tabs"), ("|", "`|`")):
            if separator in header[0]:
                raise WrongLayout(
                    f"the columns are separated by {label}; the data contract uses `;`",
                    file=reported,
                    row=1,
                    hint="Export with separator `;` "
                    "(Dutch Excel: 'CSV (gescheiden door lijstscheidingsteken)').",
                )
    invalid: list[tuple[int | None, int, int]] = []

    def collect(row: pv.InvalidRow) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    try:
        table = pv.read_csv(
            path,
            # Single-threaded so an invalid row reports its record number.
            read_options=pv.ReadOptions(use_threads=False),
            parse_options=pv.ParseOptions(
                delimiter=DELIMITER,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=collect,
            ),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as error:
        # The message holds a line of the file (possibly personal data): keep it out of ours.
        raise UnreadableFile(
            "the file could not be parsed as `;`-separated CSV (check quotes around text)",
            file=reported,
            hint="Export the file again; text containing `;` must be between double quotes.",
        ) from error
    if invalid:
        number, expected, actual = invalid[0]
        more = f" ({len(invalid)} rows like this)" if len(invalid) > 1 else ""
        raise WrongLayout(
            f"{actual} fields where the header has {expected}{more}",
            file=reported,
            row=number,
            hint="A `;` inside a text field needs double quotes around the field.",
        )
    names = unique_names(header)
    if table.num_columns != len(names):
        raise UnreadableFile(
            f"the header has {len(names)} columns but the data {table.num_columns}",
            file=reported,
            row=1,
            hint="Check the quotes in the header row.",
        )
    # Guards the all-text promise should the CSV parser have read a header differently.
    return table.rename_columns(names).cast(pa.schema([(name, pa.string()) for name in names]))


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique and non-empty, keeping the file's own spelling where possible."""
    seen: dict[str, int] = {}
    result = []
    for position, name in enumerate(names, start=1):
        name = name.strip().lstrip("\ufeff") or f"column {position}"
        count = seen.get(name.casefold(), 0)
        seen[name.casefold()] = count + 1
        result.append(name if count == 0 else f"{name} ({count + 1})")
    return result


def problems_where(
    mask: pa.Array,
    source_rows: pa.Array,
    values: pa.Array | None,
    *,
    column: str | None,
    rule: str,
    message: str,
) -> list[RowProblem]:
    """One RowProblem per row where `mask` is true; `message` may use {column} and {value}."""
    hits = pc.indices_nonzero(pc.fill_null(mask, False))
    rows = pc.take(source_rows, hits).to_pylist()
    texts = pc.take(values, hits).to_pylist() if values is not None else [None] * len(rows)
    return [
        RowProblem(
            source_row=row,
            column=column,
            value=value,
            rule=rule,
            message=message.format(column=column, value=value),
        )
        for row, value in zip(rows, texts, strict=True)
    ]


def all_blank(table: pa.Table) -> pa.Array:
    """True for rows in which every cell is empty (trailing `;;;;` lines, formatted Excel rows)."""
    mask = pa.array([True] * table.num_rows, pa.bool_())
    for name in table.column_names:
        mask = pc.and_(mask, blank(table.column(name).combine_chunks()))
    return mask


def with_lineage(
    schema: pa.Schema,
    columns: dict[str, pa.Array],
    source_rows: pa.Array,
    delivery: Delivery,
    delivery_id: str,
) -> pa.Table:
    """The normalised table: lineage columns first, then `columns`, in `schema` order."""
    n = len(source_rows)
    lineage = {
        "delivery_id": pa.array([delivery_id] * n, pa.string()),
        "municipality_code": pa.array([delivery.municipality_code] * n, pa.string()),
        "fiscal_year": pa.array([delivery.fiscal_year] * n, pa.int32()),
        "source_file": pa.array([delivery.relative_path] * n, pa.string()),
        "source_row": pc.cast(source_rows, pa.int64()),
    }
    arrays = {**lineage, **columns}
    return pa.Table.from_arrays([arrays[f.name] for f in schema], schema=schema)
