"""The Dutch dialects of ledger CSV exports, one feature at a time."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.contract.delivery import delivery_from_path
from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.readers.dutch_values import parse_amount, parse_date
from pipelines.readers.ledger_csv import read_ledger_csv

HEADER = "boekdatum;rekening;kostenplaats;omschrijving;bedrag"


def write(tmp_path: Path, content: bytes | str, name: str = "ledger.csv") -> Path:
    path = tmp_path / "GM0363" / "2024" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(path: Path):
    return read_ledger_csv(delivery_from_path(path))


def amounts(parsed) -> list:
    return parsed.rows["amount"].to_pylist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", Decimal("1234.56")),
        ("1234,56", Decimal("1234.56")),
        ("-1.234,56", Decimal("-1234.56")),
        ("1.234,56-", Decimal("-1234.56")),
        ("1.234.567,8", Decimal("1234567.80")),
        ("1.234,-", Decimal("1234.00")),
        ("€ 12,50", Decimal("12.50")),
        ("0,00", Decimal("0.00")),
        ("12", Decimal("12.00")),
    ],
)
def test_dutch_amounts(text, expected):
    values, failed = parse_amount(pa.array([text]))
    assert values.to_pylist() == [expected]
    assert failed.to_pylist() == [False]


@pytest.mark.parametrize("text", ["1234.56", "12,3,4", "abc", "1,2.3", "-5-", "12a"])
def test_what_is_not_a_dutch_amount_fails_instead_of_guessing(text):
    values, failed = parse_amount(pa.array([text]))
    assert values.to_pylist() == [None]
    assert failed.to_pylist() == [True]


def test_dates_are_day_month_year_and_must_exist():
    values, failed = parse_date(
        pa.array(["31-12-2024", "1-2-2024", "31-02-2024", "2024-12-31", ""])
    )
    assert [str(v) if v else None for v in values.to_pylist()] == [
        "2024-12-31",
        "2024-02-01",
        None,
        None,
        None,
    ]
    assert failed.to_pylist() == [False, False, True, True, False]


def test_signed_amounts_with_trailing_minus_and_thousands(tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n01-03-2024;4310;7100;Licentie;1.234,56\n01-03-2024;1600;;Crediteuren;1.234,56-\n",
    )
    parsed = read(path)
    assert amounts(parsed) == [Decimal("1234.56"), Decimal("-1234.56")]
    assert parsed.row_problems == []


def test_debit_and_credit_columns_become_one_signed_amount(tmp_path):
    path = write(
        tmp_path,
        "Datum;Grootboekrekening;Kpl;Omschrijving;Debet;Credit\n"
        "01-03-2024;4310;7100;Licentie;500,00;\n"
        "01-03-2024;1600;;Crediteuren;;500,00\n",
    )
    parsed = read(path)
    assert amounts(parsed) == [Decimal("500.00"), Decimal("-500.00")]
    assert parsed.rows["cost_centre"].to_pylist() == ["7100", None]


def test_windows_1252_is_read_as_such_and_said(tmp_path):
    text = f"{HEADER}\n01-03-2024;4310;7100;Café-licentie € 5 – €;10,00\n"
    parsed = read(write(tmp_path, text.encode("cp1252")))
    assert parsed.rows["description"].to_pylist() == ["Café-licentie € 5 – €"]
    assert any("Windows-1252" in note for note in parsed.notes)


def test_utf8_with_bom_and_crlf(tmp_path):
    text = f"{HEADER}\r\n01-03-2024;4310;7100;Überweisung;10,00\r\n"
    parsed = read(write(tmp_path, "\ufeff" + text))
    assert parsed.rows["booking_date"].to_pylist()[0].isoformat() == "2024-03-01"
    assert parsed.rows["description"].to_pylist() == ["Überweisung"]
    assert parsed.notes == []


def test_a_quoted_field_with_a_newline_is_two_quarantined_lines(tmp_path):
    path = write(
        tmp_path,
        f'{HEADER}\n01-03-2024;4310;7100;"twee\nregels";10,00\n01-03-2024;4310;7100;daarna;x\n',
    )
    parsed = read(path)
    assert parsed.rows["source_row"].to_pylist() == [4]
    assert [(p.source_row, p.column, p.value, p.rule) for p in parsed.row_problems] == [
        (2, None, '01-03-2024;4310;7100;"twee', "unbalanced_quote"),
        (3, None, 'regels";10,00', "unbalanced_quote"),
        (4, "bedrag", "x", "amount_format"),
    ]


def test_a_stray_quote_is_quarantined_alone_with_its_text(tmp_path):
    lines = [f"01-03-2024;4310;7100;regel {i};10,00" for i in range(3000)]
    lines[5] = '01-03-2024;4310;7100;"Kabels;10,00'
    lines[2900] = '01-03-2024;4310;7100;Monitor 24";10,00'
    parsed = read(write(tmp_path, HEADER + "\n" + "\n".join(lines) + "\n"))
    assert parsed.rows.num_rows == 2999
    [problem] = parsed.row_problems
    assert (problem.source_row, problem.rule, problem.value) == (
        7,
        "unbalanced_quote",
        '01-03-2024;4310;7100;"Kabels;10,00',
    )


def test_a_short_last_line_is_a_row_problem_with_its_line(tmp_path):
    path = write(tmp_path, f"{HEADER}\n01-03-2024;4310;7100;ok;10,00\n01-03-2024;43\n")
    parsed = read(path)
    assert parsed.rows.num_rows == 1
    [problem] = parsed.row_problems
    assert (problem.source_row, problem.rule) == (3, "row_shape")
    assert "has 2 field(s), the header has 5" in problem.message


def test_a_file_cut_off_mid_line_is_refused(tmp_path):
    path = write(tmp_path, f"{HEADER}\n01-03-2024;4310;7100;ok;10,00\n01-03-2024;43")
    with pytest.raises(UnreadableFile) as caught:
        read(path)
    assert caught.value.row == 3
    assert caught.value.message == (
        "the file ends in the middle of a line (no line break after the last row, which cannot "
        "be read: row has 2 field(s), the header has 5): the export looks cut off"
    )


def test_a_last_line_without_line_break_that_reads_is_kept(tmp_path):
    path = write(tmp_path, f"{HEADER}\n01-03-2024;4310;7100;ok;10,00\n01-03-2024;1600;;c;10,00-")
    assert amounts(read(path)) == [Decimal("10.00"), Decimal("-10.00")]


def test_an_amount_too_large_for_the_ledger_is_a_row_problem_not_a_crash(tmp_path):
    path = write(tmp_path, f"{HEADER}\n01-03-2024;4310;7100;Te groot;12345678901234567,00\n")
    parsed = read(path)
    assert amounts(parsed) == [None]
    [problem] = parsed.row_problems
    assert (problem.source_row, problem.rule) == (2, "amount_format")


def test_repeated_column_names_outside_the_contract_are_kept_apart(tmp_path):
    path = write(tmp_path, f"{HEADER};x;x\n01-03-2024;4310;7100;Licentie;10,00;1;2\n")
    parsed = read(path)
    assert amounts(parsed) == [Decimal("10.00")]
    assert "columns not in the data contract were ignored: x, x (2)" in parsed.notes
    assert parsed.raw.column_names == ["source_row", *HEADER.split(";"), "x", "x (2)"]


def test_a_contract_column_given_twice_is_refused(tmp_path):
    path = write(tmp_path, f"{HEADER};Bedrag\n01-03-2024;4310;7100;Licentie;10,00;10,00\n")
    with pytest.raises(WrongLayout, match="columns `bedrag` and `Bedrag` both mean amount"):
        read(path)


def test_header_aliases_are_recognised(tmp_path):
    path = write(
        tmp_path,
        "Transactiedatum;Rekeningnummer;Cost_Center;Description;Amount;Extra\n"
        "01-03-2024;4310;7100;Licentie;10,00;x\n",
    )
    parsed = read(path)
    assert parsed.rows["account_code"].to_pylist() == ["4310"]
    assert any("Extra" in note for note in parsed.notes)


def test_comma_separated_file_gets_a_specific_message(tmp_path):
    path = write(tmp_path, "boekdatum,rekening,bedrag\n01-03-2024,4310,10.00\n")
    with pytest.raises(WrongLayout, match=r"separated by a comma \(','\); expected ';'"):
        read(path)


def test_missing_amount_column_is_named(tmp_path):
    path = write(tmp_path, "boekdatum;rekening;omschrijving\n01-03-2024;4310;x\n")
    with pytest.raises(WrongLayout, match="no amount column"):
        read(path)


def test_renamed_required_column_is_named_with_its_accepted_names(tmp_path):
    path = write(tmp_path, "boekdatum;rek;bedrag\n01-03-2024;4310;10,00\n")
    with pytest.raises(WrongLayout, match=r"account_code is missing .*`grootboekrekening`"):
        read(path)


def test_zero_bytes_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match=r"empty \(0 bytes\)"):
        read(write(tmp_path, b""))


def test_a_file_that_is_not_a_ledger_gets_a_clear_error_without_traceback(tmp_path):
    path = write(tmp_path, "naam;adres;woonplaats\nJan;Dorpsstraat 1;Ee\n")
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.cli.app", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "this is not a general-ledger export" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_binary_garbage_is_not_a_ledger_either(tmp_path):
    path = write(tmp_path, bytes(range(256)) * 4)
    with pytest.raises((UnreadableFile, WrongLayout)):
        read(path)
