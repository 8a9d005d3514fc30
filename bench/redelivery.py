"""(d) A re-delivery in any drop zone: a real, accepted CSV ledger of a chosen year comes back with one
ICT line 100 euro higher and its voucher's counter-entry 100 euro more on the other side.

Which line is ICT is asked of the published mart (fct_ict_cost_line traces every ICT amount to
its file and row), so this works on generated data and on a drop zone of real deliveries alike.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.sql import canonical_column

REDELIVERY_DELTA = Decimal("100.00")
VOUCHER_COLUMNS = ("journal", "transaction_id")


@dataclass(frozen=True)
class Redelivery:
    municipality_code: str
    fiscal_year: int
    file: str
    source_row: int
    old: str
    new: str
    lines: int


class NoRedeliveryCandidate(RuntimeError):
    """The drop zone has no accepted CSV ledger of that year with a changeable ICT line."""


def ict_rows(database: Path, fiscal_year: int) -> dict[str, set[int]]:
    """source_file -> rows that hold a classified ICT amount, for the CSV ledgers of one year."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(
            "select source_file, list(source_row) from fct_ict_cost_line "
            "where fiscal_year = ? and source_file like '%.csv' "
            "and category not in ('unclassified', 'not_ict') group by source_file",
            [fiscal_year],
        ).fetchall()
    return {file: set(rows) for file, rows in found}


def redeliver(dropzone: Path, database: Path, fiscal_year: int, accepted: set[str]) -> Redelivery:
    """Change the largest accepted CSV ledger of fiscal_year that has an ICT line with a
    counter-entry; raise NoRedeliveryCandidate when there is none."""
    deliveries = dropzone / "deliveries"
    rows = ict_rows(database, fiscal_year)
    candidates = sorted(
        (deliveries / file for file in rows if file in accepted),
        key=lambda p: -p.stat().st_size,
    )
    for path in candidates:
        change = _change_file(path, rows[str(path.relative_to(deliveries))])
        if change is not None:
            return Redelivery(
                path.parent.parent.name,
                fiscal_year,
                str(path.relative_to(deliveries)),
                *change,
            )
    raise NoRedeliveryCandidate(
        f"no accepted CSV ledger of {fiscal_year} with an ICT line and a counter-entry to change"
    )


def _change_file(path: Path, ict: set[int]) -> tuple[int, str, str, int] | None:
    raw = path.read_bytes()
    encoding = "utf-8" if _is_utf8(raw) else "cp1252"
    text = raw.decode(encoding)
    terminator = "\r\n" if "\r\n" in text[:10_000] else "\n"
    lines = text.split(terminator)
    header = _fields(lines[0].lstrip("\ufeff"))
    columns = {canonical_column(name): index for index, name in enumerate(header)}
    amount = columns.get("amount", columns.get("debit"))
    if amount is None or not any(c in columns for c in VOUCHER_COLUMNS):
        return None
    style = _amount_style(lines, columns)
    for number in sorted(ict):
        if number - 1 >= len(lines):
            continue
        fields = _fields(lines[number - 1])
        old = fields[amount]
        if not old.strip():
            continue
        counter = _counter_entry(lines, number, columns, ict, style)
        if counter is None:
            continue
        fields[amount] = shift_amount(old, style)
        lines[number - 1] = _csv_line(fields)
        index, counter_fields = counter
        lines[index] = _csv_line(counter_fields)
        path.unlink()  # may be a hard link to the generated original: replace it, never write through
        path.write_bytes(terminator.join(lines).encode(encoding))
        data_rows = sum(1 for line in lines[1:] if line)
        return number, old, fields[amount], data_rows
    return None


def _counter_entry(lines, changed: int, columns: dict, ict: set[int], style):
    """A line of the changed line's voucher that is not ICT, booked REDELIVERY_DELTA more on
    the other side: (index in lines, new fields), or None."""

    def voucher(fields: list[str]) -> tuple[str, ...]:
        return tuple(fields[columns[c]] for c in VOUCHER_COLUMNS if c in columns)

    target = voucher(_fields(lines[changed - 1]))
    for index, line in enumerate(lines[1:], start=1):
        if not line or index + 1 in ict:
            continue
        fields = _fields(line)
        if len(fields) <= max(columns.values()) or voucher(fields) != target:
            continue
        if "amount" in columns:
            fields[columns["amount"]] = shift_amount(fields[columns["amount"]], style, -1)
        elif fields[columns["credit"]].strip():
            fields[columns["credit"]] = shift_amount(fields[columns["credit"]], style)
        elif fields[columns["debit"]].strip():
            fields[columns["debit"]] = shift_amount(fields[columns["debit"]], style, -1)
        else:
            continue
        return index, fields
    return None


@dataclass(frozen=True)
class AmountStyle:
    thousands: bool
    trailing_minus: bool


def _amount_style(lines: list[str], columns: dict) -> AmountStyle:
    wanted = [columns[c] for c in ("amount", "debit", "credit") if c in columns]
    sample = [_fields(line) for line in lines[1:2000] if line]
    values = [f[i] for f in sample for i in wanted if i < len(f) and f[i].strip()]
    return AmountStyle(
        thousands=any(re.search(r"\d\.\d{3}", v) for v in values),
        trailing_minus=any(v.strip().endswith("-") for v in values),
    )


def shift_amount(text: str, style: AmountStyle, sign: int = 1) -> str:
    from pipelines.demo.ledgers import format_amount

    value = parse_dutch_amount(text) + sign * REDELIVERY_DELTA
    minus = "trailing" if style.trailing_minus else "leading"
    return format_amount(int(value * 100), thousands=style.thousands, minus=minus)


def parse_dutch_amount(text: str) -> Decimal:
    clean = text.strip()
    negative = clean.startswith("-") or clean.endswith("-")
    number = Decimal(clean.strip("-").replace(".", "").replace(",", "."))
    return -number if negative else number


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fields(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";"), [])


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="").writerow(fields)
    return buffer.getvalue()


def redelivery_check(before: dict[str, str], after: dict[str, str], change: Redelivery) -> dict:
    """The mart moved by exactly REDELIVERY_DELTA for the changed municipality-year, nothing else."""
    key = f"{change.municipality_code}/{change.fiscal_year}"
    expected = dict(before)
    expected[key] = str(Decimal(before[key]) + REDELIVERY_DELTA)
    wrong = [
        k
        for k in sorted(set(expected) | set(after))
        if expected.get(k) is None
        or after.get(k) is None
        or Decimal(expected[k]) != Decimal(after[k])
    ]
    return {
        "expected_delta_eur": str(REDELIVERY_DELTA),
        "mart_correct": not wrong,
        "wrong": wrong[:20],
    }
