"""A catalogue of bad (and awkward but valid) deliveries, checked the way a controller checks them.

Each case is one file in one delivery slot. `ictbench validate --json` must give the expected
status, a message that says specifically what is wrong, the right exit code, and accounting that
closes (rows read = rows landed + rows quarantined). Most cases call the CLI in-process; the
cases marked `subprocess` run it as a controller would, in a process of its own.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import pipelines.ingest.check
from pipelines.cli.app import app
from pipelines.contract.delivery import delivery_from_path
from pipelines.contract.errors import TooLarge
from pipelines.contract.vocabulary import column_aliases
from pipelines.ingest.check import CheckOptions, check_delivery
from pipelines.ingest.deliveries import ingest_kind
from pipelines.ingest.discovery import DropZone
from pipelines.readers import register_text
from pipelines.readers.pseudonymise import make_pseudonymiser
from pipelines.settings import Paths
from tests.conftest import FIXTURES, run_benchmark

REPO = Path(__file__).resolve().parents[1]
ACCEPTED, PARTIAL, REJECTED = "accepted", "partially_accepted", "rejected"

# -- building files ---------------------------------------------------------------------------

LEDGER_HEADER = "boekdatum;dagboek;boekstuk;rekening;kostenplaats;omschrijving;bedrag"
LEDGER_LINES = (
    "14-03-2024;INK;1;4301;;Licentie zaaksysteem;10.000,00",
    "14-03-2024;INK;1;1600;;Crediteuren;10.000,00-",
)
ASSETS_HEADER = "Objectnummer;Objectsoort;Aanschafdatum;Aanschafprijs;Status;Kostenplaats"
ASSET_ROWS = ("NB001;Laptop;14-03-2022;1.234,56;In gebruik;7100",)
TRAINING_HEADER = "Personeelsnummer;Naam;E-mail;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum"
TRAINING_ROWS = (
    "1001;Jan Jansen;jan.jansen@gemeente.nl;I&A;1,00;Azure basis;ICT;16;1.250,00;12-03-2024",
    "1002;Piet de Vries;p.devries@gemeente.nl;Burgerzaken;0,89;;;;;",
)
MAPPING_HEADER = "rekening_van;rekening_tot;kostenplaats;categorie;toelichting"
APPLICATIONS_HEADER = (
    "Applicatie;Leverancier;Versie;GEMMA referentiecomponent;Hosting;Licentiekosten per jaar;"
    "Aantal gebruikers;Afdeling;Einddatum contract;Status"
)
APPLICATION_ROWS = (
    "Zaaksysteem;Centric;5.2;Zaaksysteem;SaaS;12.345,67;250;Dienstverlening;31-12-2025;In gebruik",
)

# Enough good rows that one bad row stays under the 1% threshold and is quarantined alone.
PADDING = 150


def csv_bytes(header: str, *lines: str, encoding: str = "utf-8") -> bytes:
    return "".join(f"{line}\n" for line in (header, *lines)).encode(encoding)


def ledger(*lines: str, header: str = LEDGER_HEADER, padded: bool = False) -> bytes:
    """A ledger CSV in Windows-1252, as most Dutch financial packages write it."""
    padding = [  # vouchers of two lines that close, as in a full general ledger
        f"0{1 + i // 2 % 9}-09-2024;MEM;{100 + i // 2};"
        + (f"4500;;Groenonderhoud {i};10,00" if i % 2 == 0 else "1600;;Crediteuren;10,00-")
        for i in range(PADDING)
    ]
    return csv_bytes(header, *(padding if padded else []), *lines, encoding="cp1252")


def voucher_lines(vouchers: int = 120, *, off: dict[int, str] | None = None) -> list[str]:
    """Vouchers of three lines that close (cost, VAT, creditor), over every month of 2024;
    off: voucher number -> the creditor amount to write instead (a voucher that does not close)."""
    lines = []
    for number in range(1, vouchers + 1):
        date = f"{1 + number % 28:02d}-{1 + number % 12:02d}-2024"
        cents = 10_000 + 37 * number
        vat = cents * 21 // 100
        credit = off.get(number) if off else None
        lines += [
            f"{date};INK;{number};4301;;Licentie {number};{euro(cents)}",
            f"{date};INK;{number};1520;;BTW;{euro(vat)}",
            f"{date};INK;{number};1600;;Crediteuren;{credit or euro(cents + vat)}-",
        ]
    return lines


def euro(cents: int) -> str:
    return f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"


def without_columns(line: str, *positions: int) -> str:
    return ";".join(f for at, f in enumerate(line.split(";")) if at not in positions)


def split_columns(line: str) -> str:
    """A signed-amount line as debet/credit columns."""
    *rest, amount = line.split(";")
    sides = (amount, "") if not amount.endswith("-") else ("", amount[:-1])
    return ";".join([*rest, *sides])


def cut_to_a_third(content: bytes, *, mid_line: bool) -> bytes:
    """The first third of a file, cut at the end of a line or inside the line after it."""
    third = len(content) // 3
    boundary = content.index(b"\n", third) + 1
    return content[: boundary + 20] if mid_line else content[:boundary]


def assets(*rows: str, header: str = ASSETS_HEADER, padded: bool = False) -> bytes:
    padding = [f"PC{i:03d};Desktop;01-02-2021;899,00;In gebruik;7100" for i in range(PADDING)]
    return csv_bytes(header, *(padding if padded else []), *rows)


def training(*rows: str, header: str = TRAINING_HEADER, padded: bool = False) -> bytes:
    padding = [f"2{i:03d};;;Financien;1,00;;;;;" for i in range(PADDING)]
    return csv_bytes(header, *(padding if padded else []), *rows)


def applications(*rows: str, header: str = APPLICATIONS_HEADER, padded: bool = False) -> bytes:
    padding = [
        f"Pakket {i};Leverancier {i % 7};1.0;Zaaksysteem;SaaS;1.000,00;10;I&A;31-12-2025;In gebruik"
        for i in range(PADDING)
    ]
    return csv_bytes(header, *(padding if padded else []), *rows)


def mapping(*rows: str, header: str = MAPPING_HEADER) -> bytes:
    return csv_bytes(header, *rows)


XAF_NAMESPACE = "http://www.auditfiles.nl/XAF/3.2"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def xaf_line(nr: int, account: str, amount: str, side: str) -> str:
    return (
        f"<trLine><nr>{nr}</nr><accID>{account}</accID><docRef>F1</docRef>"
        f"<effDate>2024-03-01</effDate><desc>regel {nr}</desc>"
        f"<amnt>{amount}</amnt><amntTp>{side}</amntTp></trLine>\n"
    )


BALANCED = (xaf_line(1, "4310", "100.00", "D"), xaf_line(2, "1600", "100.00", "C"))


def xaf(*lines: str, year: int = 2024, prolog: str = XML_DECLARATION) -> bytes:
    """A minimal XAF 3.2 auditfile with one transaction holding `lines`."""
    return (
        f'{prolog}\n<auditfile xmlns="{XAF_NAMESPACE}">\n'
        f"<header><fiscalYear>{year}</fiscalYear><startDate>{year}-01-01</startDate>"
        f"<endDate>{year}-12-31</endDate><curCode>EUR</curCode>"
        f"<dateCreated>{year + 1}-01-15</dateCreated><softwareDesc>Boekhouding</softwareDesc>"
        "<softwareVersion>9.1</softwareVersion></header>\n"
        "<company><companyName>Gemeente Amsterdam</companyName>"
        "<taxRegistrationCountry>NL</taxRegistrationCountry><taxRegIdent>NL001</taxRegIdent>\n"
        "<generalLedger>"
        "<ledgerAccount><accID>1600</accID><accDesc>Crediteuren</accDesc><accTp>B</accTp>"
        "</ledgerAccount><ledgerAccount><accID>4310</accID><accDesc>SaaS</accDesc>"
        "<accTp>P</accTp></ledgerAccount></generalLedger>\n"
        "<transactions><journal><jrnID>INK</jrnID><desc>Inkoop</desc>\n"
        "<transaction><nr>1</nr><desc>Factuur</desc><periodNumber>3</periodNumber>"
        f"<trDt>2024-03-01</trDt>\n{''.join(lines)}</transaction>\n"
        "</journal></transactions>\n</company>\n</auditfile>\n"
    ).encode()


XXE_PROLOG = f'{XML_DECLARATION}\n<!DOCTYPE auditfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def xlsx(*rows: list[object]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)

    return build


# -- checks beyond status and message ---------------------------------------------------------

Check = Callable[[Path, str], None]


def landed(column: str, expected: list[object]) -> Check:
    """The accepted rows hold exactly these values in `column`."""

    def check(path: Path, output: str) -> None:
        options = CheckOptions(pseudonymiser=make_pseudonymiser(b"k" * 32))
        accepted = check_delivery(delivery_from_path(path), options).accepted
        assert accepted[column].to_pylist() == expected

    return check


def never_shown(*secrets: str) -> Check:
    """Personal data in the file appears nowhere in what validate reports."""

    def check(path: Path, output: str) -> None:
        assert not [secret for secret in secrets if secret in output]

    return check


def never_scrubbed(*secrets: str | tuple[str, list[object]]) -> Check:
    """Through the ingest, the secrets are in no byte of the warehouse (landing, quarantine,
    results), nor in what validate reports; a (column, values) pair: the landed values."""
    texts = [s for s in secrets if isinstance(s, str)]
    expected = [s for s in secrets if not isinstance(s, str)]

    def check(path: Path, output: str) -> None:
        assert not [secret for secret in texts if secret.casefold() in output.casefold()]
        paths = warehouse_beside(path)
        kind = path.stem
        pseudonymiser = make_pseudonymiser(b"k" * 32) if kind == "training" else None
        [result] = ingest_kind(paths, kind, pseudonymiser=pseudonymiser)
        assert result.rows_read == result.rows_landed + result.rows_quarantined
        assert result.rows_quarantined > 0 or result.status == ACCEPTED
        found = [
            (file.name, secret)
            for file in paths.warehouse.rglob("*")
            if file.is_file()
            for secret in texts
            if secret.casefold() in readable(file).casefold()
        ]
        assert not found
        for column, values in expected:
            landed_file = paths.landing / kind / f"{result.delivery_key}.parquet"
            assert pq.read_table(landed_file, columns=[column])[column].to_pylist() == values

    return check


def readable(file: Path) -> str:
    """A file's raw bytes as text, and a Parquet file's values too (its pages may be compressed)."""
    text = file.read_bytes().decode("utf-8", errors="replace")
    if file.suffix == ".parquet":
        text += str(pq.read_table(file).to_pylist())
    return text


def quarantine_csv_neutralised(path: Path, output: str) -> None:
    """Through the ingest, the quarantine CSV holds the formula only as inert text."""
    paths = warehouse_beside(path)
    [result] = ingest_kind(paths, "ledger")
    assert result.rows_quarantined == 1
    quarantine = paths.quarantine / "ledger" / f"{result.delivery_key}.csv"
    with quarantine.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle, delimiter=";") for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]


def second_delivery_unchanged(path: Path, output: str) -> None:
    """The same bytes through the ingest twice: the second time nothing happens."""
    paths = warehouse_beside(path)
    [first] = ingest_kind(paths, "ledger")
    landed_file = paths.landing / "ledger" / f"{first.delivery_key}.parquet"
    written = landed_file.stat().st_mtime_ns
    [second] = ingest_kind(paths, "ledger")
    assert (first.status, second.status) == (ACCEPTED, "unchanged")
    assert landed_file.stat().st_mtime_ns == written


def warehouse_beside(path: Path) -> Paths:
    """The drop zone of a file at data_raw/deliveries/<GMxxxx>/<year>/<file>, and a warehouse."""
    data_raw = path.parents[3]
    return Paths(data_raw, data_raw.parent / "warehouse")


def the_run_says_the_same(path: Path, output: str) -> None:
    """The run refuses the path (or its folder) in the drop zone with the reason validate gave."""
    deliveries = next(folder for folder in path.parents if folder.name == "deliveries")
    refused = DropZone.listed(deliveries).refusal_of(path)
    assert refused is not None
    assert json.loads(output)[0]["problems"][0]["message"] == refused.error.message


def the_run_refuses_nothing(path: Path, output: str) -> None:
    deliveries = next(folder for folder in path.parents if folder.name == "deliveries")
    assert DropZone.listed(deliveries).refused == ()


def _link_to_passwd(path: Path) -> None:
    path.symlink_to("/etc/passwd")


def _and_beside(*names: str) -> Callable[[Path], None]:
    """A good ledger, with other files beside it in its year folder."""

    def build(path: Path) -> None:
        path.write_bytes(ledger(*LEDGER_LINES))
        for name in names:
            (path.parent / name).write_bytes(ledger(*LEDGER_LINES))

    return build


def _workbook_with_cover(path: Path) -> None:
    """A GEMMA-style landscape export: a cover sheet, then the sheet with a title row."""
    book = openpyxl.Workbook()
    book.active.title = "Voorblad"
    book.active.append(["Applicatielandschap gemeente Amsterdam, peildatum 31-12-2024"])
    sheet = book.create_sheet("Applicaties")
    sheet.append(["Export uit de GEMMA Softwarecatalogus"])
    sheet.append(APPLICATIONS_HEADER.split(";"))
    row = APPLICATION_ROWS[0].split(";")
    row[3] = "Zaaksysteem\nDocumentmanagementsysteem"
    sheet.append(row)
    book.save(path)


# -- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # where it is delivered: <GMxxxx>/<year>/<file>
    content: bytes | Callable[[Path], None]
    status: str
    says: str | None  # in the message, a note or a problem; None: a clean report
    rows: tuple[int, int, int]  # read, landed, quarantined
    then: Check | None = None
    subprocess: bool = False
    checked_on: dt.date | None = None  # the day validate runs on, when the case needs one


L, X, A, AX, T, M, P, PX = (
    "GM0363/2024/ledger.csv",
    "GM0363/2024/ledger.xaf",
    "GM0363/2024/assets.csv",
    "GM0363/2024/assets.xlsx",
    "GM0363/2024/training.csv",
    "GM0363/account_mapping.csv",
    "GM0363/2024/applications.csv",
    "GM0363/2024/applications.xlsx",
)

CASES = [
    # -- ledger CSV: the file as a whole ------------------------------------------------------
    Case("ledger-zero-bytes", L, b"", REJECTED, "the file is empty (0 bytes)", (0, 0, 0)),
    Case(
        "ledger-utf16",
        L,
        f"{LEDGER_HEADER}\n{LEDGER_LINES[0]}\n".encode("utf-16"),
        REJECTED,
        "the file is UTF-16 or binary, not CSV text in UTF-8 or Windows-1252",
        (0, 0, 0),
    ),
    Case(
        "ledger-neither-utf8-nor-cp1252",
        L,
        ledger(*LEDGER_LINES).replace(b"Crediteuren", b"Crediteuren \x81"),
        REJECTED,
        "the file is neither UTF-8 nor Windows-1252 text",
        (0, 0, 0),
    ),
    Case(
        "ledger-comma-separated",
        L,
        ledger(
            *(line.replace(";", ",") for line in LEDGER_LINES),
            header=LEDGER_HEADER.replace(";", ","),
        ),
        REJECTED,
        "the columns are separated by a comma (','); expected ';'",
        (0, 0, 0),
        subprocess=True,
    ),
    Case(
        "ledger-header-only",
        L,
        ledger(),
        REJECTED,
        "the file has no ledger lines, only a header",
        (0, 0, 0),
    ),
    Case(
        "ledger-renamed-amount-column",
        L,
        ledger(*LEDGER_LINES, header=LEDGER_HEADER.replace("bedrag", "waarde")),
        REJECTED,
        "no amount column: expected `bedrag` (signed) or both `debet` and `credit`",
        (0, 0, 0),
    ),
    Case(
        "ledger-renamed-account-column",
        L,
        ledger(*LEDGER_LINES, header=LEDGER_HEADER.replace("rekening", "gb_rek")),
        REJECTED,
        "required column for account_code is missing (accepted names: `rekening`",
        (0, 0, 0),
    ),
    Case(
        "ledger-not-a-ledger",
        L,
        assets(*ASSET_ROWS),
        REJECTED,
        "required column for booking_date is missing (accepted names: `boekdatum`",
        (0, 0, 0),
    ),
    Case(
        "ledger-unknown-municipality",
        "GM9999/2024/ledger.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "unknown municipality code GM9999",
        (0, 0, 0),
    ),
    Case(
        "ledger-folder-not-a-code",
        "Amsterdam/2024/ledger.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "folder 'Amsterdam' is not a CBS municipality code",
        (0, 0, 0),
    ),
    Case(
        "ledger-unknown-file-name",
        "GM0363/2024/grootboek.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "'grootboek.csv' is not a known delivery file",
        (0, 0, 0),
    ),
    # -- ledger CSV: values -------------------------------------------------------------------
    Case(
        "ledger-decimal-point",
        L,
        ledger(*(line.replace(".", "").replace(",", ".") for line in LEDGER_LINES)),
        REJECTED,
        "Most common: amount_format (2 rows), first at row 2: column `bedrag`: "
        "'10000.00' is not an amount",
        (2, 0, 2),
    ),
    Case(
        "ledger-amount-with-letters",
        L,
        ledger("02-09-2024;INK;9;4301;;Licentie;12,5O", padded=True),
        PARTIAL,
        "'12,5O' is not an amount (expected e.g. 1.234,56 or 1.234,56-)",
        (151, 150, 1),
    ),
    Case(
        "ledger-amount-too-large",
        L,
        ledger("02-09-2024;INK;9;4301;;Licentie;12345678901234567,00", padded=True),
        PARTIAL,
        "'12345678901234567,00' is not an amount",
        (151, 150, 1),
    ),
    Case(
        "ledger-future-booking-date",
        L,
        ledger(
            "15-01-2031;INK;9;4301;;Licentie;10,00",
            "15-09-2024;INK;9;1600;;Crediteuren;10,00-",
            padded=True,
        ),
        PARTIAL,
        "'2031-01-15' is not in the fiscal year of the delivery",
        (152, 151, 1),
    ),
    Case(
        "ledger-impossible-date",
        L,
        ledger(
            "31-02-2024;INK;9;4301;;Licentie;10,00",
            "28-02-2024;INK;9;1600;;Crediteuren;10,00-",
            padded=True,
        ),
        PARTIAL,
        "'31-02-2024' is not a date (expected dd-mm-yyyy, e.g. 31-12-2024)",
        (152, 151, 1),
    ),
    Case(
        "ledger-truncated-last-line",
        L,
        ledger(padded=True) + b"02-09-2024;INK;9;43",
        REJECTED,
        "the file ends in the middle of a line (no line break after the last row, which cannot "
        "be read: row has 4 field(s), the header has 7): the export looks cut off",
        (0, 0, 0),
    ),
    Case(
        "ledger-trailing-minus",
        L,
        ledger(
            "14-03-2024;INK;1;4301;;Licentie;1.234,56",
            "14-03-2024;INK;1;1600;;Crediteuren;1.234,56-",
        ),
        ACCEPTED,
        None,
        (2, 2, 0),
        then=landed("amount", [Decimal("1234.56"), Decimal("-1234.56")]),
        subprocess=True,
    ),
    Case(
        "ledger-thousands-separators",
        L,
        ledger(
            "14-03-2024;INK;1;4301;;Licentie;1.234.567,89",
            "14-03-2024;INK;1;1600;;Crediteuren;-1.234.567,89",
        ),
        ACCEPTED,
        None,
        (2, 2, 0),
        then=landed("amount", [Decimal("1234567.89"), Decimal("-1234567.89")]),
    ),
    Case(  # not supported: one physical line is one row (see readers/dutch_csv.py)
        "ledger-quoted-newline",
        L,
        ledger(
            '14-03-2024;INK;1;4301;;"Licentie\nzaaksysteem";10.000,00',
            "14-03-2024;INK;1;1600;;Crediteuren;10.000,00-",
        ),
        REJECTED,
        "the quoted text of field 6 goes on to line 3; a line break inside a field is not "
        "supported",
        (3, 0, 3),
    ),
    Case(
        "ledger-extra-column",
        L,
        ledger(*(f"{line};21%" for line in LEDGER_LINES), header=LEDGER_HEADER + ";btw"),
        ACCEPTED,
        "columns not in the data contract were ignored: btw",
        (2, 2, 0),
    ),
    Case(
        "ledger-windows-1252",
        L,
        ledger(
            "14-03-2024;INK;1;4301;;Licentie € café;10,00",
            "14-03-2024;INK;1;1600;;Crediteuren;10,00-",
        ),
        ACCEPTED,
        "read as Windows-1252",
        (2, 2, 0),
        then=landed("description", ["Licentie € café", "Crediteuren"]),
    ),
    Case(
        "ledger-formula-in-description",
        L,
        ledger(
            '14-03-2024;INK;1;4301;;"=HYPERLINK(""http://x"",""klik"")";10,00',
            "14-03-2024;INK;1;1600;;@SUM(1+1);10,00-",
        ),
        ACCEPTED,
        None,
        (2, 2, 0),
        then=landed("description", ['=HYPERLINK("http://x","klik")', "@SUM(1+1)"]),
    ),
    Case(
        "ledger-formula-in-quarantined-row",
        L,
        ledger('02-09-2024;INK;9;4301;;=HYPERLINK("http://x");abc', padded=True),
        PARTIAL,
        "'abc' is not an amount",
        (151, 150, 1),
        then=quarantine_csv_neutralised,
    ),
    Case(
        "ledger-same-bytes-twice",
        L,
        ledger(*LEDGER_LINES),
        ACCEPTED,
        None,
        (2, 2, 0),
        then=second_delivery_unchanged,
    ),
    # -- the ledger closes: every voucher (journal + boekstuk) and the year, within one cent ---
    Case(
        "ledger-cut-at-a-line-boundary",
        L,
        cut_to_a_third(ledger(*voucher_lines()), mid_line=False),
        REJECTED,
        "the ledger does not balance: debit 5 322.09 != credit 5 206.92, difference 115.17 EUR; "
        "1 voucher does not balance, with its sum: journal 'INK' voucher '41' (row 122) 115.17",
        (121, 0, 121),
    ),
    Case(
        "ledger-cut-between-vouchers",  # balance cannot see this cut: load_quality flags months
        L,
        ledger(*voucher_lines()[:120]),
        ACCEPTED,
        None,
        (120, 120, 0),
    ),
    Case(
        "ledger-cut-mid-line",
        L,
        cut_to_a_third(ledger(*voucher_lines()), mid_line=True),
        REJECTED,
        "the file ends in the middle of a line (no line break after the last row, which cannot "
        "be read: row has 4 field(s), the header has 7): the export looks cut off",
        (0, 0, 0),
    ),
    Case(
        "ledger-voucher-off-by-one-cent",  # rounding an export may carry: accepted
        L,
        ledger(*voucher_lines(off={7: euro(10_259 + 2_154 + 1)})),
        ACCEPTED,
        None,
        (360, 360, 0),
    ),
    Case(
        "ledger-voucher-off-by-two-cents",
        L,
        ledger(*voucher_lines(off={7: euro(10_259 + 2_154 + 2)})),
        REJECTED,
        "the ledger does not balance: debit 17 769.71 != credit 17 769.73, difference 0.02 EUR; "
        "1 voucher does not balance, with its sum: journal 'INK' voucher '7' (row 20) -0.02",
        (360, 0, 360),
    ),
    Case(
        "ledger-one-voucher-off-by-100-euros-among-many",
        L,
        ledger(*voucher_lines(off={93: euro(13_441 + 2_822 - 10_000)})),
        REJECTED,
        "difference 100.00 EUR; 1 voucher does not balance, with its sum: journal 'INK' "
        "voucher '93' (row 278) 100.00",
        (360, 0, 360),
    ),
    Case(
        "ledger-more-than-20-vouchers-off",
        L,
        ledger(*voucher_lines(off={n: "1,00" for n in range(1, 26)})),
        REJECTED,
        "difference 3 145.38 EUR; 25 vouchers do not balance; the first 20, each with its sum: "
        "journal 'INK' voucher '1' (row 2) 120.44; ",
        (360, 0, 360),
        then=lambda path, output: (
            json.loads(output)[0]["message"].count("journal 'INK' voucher") == 20
            or pytest.fail("the message lists other than 20 vouchers")
        ),
    ),
    Case(
        "ledger-no-voucher-column-total-closes",
        L,
        ledger(
            *(without_columns(line, 1, 2) for line in voucher_lines()),
            header=without_columns(LEDGER_HEADER, 1, 2),
        ),
        ACCEPTED,
        "the file has no voucher number column (boekstuk), so each voucher's balance could not "
        "be checked; only the total was",
        (360, 360, 0),
    ),
    Case(
        "ledger-no-voucher-column-total-off",
        L,
        ledger(
            *(without_columns(line, 1, 2) for line in voucher_lines(off={50: "1,00"})),
            header=without_columns(LEDGER_HEADER, 1, 2),
        ),
        REJECTED,
        "the ledger does not balance: debit 17 769.71 != credit 17 627.33, difference 142.38 "
        "EUR; the file has no voucher number column (boekstuk), so the vouchers that do not "
        "close cannot be named",
        (360, 0, 360),
    ),
    Case(
        "ledger-debit-credit-columns-off",
        L,
        ledger(
            *(split_columns(line) for line in voucher_lines(off={3: euro(12_585)})),
            header=LEDGER_HEADER.replace("bedrag", "debet;credit"),
        ),
        REJECTED,
        "difference 3.51 EUR; 1 voucher does not balance, with its sum: journal 'INK' voucher "
        "'3' (row 8) -3.51",
        (360, 0, 360),
    ),
    Case(
        "ledger-unreadable-amount-leaves-its-voucher-unchecked",
        L,
        ledger(*(line.replace(";101,85", ";1O1,85") for line in voucher_lines(200))),
        PARTIAL,
        "1 voucher(s) could not be checked for balance because a line's amount could not be "
        "read (that line is quarantined): journal 'INK' voucher '5'",
        (600, 599, 1),
    ),
    Case(
        "ledger-total-row-at-the-end",  # some packages close the export with a total line
        L,
        ledger(*voucher_lines(), ";;;;;Totaal debet;17.769,71"),
        REJECTED,
        "every voucher closes, so the difference is in the 1 line(s) without a voucher number: "
        "rows 362",
        (361, 0, 361),
    ),
    Case(
        "ledger-booked-after-the-check-day",  # lands, flagged: its year is the fiscal year
        L,
        ledger(*voucher_lines()),
        ACCEPTED,
        "90 line(s) are dated after 30-09-2024, the day the file was checked (first: row 26, "
        "10-10-2024); a posted line cannot lie ahead: they landed and are counted in "
        "load_quality, check the booking dates",
        (360, 360, 0),
        checked_on=dt.date(2024, 9, 30),
    ),
    # -- ledger XAF ---------------------------------------------------------------------------
    Case(
        "xaf-not-well-formed",
        X,
        xaf(*BALANCED).replace(b"</amnt>", b"</amount>", 1),
        REJECTED,
        "not well-formed XML at line",
        (0, 0, 0),
    ),
    Case(
        "xaf-truncated",
        X,
        xaf(*BALANCED)[:-120],
        REJECTED,
        "the XML ends at line",
        (0, 0, 0),
    ),
    Case(
        "xaf-unbalanced",
        X,
        xaf(xaf_line(1, "4310", "100.00", "D"), xaf_line(2, "1600", "99.00", "C")),
        REJECTED,
        "the ledger does not balance: debit 100.00 != credit 99.00, difference 1.00 EUR; "
        "1 voucher does not balance, with its sum: journal 'INK' voucher '1' (row 1) 1.00",
        (2, 0, 2),
    ),
    Case(
        "xaf-xxe",
        X,
        xaf(*BALANCED, prolog=XXE_PROLOG),
        REJECTED,
        "the file contains a DOCTYPE declaration",
        (0, 0, 0),
        subprocess=True,
    ),
    Case(
        "xaf-other-fiscal-year",
        X,
        xaf(*BALANCED, year=2023),
        REJECTED,
        "the auditfile is for fiscal year 2023 (header fiscalYear) but was delivered as "
        "fiscal year 2024",
        (0, 0, 0),
    ),
    Case(
        "xaf-decimal-comma",
        X,
        xaf(xaf_line(1, "4310", "100,00", "D"), xaf_line(2, "1600", "100,00", "C")),
        REJECTED,
        "'100,00' is not an amount (expected a decimal point",
        (2, 0, 2),
    ),
    Case(
        "xaf-bom-and-wrong-declared-encoding",
        X,
        codecs.BOM_UTF8 + xaf(*BALANCED).replace(b"regel 1", b"regel 1 \x80"),
        ACCEPTED,
        "file declares UTF-8 but is not valid UTF-8 (first bad byte at offset",
        (2, 2, 0),
        then=landed("description", ["regel 1 €", "regel 2"]),
    ),
    # -- asset register -----------------------------------------------------------------------
    Case(
        "assets-renamed-column",
        A,
        assets(*ASSET_ROWS, header=ASSETS_HEADER.replace("Objectsoort", "Apparaat")),
        REJECTED,
        "required column `asset_class` is missing (accepted names: Objectsoort",
        (0, 0, 0),
    ),
    Case(
        "assets-unknown-column",
        A,
        assets(*(f"{row};Dell" for row in ASSET_ROWS), header=ASSETS_HEADER + ";Merk"),
        ACCEPTED,
        "columns not in the data contract (kept with the original row only): `Merk`",
        (1, 1, 0),
    ),
    Case(
        "assets-header-only",
        A,
        assets(),
        REJECTED,
        "the file has no assets, only a header",
        (0, 0, 0),
    ),
    Case(
        "assets-missing-purchase-date",  # a soft field: the device lands, without its age
        A,
        assets("NB002;Laptop;;1.100,00;In gebruik;7100", padded=True),
        ACCEPTED,
        "column `Aanschafdatum`: empty; fill in the purchase date (dd-mm-yyyy)",
        (151, 151, 0),
    ),
    Case(
        "assets-price-whole-euros",
        A,
        assets("NB002;Laptop;14-03-2022;1.234,-;In gebruik;7100"),
        ACCEPTED,
        None,
        (1, 1, 0),
        then=landed("purchase_price", [Decimal("1234.00")]),
    ),
    Case(
        "assets-unknown-status",
        A,
        assets("NB002;Laptop;14-03-2022;1.100,00;Kwijt;7100", padded=True),
        PARTIAL,
        "column `Status`: 'Kwijt' is not a known status",
        (151, 150, 1),
    ),
    Case(
        "assets-duplicate-ids",
        A,
        assets(*ASSET_ROWS, *ASSET_ROWS),
        REJECTED,
        "object number occurs more than once",
        (2, 0, 2),
    ),
    Case(
        "assets-utf16",
        A,
        csv_bytes(ASSETS_HEADER, *ASSET_ROWS, encoding="utf-16"),
        REJECTED,
        "the file is UTF-16 or binary, not CSV text in UTF-8 or Windows-1252",
        (0, 0, 0),
    ),
    Case(
        "assets-xlsx-title-rows",
        AX,
        xlsx(
            ["TOPdesk - Objecten export"],
            ["Peildatum 31-12-2024"],
            ASSETS_HEADER.split(";"),
            ["NB001", "Laptop", "14-03-2022", 1234.56, "In gebruik", "7100"],
        ),
        ACCEPTED,
        "header found on row 3; rows above it skipped",
        (1, 1, 0),
        then=landed("source_row", [4]),
    ),
    Case(
        "assets-xlsx-that-is-csv",
        AX,
        assets(*ASSET_ROWS),
        REJECTED,
        "the file is named .xlsx but contains CSV text, not an Excel workbook",
        (0, 0, 0),
    ),
    # -- training records ---------------------------------------------------------------------
    Case(
        "training-names-and-emails-dropped",
        T,
        training(*TRAINING_ROWS),
        ACCEPTED,
        "columns with personal data dropped, never stored: `Naam`, `E-mail`",
        (2, 2, 0),
        then=never_shown("Jansen", "Vries", "@gemeente.nl"),
    ),
    Case(
        "training-email-in-a-text-cell",
        T,
        training("1003;;;ict@gemeente.nl;1,00;Excel;ICT;8;;01-04-2024"),
        ACCEPTED,
        "(cells per kind): e-mail 1",
        (1, 1, 0),
        then=never_shown("ict@gemeente.nl"),
    ),
    Case(
        "training-missing-fte",
        T,
        training("1003;;;I&A;;Excel;ICT;8;;01-04-2024", padded=True),
        PARTIAL,
        "column `FTE`: empty; fill in the FTE (e.g. 0,89)",
        (151, 150, 1),
    ),
    Case(
        "training-fte-as-hours",
        T,
        training("1003;;;I&A;36;Excel;ICT;8;;01-04-2024", padded=True),
        PARTIAL,
        "is not a plausible FTE for one employee (0 to 1,5)",
        (151, 150, 1),
    ),
    Case(
        "training-missing-course-column",
        T,
        training(header=TRAINING_HEADER.replace("Opleiding", "Wat")),
        REJECTED,
        "required column `course` is missing",
        (0, 0, 0),
    ),
    # -- nothing personal survives ------------------------------------------------------------
    Case(
        "training-bsn-in-the-course",
        T,
        training("1003;;;I&A;1,00;BHV voor BSN 123456782;Overig;8;;01-04-2024"),
        ACCEPTED,
        "(cells per kind): BSN 1",
        (1, 1, 0),
        then=never_scrubbed("123456782", ("course", ["BHV voor BSN [verwijderd: BSN]"])),
    ),
    Case(
        "training-disguised-email-in-the-department",
        T,
        training("1003;;;I&A (jan.jansen [at] gemeente [dot] nl);1,00;Excel;ICT;8;;01-04-2024"),
        ACCEPTED,
        "(cells per kind): e-mail 1",
        (1, 1, 0),
        then=never_scrubbed("jansen", ("department", ["I&A ([verwijderd: e-mail])"])),
    ),
    Case(
        "training-name-and-number-in-the-course",
        T,
        training("1003;;;I&A;1,00;Cursus J. de Vries (12345);ICT;8;;01-04-2024"),
        ACCEPTED,
        "(cells per kind): naam en nummer 1",
        (1, 1, 0),
        then=never_scrubbed("Vries", ("course", ["Cursus [verwijderd: naam en nummer]"])),
    ),
    Case(
        "training-phone-and-iban-in-text-cells",
        T,
        training("1003;;;Bel 06-12345678;1,00;Declaratie NL91 ABNA 0417 1643 00;ICT;8;;01-04-2024"),
        ACCEPTED,
        "(cells per kind): IBAN 1, telefoonnummer 1",
        (1, 1, 0),
        then=never_scrubbed("06-12345678", "ABNA", "0417 1643"),
    ),
    Case(
        "training-ordinary-course-names-untouched",
        T,
        training(
            "1003;;;I&A;1,00;ITIL 4 Foundation;ICT;8;;01-04-2024",
            "1004;;;I&A;1,00;BIO/ISO 27001 Lead Auditor;ICT;8;;01-04-2024",
            "1005;;;I&A;1,00;Excel 2016 level 3;ICT;8;;01-04-2024",
        ),
        ACCEPTED,
        "columns with personal data dropped, never stored: `Naam`, `E-mail`",
        (3, 3, 0),
        then=landed(
            "course", ["ITIL 4 Foundation", "BIO/ISO 27001 Lead Auditor", "Excel 2016 level 3"]
        ),
    ),
    Case(
        "training-bsn-as-fte-quarantined-scrubbed",
        T,
        training("1003;;;I&A;123.456.782;Excel;ICT;8;;01-04-2024", padded=True),
        PARTIAL,
        "column `FTE`: '[verwijderd: BSN]' is not a number",
        (151, 150, 1),
        then=never_scrubbed("123.456.782", "123456782"),
    ),
    Case(
        "training-whole-file-quarantined-with-personal-data",
        T,
        training(
            "1003;Jan Jansen;jan@gemeente.nl;I&A;abc;Excel Jan Jansen 123456;ICT;8;;01-04-2024",
            "1004;;;p.pietersen(at)gemeente.nl;1,00;Bel +31 6 1234 5678;ICT;8;;01-04-2024",
        ),
        REJECTED,
        "(cells per kind): e-mail 1, telefoonnummer 1, naam en nummer 1",
        (2, 0, 2),
        then=never_scrubbed("Jansen", "pietersen", "1234 5678", "Excel Jan"),
    ),
    Case(
        "assets-user-column-and-free-text-scrubbed",
        A,
        assets(
            *(f"PC{i:03d};Desktop;01-02-2021;899,00;In gebruik;7100;;" for i in range(PADDING)),
            "NB002;Laptop;14-03-2022;1.234,56;In gebruik;7100;j.jansen;Gebruikt door Jan Jansen 12345",
            "NB003;Laptop;14-03-2022;4 06-12345678;In gebruik;7100;p.pietersen;bel 06-12345678",
            header=ASSETS_HEADER + ";Gebruiker;Opmerking",
        ),
        ACCEPTED,  # the row with a bad price lands without it, and is listed in quarantine
        "columns with personal data dropped, never stored: `Gebruiker`",
        (152, 152, 0),
        then=never_scrubbed("jansen", "pietersen", "06-12345678"),
    ),
    # -- application portfolio ----------------------------------------------------------------
    Case(
        "applications-header-only",
        P,
        applications(),
        REJECTED,
        "the file has no applications, only a header",
        (0, 0, 0),
    ),
    Case(
        "applications-no-status-column",
        P,
        applications(*APPLICATION_ROWS, header=APPLICATIONS_HEADER.replace(";Status", ";Toestand")),
        REJECTED,
        "required column `lifecycle_status` is missing (accepted names: Status",
        (0, 0, 0),
    ),
    Case(
        "applications-unknown-status",
        P,
        applications("Verseon;Circle;;;SaaS;1.000,00;12;Griffie;;Weg", padded=True),
        PARTIAL,
        "column `Status`: 'Weg' is not a known lifecycle status",
        (151, 150, 1),
    ),
    Case(
        "applications-no-name",
        P,
        applications(";Circle;;;SaaS;1.000,00;12;Griffie;;In gebruik", padded=True),
        PARTIAL,
        "column `Applicatie`: empty; every row needs the application",
        (151, 150, 1),
    ),
    Case(
        "applications-the-same-application-twice",
        P,
        applications(*APPLICATION_ROWS, *APPLICATION_ROWS, padded=True),
        PARTIAL,
        "the same application, version and department as row 152",
        (152, 151, 1),
    ),
    Case(  # a soft field: the application lands, without its cost
        "applications-negative-licence-cost",
        P,
        applications(APPLICATION_ROWS[0].replace("12.345,67", "-12.345,67")),
        ACCEPTED,
        "is not a plausible yearly licence cost for one application",
        (1, 1, 0),
        then=landed("licence_cost", [None]),
    ),
    Case(
        "applications-owner-and-contact-columns-dropped",
        P,
        applications(
            f"{APPLICATION_ROWS[0]};Jan Jansen;jan.jansen@gemeente.nl;bel Jan Jansen 06-12345678",
            "Verseon;Circle;;;SaaS;1.000,00;12;Griffie;;Weg;Karin Klaassen;k.klaassen@gemeente.nl;",
            header=APPLICATIONS_HEADER + ";Applicatie-eigenaar;E-mail;Opmerking",
            padded=False,
        ),
        REJECTED,  # one bad row of two: every row goes to quarantine, nothing of a person does
        "columns with personal data dropped, never stored: `Applicatie-eigenaar`, `E-mail`",
        (2, 0, 2),
        then=never_scrubbed("Jansen", "Klaassen", "gemeente.nl", "06-12345678"),
    ),
    Case(
        "applications-xlsx-cover-sheet-and-title-rows",
        PX,
        lambda path: _workbook_with_cover(path),
        ACCEPTED,
        "header found on row 2; rows above it skipped",
        (1, 1, 0),
        then=landed("gemma_components", [["Zaaksysteem", "Documentmanagementsysteem"]]),
    ),
    # -- account mapping ----------------------------------------------------------------------
    Case(
        "mapping-header-only",
        M,
        mapping(),
        REJECTED,
        "the mapping has no rules",
        (0, 0, 0),
    ),
    Case(
        "mapping-without-category",
        M,
        mapping(
            "4300;4399;;Licenties", header="rekening_van;rekening_tot;kostenplaats;toelichting"
        ),
        REJECTED,
        "this is not an account mapping: the column `categorie` is missing",
        (0, 0, 0),
    ),
    Case(
        "mapping-ragged-rule",
        M,
        mapping("4300;4399;;software_licences;Licenties", "4310;saas_cloud"),
        REJECTED,
        "2 fields where the header has 5",
        (0, 0, 0),
    ),
    Case(
        "mapping-unknown-category",
        M,
        mapping("4300;4399;;licenses;Licenties", "4310;;;saas_cloud;Microsoft 365"),
        REJECTED,
        "'licenses' is not a known category code",
        (2, 0, 2),
    ),
    # -- the drop zone: refused means kept ----------------------------------------------------
    # Refused before it is read; in a run the slot keeps its last good version (tests/damages.py).
    Case(
        "dropzone-link-to-etc-passwd",
        L,
        _link_to_passwd,
        REJECTED,
        "symbolic links are not accepted in the drop zone; deliver the file itself",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-folder-named-like-the-file",
        L,
        lambda path: path.mkdir(),
        REJECTED,
        "'ledger.csv' is a folder where a file was expected; deliver the file itself",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-file-in-a-subfolder",
        "GM0363/2024/oud/ledger.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "'oud' is a folder inside the fiscal-year folder GM0363/2024, and such folders are not read",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-hidden-by-two-dots",
        "GM0363/2024/..ledger.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "the name starts with a dot, which hides the file, and hidden files are not read; "
        "name it 'ledger.csv'",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-second-file-for-the-slot",
        L,
        _and_beside("ledger.xaf"),
        REJECTED,
        "more than one file for the same delivery (GM0363/2024/ledger.csv, "
        "GM0363/2024/ledger.xaf); keep one",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-unknown-extension",
        "GM0363/2024/ledger.txt",
        ledger(*LEDGER_LINES),
        REJECTED,
        "'ledger.txt' is not a known delivery file (ledger.csv, ledger.xaf",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-file-directly-in-deliveries",
        "ledger.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "the file lies directly in the drop zone, outside any municipality folder; a delivery "
        "goes in <GMxxxx>/<fiscal year>/ledger.csv",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-ledger-in-the-municipality-folder",
        "GM0363/ledger.csv",
        ledger(*LEDGER_LINES),
        REJECTED,
        "'ledger.csv' lies in the municipality folder without a fiscal-year folder; put it in "
        "GM0363/<fiscal year>/ledger.csv",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-mapping-in-a-year-folder",
        "GM0363/2024/account_mapping.csv",
        mapping("4300;4399;;software_licences;Licenties"),
        REJECTED,
        "'account_mapping.csv' holds for every year: it belongs in the municipality folder, "
        "GM0363/account_mapping.csv",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    Case(
        "dropzone-a-pipe-in-its-place",
        L,
        lambda path: os.mkfifo(path),
        REJECTED,
        "not a regular file (a pipe, socket or device); deliver the file itself",
        (0, 0, 0),
        then=the_run_says_the_same,
    ),
    *(
        []
        if os.geteuid() == 0  # root reads a file without read permission
        else [
            Case(
                "dropzone-unreadable-file",
                L,
                lambda path: (path.write_bytes(ledger(*LEDGER_LINES)), path.chmod(0)),
                REJECTED,
                "the file cannot be opened by the pipeline (no read permission)",
                (0, 0, 0),
                then=the_run_says_the_same,
            )
        ]
    ),
    # what the drop zone takes as it is: a name in other letter case, and litter beside a file
    Case(
        "dropzone-upper-case-name",
        "GM0363/2024/Ledger.CSV",
        ledger(*LEDGER_LINES),
        ACCEPTED,
        None,
        (2, 2, 0),
    ),
    Case(
        "dropzone-litter-beside-the-file",
        L,
        _and_beside(
            ".DS_Store", "._ledger.csv", "Thumbs.db", "~$ledger.xlsx", ".~lock.ledger.csv#"
        ),
        ACCEPTED,
        None,
        (2, 2, 0),
        then=the_run_refuses_nothing,
    ),
]

# -- readers: lines, limits, formulas ---------------------------------------------------------

# A stray quote thousands of lines before the next one: once, it folded them all into one row.
# two-line vouchers that close, 3000 lines apart from the stray quote to the next quote
FAR_LINES = [
    f"0{1 + i % 9}-09-2024;MEM;{i // 2 + 1};4500;;Groenonderhoud {i};10,00{'-' * (i % 2)}"
    for i in range(3000)
]
FAR_LINES[10] = '02-09-2024;MEM;6;4500;;"Kabels en adapters;10,00'
FAR_LINES[2990] = '02-09-2024;MEM;1496;4500;;Monitor 27";10,00'
NOT_CLOSED = "unbalanced double quote: field {} starts with a double quote that does not close"
XLSX_PARTS = (
    (
        "[Content_Types].xml",
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>',
    ),
    (
        "_rels/.rels",
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
    ),
    (
        "xl/workbook.xml",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Objecten" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    (
        "xl/_rels/workbook.xml.rels",
        '<Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
        'org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
    ),
)
SHEET_START = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    + b"<row>"
    + b"".join(
        f'<c t="inlineStr"><is><t>{h}</t></is></c>'.encode() for h in ASSETS_HEADER.split(";")
    )
    + b"</row>"
)
SHEET_END = b"</sheetData></worksheet>"
BOMB_MIB = 200  # inflated; about 200 KB on disk


def workbook(sheet: bytes | Callable[[zipfile.ZipFile], None], *, lie: bool = False):
    """An .xlsx written part by part: `sheet` is the sheet's XML or writes it as a stream.
    lie: the zip's directory declares the sheet 1 000 bytes, whatever it inflates to."""

    def build(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in XLSX_PARTS:
                archive.writestr(name, text)
            if callable(sheet):
                sheet(archive)
            else:
                archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if lie:
            data = bytearray(path.read_bytes())
            entry = data.rfind(b"PK\x01\x02")  # the sheet is the last part in the directory
            data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")
            path.write_bytes(bytes(data))

    return build


def repeated_rows(archive: zipfile.ZipFile) -> None:
    """BOMB_MIB of identical rows, streamed: it compresses about 1 000 times."""
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 4096 + b"</t></is></c></row>"
    block = row * ((1 << 20) // len(row) + 1)
    with archive.open("xl/worksheets/sheet1.xml", "w") as stream:
        stream.write(SHEET_START)
        for _ in range(BOMB_MIB):
            stream.write(block)
        stream.write(SHEET_END)


def with_parts(count: int):
    def build(path: Path) -> None:
        xlsx(ASSETS_HEADER.split(";"), ASSET_ROWS[0].split(";"))(path)
        with zipfile.ZipFile(path, "a") as archive:
            for number in range(count):
                archive.writestr(f"customXml/item{number}.xml", "<x/>")

    return build


def formula_without_value(path: Path) -> None:
    """openpyxl writes formulas and never calculates them: Excel would store the result."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Objecten"
    sheet.append(ASSETS_HEADER.split(";"))
    sheet.append(["NB001", "Laptop", "14-03-2022", "=1000+234.56", "In gebruik", "7100"])
    workbook.save(path)


CASES += [
    Case(
        "ledger-stray-quote-far-from-the-next",
        L,
        ledger(*FAR_LINES),
        PARTIAL,
        NOT_CLOSED.format(6),
        (3000, 2999, 1),
        then=landed("description", [line.split(";")[5] for line in FAR_LINES if '"K' not in line]),
    ),
    Case(
        "ledger-quote-inside-text",
        L,
        ledger(
            '14-03-2024;INK;1;4301;;Monitor 24" Dell;10,00',
            '14-03-2024;INK;1;1600;;"Crediteuren ""Dell""";10,00-',
        ),
        ACCEPTED,
        None,
        (2, 2, 0),
        then=landed("description", ['Monitor 24" Dell', 'Crediteuren "Dell"']),
    ),
    Case(
        "ledger-unclosed-quote-on-the-last-line",
        L,
        ledger(padded=True) + b'02-09-2024;INK;9;4301;;"Licentie;10,00',
        PARTIAL,
        NOT_CLOSED.format(6),
        (151, 150, 1),
    ),
    Case(
        "ledger-text-after-a-closing-quote",
        L,
        ledger('02-09-2024;INK;9;4301;;"Monitor 24" breed";10,00', padded=True),
        PARTIAL,
        "unbalanced double quote: field 6 has text after its closing quote",
        (151, 150, 1),
    ),
    Case(
        "ledger-5-mb-field",
        L,
        ledger(f"02-09-2024;INK;9;4301;;{'x' * 5_000_000};10,00", padded=True),
        PARTIAL,
        "the line is 5 000 029 bytes long; the limit is 1 048 576 bytes (1 MiB) per line",
        (151, 150, 1),
    ),
    Case(
        "assets-stray-quote",
        A,
        assets('NB002;Laptop;14-03-2022;"1.100,00;In gebruik;7100', padded=True),
        PARTIAL,
        NOT_CLOSED.format(4),
        (151, 150, 1),
    ),
    Case(
        "training-stray-quote",
        T,
        training('1003;Jan Jansen;"jan@gemeente.nl;I&A;1,00;Excel;ICT;8;;01-04-2024', padded=True),
        PARTIAL,
        NOT_CLOSED.format(3),
        (151, 150, 1),
        then=never_shown("Jansen", "jan@gemeente.nl"),
    ),
    Case(
        "mapping-stray-quote",
        M,
        mapping('4300;4399;;software_licences;"Licenties', "4310;;;saas_cloud;Microsoft 365"),
        REJECTED,
        NOT_CLOSED.format(5),
        (0, 0, 0),
    ),
    Case(
        "assets-xlsx-zip-bomb",
        AX,
        workbook(repeated_rows),
        REJECTED,
        "the workbook is over a limit: the part xl/worksheets/sheet1.xml inflates to 200.8 MiB; "
        "the limit is 128.0 MiB per part",
        (0, 0, 0),
    ),
    Case(
        "assets-xlsx-zip-bomb-declaring-a-small-size",
        AX,
        workbook(repeated_rows, lie=True),
        REJECTED,
        "the part xl/worksheets/sheet1.xml inflates to more than 128.0 MiB",
        (0, 0, 0),
    ),
    Case(
        "assets-xlsx-too-many-parts",
        AX,
        with_parts(1000),
        REJECTED,
        "the workbook is over a limit: it has 1 009 parts; the limit is 1 000 parts",
        (0, 0, 0),
    ),
    Case(  # calamine fills the rectangle from A1 to the last cell: 70 million cells from two
        "assets-xlsx-two-cells-far-apart",
        AX,
        workbook(
            SHEET_START
            + b'<row r="100000"><c r="ZZ100000" t="inlineStr"><is><t>x</t></is></c></row>'
            + SHEET_END
        ),
        REJECTED,
        "reaches cell ZZ100000, a range of 70 200 000 cells from A1; the limit is 2 000 000 "
        "cells per sheet",
        (0, 0, 0),
    ),
    Case(
        "assets-xlsx-formula-without-value",
        AX,
        formula_without_value,
        REJECTED,
        "formula without a computed value in Objecten!D2; open the workbook in Excel and save "
        "it again",
        (0, 0, 0),
    ),
    Case(  # already refused before parsing (readers/xaf.py); here so the catalogue shows it
        "xaf-billion-laughs",
        X,
        xaf(
            *BALANCED,
            prolog=XML_DECLARATION
            + '\n<!DOCTYPE auditfile [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
        ),
        REJECTED,
        "the file contains a DOCTYPE declaration",
        (0, 0, 0),
    ),
]


