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
    broken = broken or {}
    amounts = rows["amount"]
    unreadable = pc.is_null(amounts)
    notes: list[str] = []
    excused: set[Voucher] = set()
    if per_voucher:
        excused = {
            (journal, voucher)
            for journal, voucher in zip(
                rows["journal"].filter(unreadable).to_pylist(),
                rows["transaction_id"].filter(unreadable).to_pylist(),
                strict=True,
            )
            if voucher is not None
        } | {voucher for voucher in broken.values() if voucher[1] is not None}
    loose = _loose_unreadable(rows, unreadable, per_voucher) + sum(
        voucher[1] is None for voucher in broken.values()
    )
    if excused:
        listed = ", ".join(_name(j, v) for j, v in sorted(excused, key=_order)[:SHOWN])
        notes.append(
            f"{len(excused)} voucher(s) could not be checked for balance because a line's amount "
            f"could not be read (that line is quarantined): {listed}"
        )

    counted = rows.select(["journal", "transaction_id", "amount", "source_row"])
    if amounts.null_count:  # a copy of a large ledger costs hundreds of MB: only when needed
        counted = counted.filter(pc.invert(unreadable))
    if excused:
        keys = pa.array([_key(j, v) for j, v in excused], pa.string())
        counted = counted.filter(pc.invert(pc.fill_null(pc.is_in(_keys(counted), keys), False)))
    debit = _sum(counted["amount"], positive=True)
    credit = -_sum(counted["amount"], positive=False)

    off: list[OffVoucher] = []
    if per_voucher:
        with_voucher = counted.filter(pc.is_valid(counted["transaction_id"]))
        grouped = with_voucher.group_by(["journal", "transaction_id"], use_threads=False).aggregate(
            [("amount", "sum"), ("source_row", "min")]
        )
        totals = grouped["amount_sum"]
        wrong = pc.greater(pc.abs(totals), pa.scalar(TOLERANCE, totals.type))
        off = sorted(
            (
                OffVoucher(r["journal"], r["transaction_id"], r["amount_sum"], r["source_row_min"])
                for r in grouped.filter(wrong).to_pylist()
            ),
            key=lambda v: v.first_row,
        )
    else:
        notes.append(
            "the file has no voucher number column (boekstuk), so each voucher's balance could "
            "not be checked; only the total was"
        )

    total_off = abs(debit - credit) > TOLERANCE
    if loose:
        notes.append(
            f"the total could not be checked: {loose} line(s) without a voucher number have an "
            "amount that could not be read (they are quarantined)"
        )
        total_off = False
    if off or total_off:
        without = pc.is_null(counted["transaction_id"]) if per_voucher and not off else None
        rows_without = counted["source_row"].filter(without) if without is not None else None
        first = pc.min(rows_without).as_py() if rows_without is not None else None
        raise Unbalanced(
            _message(debit, credit, off, per_voucher, rows_without),
            file=file,
            row=off[0].first_row if off else first,
            hint=HINT,
        )
    return notes


def _message(
    debit: Decimal,
    credit: Decimal,
    off: list[OffVoucher],
    per_voucher: bool,
    rows_without: pa.ChunkedArray | None = None,
) -> str:
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
        rows = rows_without.to_pylist()[:SHOWN] if rows_without is not None else []
        listed = f": rows {', '.join(map(str, rows))}" if rows else ""
        return (
            f"the ledger does not balance: {overall}; every voucher closes, so the difference "
            f"is in the {len(rows_without or [])} line(s) without a voucher number{listed}"
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


def _loose_unreadable(rows: pa.Table, unreadable: pa.Array, per_voucher: bool) -> int:
    """Lines with an unreadable amount whose voucher is unknown."""
    if not per_voucher:
        return pc.sum(unreadable.cast(pa.int64())).as_py() or 0
    loose = pc.and_(unreadable, pc.is_null(rows["transaction_id"]))
    return pc.sum(loose.cast(pa.int64())).as_py() or 0


def _sum(amounts: pa.Array, *, positive: bool) -> Decimal:
    zero = pa.scalar(Decimal(0), amounts.type)
    side = pc.greater(amounts, zero) if positive else pc.less(amounts, zero)
    return pc.sum(amounts.filter(side)).as_py() or Decimal(0)
