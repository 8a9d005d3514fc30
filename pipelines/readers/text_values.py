"""Dutch CSV text to typed Arrow values: read a file as all-text, parse amounts, numbers and dates.

Pure functions over Arrow arrays (vectorised with pyarrow.compute); each parser returns the typed
array plus a `failed` mask, so the caller can name the exact rows and columns that did not parse.
An empty cell is null and not a failure: whether a value is required is the caller's business.
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
from pipelines.readers.errors import UnreadableFile, WrongLayout
from pipelines.readers.schema import AMOUNT, RowProblem

DELIMITER = ";"
CP1252_NOTE = "not valid UTF-8; read as Windows-1252"

# Currency signs and every kind of space (incl. no-break spaces Excel puts in amounts) are noise.
_NOISE = r"(?i)eur|€|\s|\x{00A0}|\x{202F}"
# `1.234,56`, `1234,56`, `-1.234,56`, `1.234,56-`; `,-` (whole euros) is rewritten to `,00` first.
_NUMBER = r"^(?P<lead>[-+]?)(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<frac>\d+))?(?P<trail>-?)$"
_MAX_INTEGER_DIGITS = 16  # decimal128(18, 2) holds 16 digits before the comma
_TIME_SUFFIX = r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
_DATE_NL = r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$"
_DATE_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"
_CHUNK = 1 << 20


def _clean_text(arr: pa.Array) -> pa.Array:
    """Trimmed text, null where the cell is empty."""
    text = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _number_parts(arr: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Split Dutch numbers into a dot-decimal text, the number of decimals and a failed mask."""
    text = _clean_text(pc.replace_substring_regex(pc.cast(arr, pa.string()), _NOISE, ""))
    text = pc.replace_substring_regex(text, r",-$", ",00")
    parts = pc.extract_regex(text, _NUMBER)
    lead, digits = pc.struct_field(parts, "lead"), pc.struct_field(parts, "int")
    frac, trail = pc.struct_field(parts, "frac"), pc.struct_field(parts, "trail")
    digits = pc.replace_substring(digits, ".", "")
    negative = pc.or_(pc.equal(lead, "-"), pc.equal(trail, "-"))
    ok = pc.and_(
        pc.is_valid(parts),
        pc.and_(
            pc.invert(pc.and_(pc.not_equal(lead, ""), pc.not_equal(trail, ""))),
            pc.less_equal(pc.utf8_length(digits), _MAX_INTEGER_DIGITS),
        ),
    )
    sign = pc.if_else(negative, "-", "")
    fraction = pc.if_else(pc.equal(frac, ""), "", pc.binary_join_element_wise(".", frac, ""))
    decimal_text = pc.binary_join_element_wise(sign, digits, fraction, "")
    decimal_text = pc.if_else(ok, decimal_text, pa.scalar(None, pa.string()))
    failed = pc.and_(pc.is_valid(text), pc.invert(pc.fill_null(ok, False)))
    return decimal_text, pc.utf8_length(frac), failed


def parse_dutch_amount(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Parse `1.234,56`, `1234,56`, `-1.234,56`, `1.234,56-`, `1.234,-`, `€ 1.234,56` to cents.

    Returns (decimal128(18, 2) array, failed mask); more than two decimals is a failure, since an
    amount in euros that is not a whole number of cents is a typo, not something to round away.
    """
    decimal_text, decimals, failed = _number_parts(arr)
    too_precise = pc.fill_null(pc.greater(decimals, 2), False)
    failed = pc.or_(failed, too_precise)
    decimal_text = pc.if_else(too_precise, pa.scalar(None, pa.string()), decimal_text)
    return pc.cast(decimal_text, AMOUNT), failed


def parse_dutch_number(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Parse Dutch decimal numbers (`0,89`, `7,5`, `1.600`) of any precision to float64."""
    decimal_text, _, failed = _number_parts(arr)
    return pc.cast(decimal_text, pa.float64()), failed


def parse_dutch_date(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Parse `dd-mm-yyyy` (also `d-m-yyyy`, `yyyy-mm-dd`, with or without a time) to date32.

    Date and timestamp arrays (real Excel date cells) pass through. Impossible dates such as
    `31-02-2024` fail instead of rolling over into March.
    """
    if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
        return pc.cast(arr, pa.date32()), pa.array([False] * len(arr), pa.bool_())
    text = _clean_text(arr)
    text = pc.replace_substring_regex(text, _TIME_SUFFIX, "")
    dutch, iso = pc.extract_regex(text, _DATE_NL), pc.extract_regex(text, _DATE_ISO)

    def part(name: str, width: int) -> pa.Array:
        value = pc.coalesce(pc.struct_field(dutch, name), pc.struct_field(iso, name))
        return pc.utf8_lpad(value, width=width, padding="0")

    iso_text = pc.binary_join_element_wise(part("y", 4), part("m", 2), part("d", 2), "-")
    parsed = pc.strptime(iso_text, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 29-02-2023 over to 01-03-2023; a round trip catches that.
    exact = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), iso_text)
    dates = pc.if_else(pc.fill_null(exact, False), pc.cast(parsed, pa.date32()), None)
    failed = pc.and_(pc.is_valid(text), pc.is_null(dates))
    return dates, failed


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


def normalised_keys(arr: pa.Array) -> pa.Array:
    """Lower case without spaces or punctuation: `In Gebruik` and `in-gebruik` give `ingebruik`."""
    return pc.replace_substring_regex(
        pc.utf8_lower(pc.cast(arr, pa.string())), r"[^\p{L}\p{N}]+", ""
    )


def lookup_values(arr: pa.Array, table: dict[str, tuple[str, ...]]) -> pa.Array:
    """Map free text onto codes via `code -> accepted spellings`; null where nothing matches."""
    pairs = [
        (spelling, code) for code, spellings in table.items() for spelling in (code, *spellings)
    ]
    normalised = normalised_keys(pa.array([spelling for spelling, _ in pairs])).to_pylist()
    # first spelling wins, in table order; one vectorised call, not one regex compile per spelling
    first_code: dict[str, str] = {}
    for key, (_, code) in zip(normalised, pairs, strict=True):
        first_code.setdefault(key, code)
    keys, codes = list(first_code), list(first_code.values())
    positions = pc.index_in(normalised_keys(arr), value_set=pa.array(keys, pa.string()))
    return pc.take(pa.array(codes, pa.string()), positions)


def blank(arr: pa.Array) -> pa.Array:
    """True where a text cell is null or only whitespace."""
    return pc.is_null(_clean_text(arr))


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
