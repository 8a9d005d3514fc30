"""The one set of Dutch value rules every reader uses, above all where two readers used to differ."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from pipelines.readers.dutch_values import parse_amount, parse_date, parse_number


def amount(text: str | None) -> tuple[Decimal | None, bool]:
    values, failed = parse_amount(pa.array([text], pa.string()))
    return values.to_pylist()[0], failed.to_pylist()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€ 12,50", "12.50"),
        ("12,50 €", "12.50"),
        ("-€ 12,50", "-12.50"),
        ("€ -12,50", "-12.50"),
        ("€\u00a012,50", "12.50"),  # Excel's no-break space between the sign and the number
        ("- 12,50", "-12.50"),
        ("12,50 -", "-12.50"),
        ("1 234,56", "1234.56"),
        ("1 234 567,89", "1234567.89"),
        ("+5", "5.00"),
        ("-1.234,-", "-1234.00"),
        ("1234567890123456", "1234567890123456.00"),  # the most decimal(18, 2) holds
    ],
)
def test_amounts_every_reader_accepts(text: str, expected: str):
    assert amount(text) == (Decimal(expected), False)


@pytest.mark.parametrize(
    "text",
    [
        "EUR 12,50",  # only the euro sign is accepted as a currency
        "12eur34",
        "12€50",  # a euro sign in the middle is not a currency sign
        "€",  # a lone euro sign is not an empty cell
        "+5-",  # two signs
        "1.234,--",
        "(1.234,56)",  # parentheses are not a Dutch minus
        "12 34",  # a space only separates thousands in groups of three
        "1 2,5 0",
        "1\u00a0234,56",  # a no-break space inside the number
        "1,234",  # more than two decimals is not a number of cents
        "12345678901234567",  # does not fit decimal(18, 2): a row problem, not a crash
        "12345678901234567890,00",
    ],
)
def test_amounts_no_reader_accepts(text: str):
    assert amount(text) == (None, True)


def test_empty_and_missing_amounts_are_null_not_failed():
    values, failed = parse_amount(pa.array(["", "  ", None, "\u00a0"], pa.string()))
    assert values.to_pylist() == [None] * 4
    assert failed.to_pylist() == [False] * 4


def test_numbers_share_the_amount_rules_but_keep_every_decimal():
    values, failed = parse_number(
        pa.array(["0,89", "7,5", "1.600", "1,23456", "0.8", "EUR 1", None], pa.string())
    )
    assert values.to_pylist() == [0.89, 7.5, 1600.0, 1.23456, None, None, None]
    assert failed.to_pylist() == [False, False, False, False, True, True, False]


def test_repeated_values_map_back_to_their_own_rows():
    texts = ["10,00", "", "x", "10,00", None, "1.234,56-", "x", "10,00"]
    values, failed = parse_amount(pa.chunked_array([texts[:3], texts[3:]], pa.string()))
    assert values.to_pylist() == [
        Decimal("10.00"),
        None,
        None,
        Decimal("10.00"),
        None,
        Decimal("-1234.56"),
        None,
        Decimal("10.00"),
    ]
    assert failed.to_pylist() == [False, False, True, False, False, False, True, False]


LEDGER_ONLY_FAILS = ["2024-03-14", "14-03-2024 00:00:00", "2024-03-14T09:30", "1-3-2024 9:30"]


@pytest.mark.parametrize("text", LEDGER_ONLY_FAILS)
def test_ledger_dates_are_dd_mm_yyyy_only(text: str):
    values, failed = parse_date(pa.array([text]))
    assert (values.to_pylist(), failed.to_pylist()) == ([None], [True])


@pytest.mark.parametrize("text", LEDGER_ONLY_FAILS)
def test_cmdb_and_hr_dates_may_be_iso_and_carry_a_time(text: str):
    values, failed = parse_date(pa.array([text]), iso_and_time=True)
    assert failed.to_pylist() == [False]
    assert values.to_pylist()[0] in (dt.date(2024, 3, 14), dt.date(2024, 3, 1))


@pytest.mark.parametrize("iso_and_time", [False, True])
@pytest.mark.parametrize("text", ["31-02-2024", "29-02-2023", "14-03-24", "03/14/2024", "2024"])
def test_impossible_or_foreign_dates_fail_either_way(text: str, iso_and_time: bool):
    values, failed = parse_date(pa.array([text]), iso_and_time=iso_and_time)
    assert (values.to_pylist(), failed.to_pylist()) == ([None], [True])


def test_missing_dates_are_null_not_failed():
    values, failed = parse_date(pa.array([None, "", " 1-3-2024 "], pa.string()))
    assert values.to_pylist() == [None, None, dt.date(2024, 3, 1)]
    assert failed.to_pylist() == [False, False, False]