# -- running validate -------------------------------------------------------------------------


def deliver(drop_zone: Path, case: Case) -> Path:
    path = drop_zone / case.file
    path.parent.mkdir(parents=True, exist_ok=True)
    if callable(case.content):
        case.content(path)
    else:
        path.write_bytes(case.content)
    return path


def validate(path: Path, *, in_subprocess: bool) -> tuple[int, str]:
    """(exit code, stdout) of `ictbench validate PATH --json`."""
    if in_subprocess:
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli.app", "validate", str(path), "--json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout
    outcome = CliRunner().invoke(app, ["validate", str(path), "--json"])
    if outcome.exception and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    return outcome.exit_code, outcome.stdout


def report_text(result: dict) -> str:
    """Everything validate tells the controller about one file."""
    problems = [
        f"column `{p['column']}`: {p['message']}" if p.get("column") else p["message"]
        for p in result["problems"]
    ]
    return "\n".join([result["message"] or "", *result["notes"], *problems])


@pytest.fixture
def drop_zone(tmp_path: Path) -> Path:
    """A drop zone with the CBS municipality list: validate checks a file against the list of
    the drop zone it lies in."""
    reference = tmp_path / "data_raw" / "reference"
    reference.mkdir(parents=True)
    shutil.copy(REPO / "data_raw" / "reference" / "gemeenten.csv", reference)
    return tmp_path / "data_raw" / "deliveries"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input(case: Case, drop_zone: Path, monkeypatch: pytest.MonkeyPatch):
    if case.checked_on is not None:
        moment = dt.datetime.combine(case.checked_on, dt.time(12), dt.UTC)
        monkeypatch.setattr(pipelines.ingest.check, "now", lambda: moment)
    path = deliver(drop_zone, case)
    exit_code, output = validate(path, in_subprocess=case.subprocess)
    [result] = json.loads(output)

    assert result["status"] == case.status
    if case.says is None:
        assert (result["message"], result["notes"], result["problems"]) == (None, [], [])
    else:
        assert case.says in report_text(result)
    assert exit_code == (0 if case.status == ACCEPTED else 1)
    counts = (result["rows_read"], result["rows_landed"], result["rows_quarantined"])
    assert counts == case.rows
    assert counts[0] == counts[1] + counts[2]
    if case.then is not None:
        case.then(path, output)


