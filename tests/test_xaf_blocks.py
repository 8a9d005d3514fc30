"""The XAF reader's two ways of reading lines agree, and its memory does not grow with the file.

Runs of plain transactions are read from their bytes as blocks (xaf_lines.canonical_lines);
everything else from expat's events. Each file below is read both ways (the block path switched
off by making canonical_lines match nothing) and must give the same rows, raw texts, notes, row
problems and header, or the same error with the same line and column.
"""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.contract.delivery import delivery_from_path
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf
from pipelines.readers import xaf, xaf_lines

ACCOUNTS = [
    ("1600", "Crediteuren", "B"),
    ("4300", "Licenties software", "P"),
    ("4310", "SaaS-abonnementen", "P"),
]


def transactions(count: int):
    first = date(2024, 1, 1)
    for n in range(count):
        amount = Decimal(n % 9973 + 1) / 100 * 7
        account = ("4300", "4310")[n % 2]
        yield XafTransaction(
            journal=("INK", "MEM")[n % 2],
            nr=f"2024-{n:06d}",
            date=first + timedelta(days=n % 366),
            description=f"Factuur {n} I&A <Q1>",
            lines=(
                XafLine(account, amount, ("7100", None)[n % 2], f"Kosten {account} – café"),
                XafLine("1600", -amount, None, "Crediteuren"),
            ),
        )


def ledger(path: Path, count: int) -> Path:
    write_xaf(
        path,
        header={"fiscal_year": 2024, "company_name": "Gemeente Test"},
        accounts=ACCOUNTS,
        transactions=transactions(count),
    )
    return path


def every(text: str, old: str, new: str, step: int) -> str:
    """`old` replaced by `new` at its step-th, 2*step-th, ... occurrence."""
    parts = text.split(old)
    return parts[0] + "".join(
        (new if i % step == 0 else old) + part for i, part in enumerate(parts[1:], 1)
    )


def without_totals(text: str) -> str:
    return re.sub(r"\s*<(linesCount|totalDebit|totalCredit)>[^<]*</\1>", "", text)


