"""General-ledger CSV exports of Dutch financial packages, normalised to LEDGER_SCHEMA."""

from __future__ import annotations

import csv
import re
from collections.abc import Generator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import (
    LEDGER_SCHEMA,
    ParsedDelivery,
    ReadBatch,
    RowProblem,
    whole_delivery,
)
from pipelines.contract.vocabulary import column_aliases, required_columns, value_words
from pipelines.readers.dutch_csv import (
    DELIMITER,
    SOURCE_ROW,
    BrokenRow,
    TextTable,
    UnreadableLine,
    line_problems,
    read_text_csv,
    read_text_csv_parts,
    unique_names,
)
from pipelines.readers.dutch_values import blank_to_null, lookup_values, parse_amount, parse_date

TEXT_COLUMNS = (
    "journal",
    "transaction_id",
    "line_number",
    "account_code",
    "account_name",
    "cost_centre",
    "cost_type",
    "description",
)


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def map_columns(
    header: list[str], delivery: Delivery, profile_columns: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map canonical names to the file's own column names, or say precisely what is missing.

    profile_columns: the municipality's own headers (delivery profile); they win."""
    own = {normalise_header(name): canonical for canonical, name in (profile_columns or {}).items()}
    lookup = header_lookup(profile_columns)
    present = {normalise_header(name) for name in header}
    for key, canonical in own.items():
        if key not in present:
            raise WrongLayout(
                f"the delivery profile says `{canonical}` is the column "
                f"`{profile_columns[canonical]}`, but the file has no such column",
                file=delivery.relative_path,
                row=1,
                hint="Correct delivery_profile.yml or the export.",
            )
    found: dict[str, str] = {}
    for name in header:
        canonical = lookup.get(normalise_header(name))
        if canonical is None:
            continue
        if canonical in found:
            raise WrongLayout(
                f"columns `{found[canonical]}` and `{name}` both mean {canonical}; keep one",
                file=delivery.relative_path,
                row=1,
                column=name,
            )
        found[canonical] = name
    if not found:
        raise UnreadableFile(
            "this is not a general-ledger export: none of the expected columns "
            "(boekdatum, rekening, bedrag or debet/credit) is in the first row",
            file=delivery.relative_path,
            row=1,
        )
    required = required_columns("ledger")
    for canonical in (c for c in column_aliases("ledger") if c in required):
        if canonical not in found:
            raise WrongLayout(_missing(canonical), file=delivery.relative_path, row=1)
    has_signed = "amount" in found
    has_split = "debit" in found and "credit" in found
    if not (has_signed or has_split):
        raise WrongLayout(
            "no amount column: expected `bedrag` (signed) or both `debet` and `credit`",
            file=delivery.relative_path,
            row=1,
        )
    if has_signed and has_split:
        raise WrongLayout(
            "both `bedrag` and `debet`/`credit` columns: deliver one of the two forms",
            file=delivery.relative_path,
            row=1,
        )
    return found


def header_lookup(profile_columns: Mapping[str, str] | None = None) -> dict[str, str]:
    """Normalised header -> canonical column: the profile's headers, else the built-in aliases."""
    own = {normalise_header(name): canonical for canonical, name in (profile_columns or {}).items()}
    return {
        normalise_header(alias): canonical
        for canonical, aliases in column_aliases("ledger").items()
        for alias in aliases
        if normalise_header(alias) not in own and canonical not in own.values()
    } | own


def known_columns(
    header: list[str], profile_columns: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Canonical column -> the file's header, for the columns the ledger reader would find;
    unlike map_columns it does not mind what is missing (the first of two matches is listed)."""
    lookup = header_lookup(profile_columns)
    found: dict[str, str] = {}
    for name in header:
        canonical = lookup.get(normalise_header(name))
        if canonical is not None:
            found.setdefault(canonical, name)
    return found


def _missing(canonical: str) -> str:
    aliases = ", ".join(f"`{alias}`" for alias in column_aliases("ledger")[canonical])
    return f"required column for {canonical} is missing (accepted names: {aliases})"


def read_ledger_csv(delivery: Delivery, profile: KindProfile | None = None) -> ParsedDelivery:
    return whole_delivery(read_ledger_csv_batches(delivery, profile, batch_size=None))


def read_ledger_csv_batches(
    delivery: Delivery, profile: KindProfile | None = None, *, batch_size: int | None = 100_000
) -> Generator[ReadBatch, None, ParsedDelivery]:
    """read_ledger_csv about batch_size lines at a time (None: the whole file at once), for a
    file too large to hold whole: yields each batch of rows with their delivered text and
    problems, and returns the ParsedDelivery without rows (its notes and header)."""
    file = delivery.relative_path
    if batch_size is None:
        texts = iter([read_text_csv(delivery.path, file=file)])
    else:
        part_bytes = _bytes_per_line(delivery.path) * batch_size
        texts = read_text_csv_parts(delivery.path, file=file, part_bytes=part_bytes)
    reader = None
    for text in texts:
        if reader is None:
            reader = _LedgerCsv(delivery, profile, text.header)
        yield reader.part(text)
    return reader.finish(text.notes)


class _LedgerCsv:
    """The ledger of one CSV file, read a part (TextTable) at a time."""

    def __init__(self, delivery: Delivery, profile: KindProfile | None, header: list[str]) -> None:
        self.delivery = delivery
        self.profile = profile
        self.header = header
        self.found = map_columns(header, delivery, profile.columns if profile else None)
        # the table's names are the header's, made unique: map_columns refused repeated names
        self.names = unique_names(header)
        self.columns = {
            canonical: self.names[header.index(name)] for canonical, name in self.found.items()
        }
        self.delivery_id = delivery.content_hash()
        self.unknown_types: set[str] = set()
        self.broken_vouchers: dict[int, tuple[str | None, str | None]] = {}
        self.last_row = 0
        self.last_row_problems: list[RowProblem] = []
        self.encoding: str | None = None

    def part(self, text: TextTable) -> ReadBatch:
        columns = self.columns
        self.encoding = text.encoding
        source = text.table.add_column(0, SOURCE_ROW, text.source_rows)
        problems = [
            RowProblem(
                row.line,
                None,
                row.text,
                "row_shape",
                f"row has {row.fields} field(s), the header has {len(text.header)}",
            )
            for row in text.broken_rows
        ] + line_problems(text)
        rows = source.select([])
        for name, value in _lineage(self.delivery, self.delivery_id, source).items():
            rows = rows.append_column(name, value)

        dates, failed = parse_date(source[columns["booking_date"]])
        problems += _problems(source, failed, columns["booking_date"], "date_format", _date_message)
        amount = _amount(source, columns, problems)
        typed = {"booking_date": dates, "amount": amount}
        for canonical in TEXT_COLUMNS:
            if canonical in columns:
                typed[canonical] = blank_to_null(source[columns[canonical]])
        vat = bool(self.profile and self.profile.amounts_include_vat)
        typed["amounts_include_vat"] = constant(vat, source.num_rows, pa.bool_())
        if "account_type" in columns:
            types, unknown = _account_type(source[columns["account_type"]], self.profile)
            typed["account_type"] = types
            self.unknown_types |= unknown
        for field in LEDGER_SCHEMA:
            if field.name in rows.column_names:
                continue
            value = typed.get(field.name, pa.nulls(source.num_rows, field.type))
            rows = rows.append_column(field, pc.cast(value, field.type))

        last_row = max(
            [*text.source_rows.to_pylist()[-1:], *(r.line for r in text.broken_rows)], default=0
        )
        if last_row >= self.last_row:
            self.last_row = last_row
            self.last_row_problems = [p for p in problems if p.source_row == last_row]
        self.broken_vouchers |= _vouchers_of(
            [*text.broken_rows, *text.unreadable_lines], text.header, self.found
        )
        return ReadBatch(rows.cast(LEDGER_SCHEMA), source, problems)

    def finish(self, text_notes: list[str]) -> ParsedDelivery:
        """The file as a whole, once every part was read; UnreadableFile if it was cut off."""
        notes = list(text_notes)
        ignored = [name for name in self.names if name not in self.columns.values()]
        if ignored:
            notes.append("columns not in the data contract were ignored: " + ", ".join(ignored))
        if self.unknown_types:
            notes.append(
                "account type not understood, left unknown (expected B / balans or W / "
                "exploitatie): " + ", ".join(f"'{word}'" for word in sorted(self.unknown_types)[:5])
            )
        _refuse_cut_off(self.delivery, self.last_row_problems, self.last_row)
        return ParsedDelivery(
            delivery=self.delivery,
            delivery_id=self.delivery_id,
            rows=LEDGER_SCHEMA.empty_table(),
            raw=pa.table({SOURCE_ROW: pa.array([], pa.int64())}),
            notes=notes,
            header={
                "encoding": self.encoding,
                "columns": self.header,
                "canonical_columns": sorted(self.columns),
                "broken_row_vouchers": self.broken_vouchers,
            },
        )


def _bytes_per_line(path: Path) -> int:
    """About how many bytes a line of the file takes, from its first MiB."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    return max(len(head) // max(head.count(b"\n"), 1), 1)


def _account_type(
    values: pa.ChunkedArray, profile: KindProfile | None
) -> tuple[pa.Array, set[str]]:
    """B (balance sheet) or P (operating account); an unknown word leaves the type unknown.
    Returns the types and the words not understood."""
    own = profile.values.get("account_type") if profile else None
    types = lookup_values(values, value_words("ledger", "account_type"), own)
    unknown = pc.and_(pc.is_null(types), pc.is_valid(blank_to_null(values)))
    if pc.any(unknown).as_py():
        return types, set(values.filter(unknown).to_pylist())
    return types, set()


def _refuse_cut_off(delivery: Delivery, problems: list[RowProblem], last_row: int) -> None:
    """A file whose last row has no line break and cannot be read was cut off mid-line: the rest
    of the ledger is missing, however well the lines before the cut balance."""
    cut = [problem for problem in problems if problem.source_row == last_row]
    if not cut or _ends_with_line_break(delivery.path):
        return
    raise UnreadableFile(
        "the file ends in the middle of a line (no line break after the last row, which cannot "
        f"be read: {cut[0].message}): the export looks cut off",
        file=delivery.relative_path,
        row=last_row,
        hint="Export the complete ledger again and deliver the whole file.",
    )


def _ends_with_line_break(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return True
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")


def _vouchers_of(
    broken: list[BrokenRow | UnreadableLine], header: list[str], found: dict[str, str]
) -> dict[int, tuple[str | None, str | None]]:
    """The journal and voucher number of each row that is not in the table (the wrong number of
    fields, an unbalanced quote, a line too long), where its leading fields hold them: the balance
    check then knows which voucher it cannot check."""
    positions = {c: header.index(found[c]) for c in ("journal", "transaction_id") if c in found}
    vouchers = {}
    for row in broken:
        fields = next(csv.reader([row.text], delimiter=DELIMITER), [])
        values = {
            canonical: (fields[at].strip() or None) if at < len(fields) - 1 else None
            for canonical, at in positions.items()
        }
        vouchers[row.line] = (values.get("journal"), values.get("transaction_id"))
    return vouchers


def _lineage(delivery: Delivery, delivery_id: str, source: pa.Table) -> dict[str, pa.Array]:
    n = source.num_rows
    return {
        "delivery_id": constant(delivery_id, n, pa.string()),
        "municipality_code": constant(delivery.municipality_code, n, pa.string()),
        "fiscal_year": constant(delivery.fiscal_year, n, pa.int32()),
        "source_file": constant(delivery.relative_path, n, pa.string()),
        "source_row": source[SOURCE_ROW],
    }


def constant(value: object, length: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value], type_).take(pa.array(np.zeros(length, dtype=np.int64)))


def _amount(source: pa.Table, columns: dict[str, str], problems: list[RowProblem]) -> pa.Array:
    """Signed amount, debit positive: from `bedrag`, or debit minus credit."""
    if "amount" in columns:
        amount, failed = parse_amount(source[columns["amount"]])
        problems += _problems(source, failed, columns["amount"], "amount_format", _amount_message)
        return amount
    debit, debit_failed = parse_amount(source[columns["debit"]])
    credit, credit_failed = parse_amount(source[columns["credit"]])
    problems += _problems(source, debit_failed, columns["debit"], "amount_format", _amount_message)
    problems += _problems(
        source, credit_failed, columns["credit"], "amount_format", _amount_message
    )
    zero = pa.scalar(0, debit.type)
    both_empty = pc.and_(pc.is_null(debit), pc.is_null(credit))
    signed = pc.subtract(pc.fill_null(debit, zero), pc.fill_null(credit, zero))
    any_failed = pc.or_(debit_failed, credit_failed)
    return pc.if_else(pc.or_(both_empty, any_failed), pa.scalar(None, signed.type), signed)


def _problems(source, failed, column, rule, message) -> list[RowProblem]:
    indices = np.flatnonzero(failed.to_numpy(zero_copy_only=False))
    if not len(indices):
        return []
    values = source[column].take(indices).to_pylist()
    lines = source[SOURCE_ROW].take(indices).to_pylist()
    return [
        RowProblem(line, column, value, rule, message(column, value))
        for line, value in zip(lines, values, strict=True)
    ]


def _amount_message(column: str, value: str) -> str:
    return f"'{value}' is not an amount (expected e.g. 1.234,56 or 1.234,56-)"


def _date_message(column: str, value: str) -> str:
    return f"'{value}' is not a date (expected dd-mm-yyyy, e.g. 31-12-2024)"
