"""A general ledger closes: every voucher (journal + voucher number) sums to zero, and so does the
year, within one cent. One rule for the normalised lines of every ledger format.

A line whose amount cannot be read (or a row too broken to read at all) is quarantined as
before; its voucher cannot be checked, so that voucher is left out of both checks and named in a
note, and the quarantine limits bound how much can hide that way. A line that is quarantined for
another reason (a date outside the fiscal year, no account) still has a readable amount and counts
in its voucher: the balance is a property of the file as delivered. An export without a voucher
number column can only be checked in total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.errors import Unbalanced
from pipelines.contract.suites import closing_rule

RULE = closing_rule("ledger")  # the suite holds the tolerance, so a change re-checks every ledger
TOLERANCE = Decimal(RULE["tolerance"])  # one cent: rounding that real exports carry, no more
SHOWN = int(RULE["vouchers_listed"])
HINT = RULE["hint"]

Voucher = tuple[str | None, str | None]  # journal, voucher number


@dataclass(frozen=True)
class OffVoucher:
    journal: str | None
    voucher: str
    total: Decimal
    first_row: int


def check_balance(
    rows: pa.Table,
    *,
    file: str,
    per_voucher: bool,
    broken: Mapping[int, Voucher] | None = None,
) -> list[str]:
    """Raise Unbalanced unless every voucher and the total close within one cent; return notes.

    rows: LEDGER_SCHEMA lines (amount null where it could not be read). per_voucher: the export
    has a voucher number column. broken: rows too broken to be in `rows`, with their voucher
    where their leading fields still give it."""
    tally = BalanceTally()
    tally.add(rows)
    return tally.close(file=file, per_voucher=per_voucher, broken=broken)


class BalanceTally:
    """check_balance over a ledger read a batch at a time: what it keeps is a sum per voucher
    (a voucher's lines may lie in several batches), not the lines."""

    def __init__(self) -> None:
        self.excused: set[Voucher] = set()  # vouchers with a line whose amount is unreadable
        self.unreadable = 0  # lines whose amount is unreadable
        self.loose = 0  # of them, those without a voucher number
        self.partial: list[pa.Table] = []  # sums per (journal, voucher), to be added up
        self.without_voucher = 0  # readable lines without a voucher number
        self.first_without: list[int] = []  # the first SHOWN of them

    def add(self, rows: pa.Table) -> None:
        amounts = rows["amount"]
        unreadable = pc.is_null(amounts)
        if amounts.null_count:
            self.excused.update(
                (journal, voucher)
                for journal, voucher in zip(
                    rows["journal"].filter(unreadable).to_pylist(),
                    rows["transaction_id"].filter(unreadable).to_pylist(),
                    strict=True,
                )
                if voucher is not None
            )
        self.unreadable += amounts.null_count
        self.loose += _loose_unreadable(rows, unreadable)
        counted = rows.select(["journal", "transaction_id", "amount", "source_row"])
        if amounts.null_count:  # a copy of a large ledger costs hundreds of MB: only when needed
            counted = counted.filter(pc.invert(unreadable))
        found = counted["source_row"].filter(pc.is_null(counted["transaction_id"]))
        self.without_voucher += len(found)
        if len(self.first_without) < SHOWN:
            self.first_without += found.slice(0, SHOWN - len(self.first_without)).to_pylist()
        zero = pa.scalar(Decimal(0), counted["amount"].type)
        amount = counted["amount"]
        sides = counted.append_column(
            "debit", pc.if_else(pc.greater(amount, zero), amount, zero)
        ).append_column("credit", pc.if_else(pc.less(amount, zero), amount, zero))
        self.partial.append(_per_voucher(sides, "amount", "debit", "credit", "source_row"))
        if len(self.partial) > 8:
            self.partial = [self._vouchers()]

    def _vouchers(self) -> pa.Table:
        if len(self.partial) == 1:
            return self.partial[0]
        combined = pa.concat_tables(self.partial)
        return _per_voucher(combined, "amount_sum", "debit_sum", "credit_sum", "source_row_min")

    def close(
        self, *, file: str, per_voucher: bool, broken: Mapping[int, Voucher] | None = None
    ) -> list[str]:
        """Raise Unbalanced unless every voucher and the total close; return notes (see
        check_balance)."""
        broken = broken or {}
        notes: list[str] = []
        excused: set[Voucher] = set()
        loose = self.unreadable
        if per_voucher:
            excused = self.excused | {v for v in broken.values() if v[1] is not None}
            loose = self.loose
        loose += sum(voucher[1] is None for voucher in broken.values())
        if excused:
            listed = ", ".join(_name(j, v) for j, v in sorted(excused, key=_order)[:SHOWN])
            notes.append(
                f"{len(excused)} voucher(s) could not be checked for balance because a line's "
                f"amount could not be read (that line is quarantined): {listed}"
            )
        vouchers = self._vouchers()
        if excused:
            keys = pa.array([_key(j, v) for j, v in excused], pa.string())
            counted = pc.invert(pc.fill_null(pc.is_in(_keys(vouchers), keys), False))
            vouchers = vouchers.filter(counted)
        debit = _total(vouchers["debit_sum"])
        credit = -_total(vouchers["credit_sum"])

        off: list[OffVoucher] = []
        if per_voucher:
            totals = vouchers["amount_sum"]
            wrong = pc.and_(
                pc.is_valid(vouchers["transaction_id"]),
                pc.greater(pc.abs(totals), pa.scalar(TOLERANCE, totals.type)),
            )
            off = sorted(
                (
                    OffVoucher(
                        r["journal"], r["transaction_id"], r["amount_sum"], r["source_row_min"]
                    )
                    for r in vouchers.filter(wrong).to_pylist()
                ),
                key=lambda v: v.first_row,
            )
        else:
            notes.append(
                "the file has no voucher number column (boekstuk), so each voucher's balance "
                "could not be checked; only the total was"
            )

        total_off = abs(debit - credit) > TOLERANCE
        if loose:
            notes.append(
                f"the total could not be checked: {loose} line(s) without a voucher number have "
                "an amount that could not be read (they are quarantined)"
            )
            total_off = False
        if off or total_off:
            without = per_voucher and not off
            raise Unbalanced(
                _message(
                    debit,
                    credit,
                    off,
                    per_voucher,
                    (self.without_voucher, self.first_without) if without else None,
                ),
                file=file,
                row=off[0].first_row
                if off
                else (min(self.first_without, default=None) if without else None),
                hint=HINT,
            )
        return notes


def _per_voucher(lines: pa.Table, amount: str, debit: str, credit: str, row: str) -> pa.Table:
    """Sums per (journal, voucher), lines without a voucher number together per journal."""
    grouped = lines.group_by(["journal", "transaction_id"], use_threads=False).aggregate(
        [(amount, "sum"), (debit, "sum"), (credit, "sum"), (row, "min")]
    )
    return grouped.rename_columns(
        ["journal", "transaction_id", "amount_sum", "debit_sum", "credit_sum", "source_row_min"]
    )


def _total(sums: pa.ChunkedArray) -> Decimal:
    return pc.sum(sums).as_py() or Decimal(0)


def _message(
    debit: Decimal,
    credit: Decimal,
    off: list[OffVoucher],
    per_voucher: bool,
    without: tuple[int, list[int]] | None = None,
) -> str:
    """without: how many readable lines have no voucher number, and the first of their rows."""
    if debit != credit:
        overall = (
            f"debit {euros(debit)} != credit {euros(credit)}, "
            f"difference {euros(abs(debit - credit))} EUR"
        )
    else:
        overall = f"debit and credit both add up to {euros(debit)}, but not per voucher"
    if not per_voucher:
        return (
            f"the ledger does not balance: {overall}; the file has no voucher number column "
            "(boekstuk), so the vouchers that do not close cannot be named"
        )
    if not off:
        count, rows = without or (0, [])
        listed = f": rows {', '.join(map(str, rows))}" if rows else ""
        return (
            f"the ledger does not balance: {overall}; every voucher closes, so the difference "
            f"is in the {count} line(s) without a voucher number{listed}"
        )
    listed = "; ".join(
        f"{_name(v.journal, v.voucher)} (row {v.first_row}) {euros(v.total)}" for v in off[:SHOWN]
    )
    if len(off) == 1:
        return f"the ledger does not balance: {overall}; 1 voucher does not balance, with its sum: {listed}"
    count = f"{len(off):,}".replace(",", " ")
    first = f"; the first {SHOWN}, each" if len(off) > SHOWN else ", each"
    return (
        f"the ledger does not balance: {overall}; {count} vouchers do not balance{first} with "
        f"its sum: {listed}"
    )


def euros(amount: Decimal) -> str:
    """1 234.56, as the XAF reader writes amounts in its messages."""
    return f"{amount:,.2f}".replace(",", " ")


def _name(journal: str | None, voucher: str | None) -> str:
    return f"journal '{journal}' voucher '{voucher}'" if journal else f"voucher '{voucher}'"


def _order(voucher: Voucher) -> tuple[str, str]:
    return voucher[0] or "", voucher[1] or ""


def _key(journal: str | None, voucher: str | None) -> str:
    return f"{journal or ''}\x1f{voucher}"


def _keys(rows: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(
        pc.fill_null(rows["journal"], ""), rows["transaction_id"], "\x1f"
    )


def _loose_unreadable(rows: pa.Table, unreadable: pa.Array) -> int:
    """Lines with an unreadable amount whose voucher is unknown."""
    loose = pc.and_(unreadable, pc.is_null(rows["transaction_id"]))
    return pc.sum(loose.cast(pa.int64())).as_py() or 0