VARIANTS: dict[str, Callable[[str], str]] = {
    "plain": lambda t: t,
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "character references": lambda t: every(t, "<desc>", "<desc>&#233;&#x20AC; ", 37),
    "comment": lambda t: every(t, "<amnt>", "<!-- c --><amnt>", 41),
    "cdata": lambda t: every(t, "<desc>", "<desc><![CDATA[<b>]]>", 43),
    "attribute": lambda t: every(t, "<trLine>", '<trLine a="1">', 47),
    "prefix": lambda t: (
        t.replace(
            'xmlns="http://www.auditfiles.nl/XAF/3.2"',
            'xmlns="http://www.auditfiles.nl/XAF/3.2" xmlns:x="http://www.auditfiles.nl/XAF/3.2"',
        )
        .replace("<amntTp>", "<x:amntTp>", 30)
        .replace("</amntTp>", "</x:amntTp>", 30)
    ),
    "fields out of order": lambda t: re.sub(
        r"(<amnt>[^<]*</amnt>)(\s*)(<amntTp>[^<]*</amntTp>)",
        lambda m: m[3] + m[2] + m[1] if "3" in m[1] else m[0],
        t,
    ),
    "head out of order": lambda t: re.sub(
        r"(<desc>[^<]*</desc>)(\s*<periodNumber>[^<]*</periodNumber>)(\s*<trDt>[^<]*</trDt>)",
        lambda m: m[3] + m[2] + m[1] if "7" in m[1] else m[0],
        t,
    ),
    "repeated element": lambda t: every(t, "</trLine>", "<desc>twice</desc></trLine>", 53),
    "unknown element": lambda t: every(t, "</trLine>", "<foo>1</foo></trLine>", 59),
    "mixed content": lambda t: every(t, "<trLine>", "<trLine>text", 61),
    "vat and currency": lambda t: every(
        t,
        "</trLine>",
        "<vat><vatID>1</vatID><vatPerc>21</vatPerc><vatAmnt>1.00</vatAmnt>"
        "<vatAmntTp>D</vatAmntTp></vat><currency><curCode>EUR</curCode>"
        "<curAmnt>1.00</curAmnt></currency></trLine>",
        3,
    ),
    "transaction without lines": lambda t: every(
        t,
        "<transaction>",
        "<transaction><nr>x</nr><trDt>2024-01-01</trDt></transaction><transaction>",
        67,
    ),
    "odd amounts": lambda t: every(
        every(
            every(every(t, "<amnt>", "<amnt>100,", 31), "<amnt>", "<amnt>-", 29),
            "<amnt>",
            "<amnt> ",
            7,
        ),
        "<amnt>",
        "<amnt>\u0661",
        71,
    ),
    "odd sides": lambda t: every(
        every(t, "<amntTp>D", "<amntTp>X", 31), "<amntTp>C", "<amntTp> C ", 7
    ),
    "odd dates": lambda t: every(
        every(
            every(t, "<effDate>2024-02-2", "<effDate>2024-02-3", 2), "<effDate>", "<effDate>31-", 41
        ),
        "<effDate>",
        "<effDate>\u00a0",
        13,
    ),
    "no effDate": lambda t: re.sub(
        r"\s*<effDate>[^<]*</effDate>", lambda m: "" if "5" in m[0] else m[0], t
    ),
    "empty elements": lambda t: every(
        every(
            every(t, "<costID>7100</costID>", "<costID/>", 3), "<desc>", "<desc> </desc><!---->", 19
        ),
        "<docRef>",
        "<docRef></docRef><!---->",
        23,
    ).replace("</desc><!---->", "</desc><!-- -->"),
    "unknown account": lambda t: every(t, "<accID>1600</accID>", "<accID>9999</accID>", 13),
    "repeated line numbers": lambda t: every(t, "<nr>2</nr>", "<nr>1</nr>", 11),
    "white space": lambda t: every(
        every(t, "<desc>", "<desc>\u00a0\u2003", 3), "<nr>1</nr>", "<nr>  </nr>", 5
    ),
    "windows-1252": lambda t: every(t, "<desc>", "<desc>caf\xe9 \u20ac ", 97),
    "wrong linesCount": lambda t: t.replace("<linesCount>", "<linesCount>1", 1),
    "wrong totalDebit": lambda t: t.replace("<totalDebit>", "<totalDebit>1", 1),
    "mismatched tag": lambda t: every(t, "</amnt>", "</amount>", 301),
    "bare ampersand": lambda t: every(t, "<desc>", "<desc>AT&T ", 301),
    "control character": lambda t: every(t, "<desc>", "<desc>\x01", 301),
    "cdata end in text": lambda t: every(t, "<desc>", "<desc>]]>", 301),
    "truncated": lambda t: t[: len(t) * 2 // 3],
}
KEEPS_TOTALS = {"plain", "crlf", "wrong linesCount", "wrong totalDebit"}


def outcome(path: Path):
    try:
        parsed = xaf.read_xaf(delivery_from_path(path))
    except Exception as error:  # the same error, word for word, is what is compared
        return type(error).__name__, str(error)
    return (
        parsed.rows,
        parsed.raw,
        parsed.notes,
        parsed.row_problems,
        parsed.header,
        parsed.rows.column("amount").num_chunks,
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    return ledger(tmp_path_factory.mktemp("source") / "ledger.xaf", 400).read_text("utf-8")


@pytest.mark.parametrize("variant", VARIANTS)
def test_blocks_and_events_read_the_same(tmp_path, monkeypatch, source, variant):
    text = VARIANTS[variant](source if variant in KEEPS_TOTALS else without_totals(source))
    path = tmp_path / "GM0363" / "2024" / "ledger.xaf"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("cp1252" if variant == "windows-1252" else "utf-8"))
    # small read-ahead regions: many runs, and transactions cut at region ends
    monkeypatch.setattr(xaf, "_REGION", 1 << 12)
    monkeypatch.setattr(xaf, "_SMALL_REGION", 1 << 10)
    monkeypatch.setattr(xaf, "_BLOCK", 100)
    read_as_blocks = []
    real = xaf_lines.canonical_lines

    def counted(text, journal):
        block, read = real(text, journal)
        read_as_blocks.append(block.lines if block is not None else 0)
        return block, read

    monkeypatch.setattr(xaf, "canonical_lines", counted)
    blocks = outcome(path)
    monkeypatch.setattr(xaf, "canonical_lines", lambda text, journal: (None, 0))
    events = outcome(path)
    assert _equal(blocks, events)
    if variant in ("plain", "crlf", "white space", "vat and currency"):
        assert sum(read_as_blocks) == 800  # every line of these was read as a block


def _equal(left, right) -> bool:
    if len(left) != len(right):
        return False
    return all(
        a.equals(b) if hasattr(a, "equals") else a == b for a, b in zip(left, right, strict=True)
    )


def test_whitespace_is_what_str_strip_strips():
    assert set(xaf_lines.WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}


def test_peak_memory_does_not_grow_with_the_file(tmp_path):
    """tracemalloc sees the reader's Python objects (Arrow's buffers are the result, not the
    working set): reading four times the lines must not need noticeably more."""
    peaks = {}
    for count in (10_000, 40_000):
        path = ledger(tmp_path / str(count) / "GM0363" / "2024" / "ledger.xaf", count)
        delivery = delivery_from_path(path)
        tracemalloc.start()
        try:
            parsed = xaf.read_xaf(delivery)
            peaks[count] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert parsed.rows.num_rows == 2 * count
    assert peaks[40_000] < 1.3 * peaks[10_000] + (1 << 20), peaks
