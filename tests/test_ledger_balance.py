"""The rule that a ledger closes, on normalised lines: per voucher and in total, within one cent."""

from decimal import Decimal

import pyarrow as pa
import pytest

from pipelines.contract.errors import Unbalanced
from pipelines.contract.schemas import AMOUNT
from pipelines.ingest.balance import check_balance


def lines(*rows: tuple[str | None, str | None, str | None]) -> pa.Table:
    """(journal, voucher, amount) per line; source_row counts from 2 as in a CSV file."""
    return pa.table(
        {
            "journal": pa.array([r[0] for r in rows], pa.string()),
            "transaction_id": pa.array([r[1] for r in rows], pa.string()),
            "amount": pa.array([None if r[2] is None else Decimal(r[2]) for r in rows], AMOUNT),
            "source_row": pa.array(range(2, len(rows) + 2), pa.int64()),
        }
    )


def test_a_closing_ledger_has_nothing_to_say():
    rows = lines(("INK", "1", "10.00"), ("INK", "1", "-10.00"), ("MEM", "1", "0.00"))
    assert check_balance(rows, file="f.csv", per_voucher=True) == []


def test_the_same_voucher_number_in_two_journals_is_two_vouchers():
    rows = lines(("INK", "1", "10.00"), ("MEM", "1", "-10.00"))
    with pytest.raises(Unbalanced) as caught:
        check_balance(rows, file="f.csv", per_voucher=True)
    assert "2 vouchers do not balance, each with its sum: journal 'INK' voucher '1' (row 2) " in (
        caught.value.message
    )
    assert "journal 'MEM' voucher '1' (row 3) -10.00" in caught.value.message


def test_a_voucher_without_journal_column_is_named_by_its_number():
    rows = lines((None, "7", "10.00"), (None, "7", "-9.00"))
    with pytest.raises(Unbalanced, match=r"with its sum: voucher '7' \(row 2\) 1.00"):
        check_balance(rows, file="f.csv", per_voucher=True)


def test_lines_without_a_voucher_number_count_in_the_total():
    rows = lines(("INK", "1", "10.00"), ("INK", "1", "-10.00"), ("INK", None, "5.00"))
    with pytest.raises(Unbalanced) as caught:
        check_balance(rows, file="f.csv", per_voucher=True)
    assert caught.value.message == (
        "the ledger does not balance: debit 15.00 != credit 10.00, difference 5.00 EUR; every "
        "voucher closes, so the difference is in the 1 line(s) without a voucher number: rows 4"
    )
    assert caught.value.row == 4


def test_an_unreadable_amount_leaves_its_voucher_out_and_says_so():
    rows = lines(
        ("INK", "1", "10.00"), ("INK", "1", None), ("INK", "2", "3.00"), ("INK", "2", "-3.00")
    )
    notes = check_balance(rows, file="f.csv", per_voucher=True)
    assert notes == [
        "1 voucher(s) could not be checked for balance because a line's amount could not be read "
        "(that line is quarantined): journal 'INK' voucher '1'"
    ]


def test_a_broken_row_leaves_the_voucher_its_leading_fields_name_out():
    rows = lines(("INK", "1", "10.00"), ("INK", "2", "3.00"), ("INK", "2", "-3.00"))
    notes = check_balance(rows, file="f.csv", per_voucher=True, broken={5: ("INK", "1")})
    assert "journal 'INK' voucher '1'" in notes[0]
    with pytest.raises(Unbalanced):  # a broken row whose voucher is unknown excuses nothing
        check_balance(rows, file="f.csv", per_voucher=True, broken={5: ("INK", None)})


def test_without_voucher_column_an_unreadable_line_leaves_the_total_unchecked():
    rows = lines((None, None, "10.00"), (None, None, None))
    notes = check_balance(rows, file="f.csv", per_voucher=False)
    assert notes[-1] == (
        "the total could not be checked: 1 line(s) without a voucher number have an amount "
        "that could not be read (they are quarantined)"
    )
