"""Write demo ledgers as XAF 3.2 auditfiles that validate against the official XSD.

The writer streams: transactions may be a generator of any length. Each journal's transactions
go to a temporary file first, because the XSD wants the totals (`linesCount`, `totalDebit`,
`totalCredit`) before the first journal and every journal's transactions together.

It writes what it is given: balance is the caller's job (tests need unbalanced files too).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

XAF_32 = "http://www.auditfiles.nl/XAF/3.2"
ACCOUNT_TYPES = ("B", "M", "P")  # balance sheet, mixed, profit and loss
_CENT = Decimal("0.01")
_MAX_ID = 35  # IdentificationString35


@dataclass(frozen=True)
class XafLine:
    """One ledger line: signed amount, debit positive (written as amnt + amntTp D/C)."""

    account: str
    amount: Decimal
    cost_centre: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class XafTransaction:
    """One booking (boekstuk) in a journal; its lines are numbered 1, 2, ... in the file."""

    journal: str
    nr: str
    date: date
    description: str
    lines: Sequence[XafLine]


def write_xaf(
    path: Path | str,
    *,
    header: dict,
    accounts: list[tuple[str, str, str]],
    transactions: Iterable[XafTransaction],
    journals: dict[str, str] | None = None,
) -> None:
    """Write an XAF 3.2 auditfile.

    header: `fiscal_year` (int) and `company_name` are required; optional `start_date`,
    `end_date` (dates, default the calendar year), `date_created` (default `end_date`, so the
    same input gives the same bytes), `currency` ("EUR"), `software_desc`, `software_version`,
    `company_ident`, `tax_registration_country` ("NL"), `tax_reg_ident` ("").
    accounts: (accID, accDesc, accTp) with accTp B, M or P; every line's account must be one.
    journals: jrnID -> description; a journal not listed is described by its id.
    """
    path = Path(path)
    known = _check_accounts(accounts)
    path.parent.mkdir(parents=True, exist_ok=True)
    bodies: dict[str, IO[str]] = {}
    totals = _Totals()
    with ExitStack() as temporary:
        for transaction in transactions:
            body = bodies.get(transaction.journal)
            if body is None:
                _check_id("journal", transaction.journal)
                body = temporary.enter_context(
                    tempfile.TemporaryFile("w+", encoding="utf-8", dir=path.parent)
                )
                bodies[transaction.journal] = body
            _write_transaction(body, transaction, known, totals)
        # a hidden part file renamed at the end: no reader ever sees half an auditfile
        part = path.with_name(f".{path.name}.part")
        try:
            with part.open("w", encoding="utf-8", newline="\n") as out:
                _write_auditfile(out, header, accounts, bodies, totals, journals or {})
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)


def _write_auditfile(
    out: IO[str],
    header: dict,
    accounts: list[tuple[str, str, str]],
    bodies: dict[str, IO[str]],
    totals: _Totals,
    journals: dict[str, str],
) -> None:
    fiscal_year = int(header["fiscal_year"])
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<auditfile xmlns="{XAF_32}">\n')
    _write_header(out, header)
    _write_company_start(out, header)
    _write_accounts(out, accounts)
    _write_periods(out, fiscal_year)
    out.write(
        f"    <transactions>\n      <linesCount>{totals.lines}</linesCount>\n"
        f"      <totalDebit>{totals.debit:.2f}</totalDebit>\n"
        f"      <totalCredit>{totals.credit:.2f}</totalCredit>\n"
    )
    for journal, body in bodies.items():
        description = journals.get(journal, journal)
        out.write(
            f"      <journal>\n        <jrnID>{_text(journal)}</jrnID>\n"
            f"        <desc>{_text(description)}</desc>\n"
        )
        body.seek(0)
        shutil.copyfileobj(body, out, 1 << 20)
        out.write("      </journal>\n")
    out.write("    </transactions>\n  </company>\n</auditfile>\n")


@dataclass
class _Totals:
    lines: int = 0
    debit: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")


def _write_transaction(
    out: IO[str], transaction: XafTransaction, known: set[str], totals: _Totals
) -> None:
    _check_id("transaction nr", transaction.nr)
    day = transaction.date.isoformat()
    parts = [
        f"        <transaction>\n          <nr>{_text(transaction.nr)}</nr>\n"
        f"          <desc>{_text(transaction.description)}</desc>\n"
        f"          <periodNumber>{transaction.date.month}</periodNumber>\n"
        f"          <trDt>{day}</trDt>\n"
    ]
    for number, line in enumerate(transaction.lines, start=1):
        if line.account not in known:
            raise ValueError(
                f"transaction {transaction.journal}/{transaction.nr}: account "
                f"'{line.account}' is not in the accounts list"
            )
        amount = line.amount.quantize(_CENT)
        side = "D" if amount >= 0 else "C"
        if side == "D":
            totals.debit += amount
        else:
            totals.credit -= amount
        totals.lines += 1
        parts.append(
            f"          <trLine>\n            <nr>{number}</nr>\n"
            f"            <accID>{_text(line.account)}</accID>\n"
            f"            <docRef>{_text(transaction.nr)}</docRef>\n"
            f"            <effDate>{day}</effDate>\n"
        )
        if line.description:
            parts.append(f"            <desc>{_text(line.description)}</desc>\n")
        parts.append(
            f"            <amnt>{abs(amount):.2f}</amnt>\n            <amntTp>{side}</amntTp>\n"
        )
        if line.cost_centre:
            _check_id("cost centre", line.cost_centre)
            parts.append(f"            <costID>{_text(line.cost_centre)}</costID>\n")
        parts.append("          </trLine>\n")
    parts.append("        </transaction>\n")
    out.write("".join(parts))


def _write_header(out: IO[str], header: dict) -> None:
    fiscal_year = int(header["fiscal_year"])
    start = header.get("start_date", date(fiscal_year, 1, 1))
    end = header.get("end_date", date(fiscal_year, 12, 31))
    created = header.get("date_created", end)
    out.write(
        "  <header>\n"
        f"    <fiscalYear>{fiscal_year}</fiscalYear>\n"
        f"    <startDate>{start.isoformat()}</startDate>\n"
        f"    <endDate>{end.isoformat()}</endDate>\n"
        f"    <curCode>{_text(header.get('currency', 'EUR'))}</curCode>\n"
        f"    <dateCreated>{created.isoformat()}</dateCreated>\n"
    )
    for key, element, limit in (
        ("software_desc", "softwareDesc", 50),
        ("software_version", "softwareVersion", 20),
    ):
        if header.get(key):
            out.write(f"    <{element}>{_text(str(header[key])[:limit])}</{element}>\n")
    out.write("  </header>\n")


def _write_company_start(out: IO[str], header: dict) -> None:
    out.write("  <company>\n")
    if header.get("company_ident"):
        out.write(f"    <companyIdent>{_text(header['company_ident'])}</companyIdent>\n")
    out.write(
        f"    <companyName>{_text(header['company_name'])}</companyName>\n"
        "    <taxRegistrationCountry>"
        f"{_text(header.get('tax_registration_country', 'NL'))}</taxRegistrationCountry>\n"
        f"    <taxRegIdent>{_text(header.get('tax_reg_ident', ''))}</taxRegIdent>\n"
    )


def _write_accounts(out: IO[str], accounts: list[tuple[str, str, str]]) -> None:
    out.write("    <generalLedger>\n")
    for account, description, account_type in accounts:
        out.write(
            f"      <ledgerAccount>\n        <accID>{_text(account)}</accID>\n"
            f"        <accDesc>{_text(description)}</accDesc>\n"
            f"        <accTp>{account_type}</accTp>\n      </ledgerAccount>\n"
        )
    out.write("    </generalLedger>\n")


def _write_periods(out: IO[str], fiscal_year: int) -> None:
    # transaction/periodNumber must refer to a declared period (XSD keyref)
    out.write("    <periods>\n")
    for month in range(1, 13):
        first = date(fiscal_year, month, 1)
        last = date(fiscal_year + month // 12, month % 12 + 1, 1).toordinal() - 1
        out.write(
            f"      <period>\n        <periodNumber>{month}</periodNumber>\n"
            f"        <startDatePeriod>{first.isoformat()}</startDatePeriod>\n"
            f"        <endDatePeriod>{date.fromordinal(last).isoformat()}</endDatePeriod>\n"
            "      </period>\n"
        )
    out.write("    </periods>\n")


def _check_accounts(accounts: list[tuple[str, str, str]]) -> set[str]:
    known: set[str] = set()
    for account, _, account_type in accounts:
        _check_id("account", account)
        if account in known:
            raise ValueError(f"account '{account}' is listed twice")
        if account_type not in ACCOUNT_TYPES:
            raise ValueError(f"account '{account}': type '{account_type}' is not B, M or P")
        known.add(account)
    if not known:
        raise ValueError("an auditfile needs at least one ledger account")
    return known


def _check_id(what: str, value: str) -> None:
    if not value or len(value) > _MAX_ID:
        raise ValueError(f"{what} '{value}' must be 1 to {_MAX_ID} characters (XAF 3.2)")


def _text(value: object) -> str:
    return escape(str(value))