def test_the_catalogue_covers_every_kind_and_outcome():
    kinds = {Path(case.file).stem.split(".")[0] for case in CASES}
    assert {"ledger", "assets", "training", "account_mapping", "applications"} <= kinds
    assert {case.status for case in CASES} == {ACCEPTED, PARTIAL, REJECTED}
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("lie", [False, True], ids=["declared", "declaring-a-small-size"])
def test_a_zip_bomb_is_refused_before_any_parser_with_little_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lie: bool
):
    path = tmp_path / "assets.xlsx"
    workbook(repeated_rows, lie=lie)(path)
    assert path.stat().st_size < BOMB_MIB * 2**20 / 500

    class NoParser:
        @staticmethod
        def from_path(*args: object) -> None:
            raise AssertionError("the workbook reached the parser")

    monkeypatch.setattr(register_text, "CalamineWorkbook", NoParser)
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge, match=r"over a limit: the part xl/worksheets/sheet1\.xml"):
            register_text.read_register_text(
                path, "GM0363/2024/assets.xlsx", column_aliases("assets")
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # against 200 MiB inflated: a few chunks at a time


def test_a_file_that_does_not_exist_is_a_usage_error(tmp_path: Path):
    outcome = CliRunner().invoke(app, ["validate", str(tmp_path / "GM0363/2024/ledger.csv")])
    assert outcome.exit_code == 2
    assert "not a file" in outcome.stderr


# -- through the real pipeline: a rejected delivery leaves the published mart as it was -------


@dataclass(frozen=True)
class Replacement:
    """A good delivery of the hand-computed drop zone replaced by a bad file in the same slot."""

    slot: str  # the delivery key
    good: str
    bad: str
    content: bytes
    says: str


REPLACEMENTS = [
    Replacement(
        "GM0363_2024_ledger",
        "GM0363/2024/ledger.csv",
        "GM0363/2024/ledger.csv",
        ledger(
            *(line.replace(";", ",") for line in LEDGER_LINES),
            header=LEDGER_HEADER.replace(";", ","),
        ),
        "the columns are separated by a comma",
    ),
    Replacement(
        "GM0088_2024_ledger",
        "GM0088/2024/ledger.csv",
        "GM0088/2024/ledger.xaf",
        xaf(xaf_line(1, "4310", "100.00", "D"), xaf_line(2, "1600", "99.00", "C")),
        "the ledger does not balance",
    ),
    Replacement(
        "GM0363_account_mapping",
        "GM0363/account_mapping.csv",
        "GM0363/account_mapping.csv",
        mapping(),
        "the mapping has no rules",
    ),
]
# Columns that report on the latest delivery, not on the figures: they may change.
DELIVERY_STATUS_COLUMNS = ("ledger_status", "ledger_rows_quarantined")


def published_benchmark(warehouse: Path) -> list[dict]:
    with duckdb.connect(str(warehouse / "benchmark.duckdb"), read_only=True) as connection:
        cursor = connection.execute(
            "select * from ict_benchmark order by municipality_code, fiscal_year"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def changed_figures(before: list[dict], after: list[dict]) -> list[tuple]:
    """(municipality, year, column, before, after) for every figure that changed."""
    assert [(r["municipality_code"], r["fiscal_year"]) for r in after] == [
        (r["municipality_code"], r["fiscal_year"]) for r in before
    ]
    return [
        (old["municipality_code"], old["fiscal_year"], column, value, new[column])
        for old, new in zip(before, after, strict=True)
        for column, value in old.items()
        if column not in DELIVERY_STATUS_COLUMNS and new[column] != value
    ]


@pytest.mark.slow
def test_rejected_deliveries_leave_the_published_mart_as_it_was(tmp_path: Path, dbt_manifest):
    data_raw, warehouse = tmp_path / "data_raw", tmp_path / "warehouse"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    assert run_benchmark(data_raw, warehouse).success
    good = published_benchmark(warehouse)
    landed_before = {r.slot: landed_file(warehouse, r.slot) for r in REPLACEMENTS}

    # One run with every bad file at once: each Dagster + dbt run costs most of a minute.
    for replacement in REPLACEMENTS:
        (data_raw / "deliveries" / replacement.good).unlink()
        (data_raw / "deliveries" / replacement.bad).write_bytes(replacement.content)
    assert run_benchmark(data_raw, warehouse).success

    after = published_benchmark(warehouse)
    assert changed_figures(good, after) == []
    assert {row["ledger_status"] for row in after} == {REJECTED}
    results = {r["delivery_key"]: r for r in load_results(warehouse)}
    for replacement in REPLACEMENTS:
        assert results[replacement.slot]["status"] == REJECTED
        assert replacement.says in results[replacement.slot]["message"]
        assert landed_file(warehouse, replacement.slot).equals(landed_before[replacement.slot])
    assert (warehouse / "docs" / "index.html").exists()  # GX Data Docs, rebuilt by the run


def landed_file(warehouse: Path, slot: str) -> pa.Table:
    [path] = warehouse.glob(f"landing/*/{slot}.parquet")
    return pq.read_table(path)


def load_results(warehouse: Path) -> list[dict]:
    return pq.read_table(warehouse / "landing" / "load_results.parquet").to_pylist()
