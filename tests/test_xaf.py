"""XAF 3.2 ledger reader and demo writer: exact reads, every tolerance, every rejection."""

from __future__ import annotations

import codecs
import hashlib
import importlib.util
import shutil
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.contract.delivery import Delivery, delivery_from_path
from pipelines.contract.errors import (
    DeliveryRejected,
    Unbalanced,
    UnreadableFile,
    UnsafeFile,
    WrongLayout,
)
from pipelines.contract.schemas import LEDGER_SCHEMA
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf
from pipelines.ingest.check import check_delivery
from pipelines.readers import xaf
from pipelines.readers.xaf import XAF_32, XAF_40_NAMESPACES, XAF_321, read_xaf

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "xaf"
XSD = REFERENCE / "XmlAuditfileFinancieel3.2.xsd"
OFFICIAL_TEST_FILE = REFERENCE / "XmlAuditfileFinancieel3.2_test.xml"
UTF8 = '<?xml version="1.0" encoding="UTF-8"?>'

ACCOUNTS = [
    ("1600", "Crediteuren", "B"),
    ("4310", "SaaS-abonnementen", "P"),
    ("4320", "Laptops en desktops", "P"),
]


# -- building files ---------------------------------------------------------------------------


def deliver(tmp_path: Path, content: str | bytes, year: int = 2024) -> Delivery:
    path = tmp_path / "GM0363" / str(year) / "ledger.xaf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return delivery_from_path(path)


def line(nr, account, amount, side, *, eff="2024-03-01", desc="regel", cost=None) -> str:
    parts = [f"<nr>{nr}</nr><accID>{account}</accID><docRef>F1</docRef>"]
    if eff is not None:
        parts.append(f"<effDate>{eff}</effDate>")
    if desc is not None:
        parts.append(f"<desc>{desc}</desc>")
    parts.append(f"<amnt>{amount}</amnt><amntTp>{side}</amntTp>")
    if cost is not None:
        parts.append(f"<costID>{cost}</costID>" if cost else "<costID/>")
    return "<trLine>" + "".join(parts) + "</trLine>\n"


def transaction(nr, *lines: str, day="2024-03-01", desc="Factuur") -> str:
    return (
        f"<transaction><nr>{nr}</nr><desc>{desc}</desc><periodNumber>3</periodNumber>"
        f"<trDt>{day}</trDt>\n{''.join(lines)}</transaction>\n"
    )


def journal(jrn_id, *transactions: str) -> str:
    return f"<journal><jrnID>{jrn_id}</jrnID><desc>{jrn_id}</desc>\n{''.join(transactions)}</journal>\n"


def auditfile(
    *journals: str,
    year: int = 2024,
    totals: tuple[object, object, object] | None = None,
    namespace: str = XAF_32,
    declaration: str = UTF8,
) -> str:
    declared = ""
    if totals is not None:
        count, debit, credit = totals
        declared = (
            f"<linesCount>{count}</linesCount><totalDebit>{debit}</totalDebit>"
            f"<totalCredit>{credit}</totalCredit>\n"
        )
    ledger = "".join(
        f"<ledgerAccount><accID>{a}</accID><accDesc>{d}</accDesc><accTp>{t}</accTp></ledgerAccount>"
        for a, d, t in ACCOUNTS
    )
    return (
        f'{declaration}\n<auditfile xmlns="{namespace}">\n'
        f"<header><fiscalYear>{year}</fiscalYear><startDate>{year}-01-01</startDate>"
        f"<endDate>{year}-12-31</endDate><curCode>EUR</curCode>"
        f"<dateCreated>{year + 1}-01-15</dateCreated><softwareDesc>Boekhouding</softwareDesc>"
        "<softwareVersion>9.1</softwareVersion></header>\n"
        "<company><companyName>Gemeente Amsterdam</companyName>"
        "<taxRegistrationCountry>NL</taxRegistrationCountry><taxRegIdent>NL001</taxRegIdent>\n"
        f"<generalLedger>{ledger}</generalLedger>\n"
        f"<transactions>{declared}{''.join(journals)}</transactions>\n"
        "</company>\n</auditfile>\n"
    )


def one_purchase(desc: str = "regel", **kwargs) -> str:
    return journal(
        "INK",
        transaction("1", line(1, "4310", "100.00", "D", desc=desc), line(2, "1600", "100.00", "C")),
        **kwargs,
    )


def demo_transactions() -> list[XafTransaction]:
    return [
        XafTransaction(
            "INK",
            "24-001",
            date(2024, 3, 14),
            "Microsoft 365 E3 & Teams <Q1>",
            [
                XafLine("4310", Decimal("12450.00"), "7100", "Licenties Q1"),
                XafLine("1600", Decimal("-12450.00"), None, "Crediteuren"),
            ],
        ),
        XafTransaction(
            "INK",
            "24-002",
            date(2024, 6, 30),
            "Laptops",
            [
                XafLine("4320", Decimal("999.99"), "7100", "10 laptops"),
                XafLine("4320", Decimal("0.01"), "7200"),
                XafLine("1600", Decimal("-1000.00")),
            ],
        ),
        XafTransaction(
            "MEM",
            "M-1",
            date(2024, 12, 31),
            "Correctie",
            [
                XafLine("1600", Decimal("250.00"), None, "Creditnota"),
                XafLine("4310", Decimal("-250.00"), "7100", "Creditnota"),
            ],
        ),
    ]


def write_demo(tmp_path: Path) -> Delivery:
    path = tmp_path / "GM0363" / "2024" / "ledger.xaf"
    write_xaf(
        path,
        header={"fiscal_year": 2024, "company_name": "Gemeente Amsterdam", "software_desc": "t"},
        accounts=ACCOUNTS,
        transactions=iter(demo_transactions()),
        journals={"INK": "Inkoopboek", "MEM": "Memoriaal"},
    )
    return delivery_from_path(path)


# -- reading a good file ----------------------------------------------------------------------


def test_balanced_multi_journal_file_is_read_exactly(tmp_path):
    delivery = write_demo(tmp_path)
    parsed = read_xaf(delivery)
    rows = parsed.rows

    assert rows.schema == LEDGER_SCHEMA
    assert rows.num_rows == 7
    assert parsed.notes == []
    assert parsed.row_problems == []
    totals = rows.group_by("account_code").aggregate([("amount", "sum")]).to_pylist()
    assert {t["account_code"]: t["amount_sum"] for t in totals} == {
        "4310": Decimal("12200.00"),
        "4320": Decimal("1000.00"),
        "1600": Decimal("-13200.00"),
    }
    first = rows.slice(0, 1).to_pylist()[0]
    assert first == {
        "delivery_id": hashlib.sha256(delivery.path.read_bytes()).hexdigest(),
        "municipality_code": "GM0363",
        "fiscal_year": 2024,
        "source_file": "GM0363/2024/ledger.xaf",
        "source_row": 1,
        "journal": "INK",
        "transaction_id": "24-001",
        "line_number": "1",
        "booking_date": date(2024, 3, 14),
        "account_code": "4310",
        "account_name": "SaaS-abonnementen",
        "account_type": "P",
        "cost_centre": "7100",
        "cost_type": None,
        "description": "Licenties Q1",
        "amount": Decimal("12450.00"),
        "amounts_include_vat": False,
    }
    assert rows["source_row"].to_pylist() == list(range(1, 8))
    assert rows["journal"].to_pylist() == ["INK"] * 5 + ["MEM"] * 2
    # a line without a description takes the transaction's; credit lines are negative
    assert rows["description"][3].as_py() == "Laptops"
    assert rows["amount"][4].as_py() == Decimal("-1000.00")
    assert rows["cost_centre"][4].as_py() is None
    assert parsed.raw.slice(0, 1).to_pylist()[0] == {
        "source_row": 1,
        "jrnID": "INK",
        "transaction/nr": "24-001",
        "trLine/nr": "1",
        "accID": "4310",
        "costID": "7100",
        "amnt": "12450.00",
        "amntTp": "D",
        "effDate": "2024-03-14",
        "trDt": "2024-03-14",
        "desc": "Licenties Q1",
    }
    header = parsed.header
    assert header["fiscal_year"] == 2024
    assert header["company_name"] == "Gemeente Amsterdam"
    assert header["software_desc"] == "t"
    assert header["xaf_version"] == "3.2"
    assert (header["lines_read"], header["transactions_read"]) == (7, 3)
    assert header["total_debit"] == header["total_credit"] == Decimal("13700.00")


def test_batches_give_the_same_table(tmp_path):
    delivery = write_demo(tmp_path)
    whole = read_xaf(delivery)
    batched = read_xaf(delivery, batch_size=2)
    assert batched.rows.column("amount").num_chunks == 4
    assert batched.rows.equals(whole.rows)
    assert batched.raw.equals(whole.raw)


def test_writer_output_validates_against_the_official_xsd(tmp_path):
    if not XSD.exists():
        pytest.skip(f"reference XSD not present at {XSD}")
    import xmlschema

    delivery = write_demo(tmp_path)
    xmlschema.XMLSchema(str(XSD)).validate(str(delivery.path))


def test_writer_refuses_unknown_accounts(tmp_path):
    bad = XafTransaction("INK", "1", date(2024, 1, 1), "x", [XafLine("9999", Decimal(1))])
    with pytest.raises(ValueError, match="9999"):
        write_xaf(
            tmp_path / "l.xaf",
            header={"fiscal_year": 2024, "company_name": "x"},
            accounts=ACCOUNTS,
            transactions=[bad],
        )


def test_xaf_321_namespace_is_read_as_32(tmp_path):
    parsed = read_xaf(deliver(tmp_path, auditfile(one_purchase(), namespace=XAF_321)))
    assert parsed.rows.num_rows == 2
    assert parsed.header["xaf_version"] == "3.2.1"
    assert "XAF 3.2.1 file: read as XAF 3.2, which has the same elements" in parsed.notes


def many_purchases(count: int, last_desc: str = "regel") -> str:
    return journal(
        "INK",
        *(
            transaction(
                str(n),
                line(1, "4310", f"{n}.25", "D", desc=last_desc if n == count else f"regel {n}"),
                line(2, "1600", f"{n}.25", "C", cost="7100"),
            )
            for n in range(1, count + 1)
        ),
    )


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_any_chunking_of_the_input_gives_the_same_table(tmp_path, monkeypatch, chunk):
    # The reader detaches complete elements between feeds; a chunk of one byte leaves every
    # element open at some feed boundary, one of 1 MB reads the whole file in one feed.
    delivery = deliver(tmp_path, auditfile(many_purchases(40), totals=(80, "830.00", "830.00")))
    expected = read_xaf(delivery)
    monkeypatch.setattr(xaf, "_CHUNK", chunk)
    parsed = read_xaf(delivery)
    assert parsed.rows.num_rows == 80
    assert parsed.rows.equals(expected.rows)
    assert parsed.raw.equals(expected.raw)
    assert parsed.notes == expected.notes == []


def test_character_references_cdata_and_comments_in_values(tmp_path):
    desc = "Caf&#233; &amp; co <![CDATA[<Q1>]]><!-- not text --> &#x20AC;"
    content = auditfile(
        journal(
            "INK",
            transaction("1", line(1, "4310", "1.00", "D", desc=desc), line(2, "1600", "1.00", "C")),
        )
    )
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows["description"][0].as_py() == "Café & co <Q1> €"


# -- tolerances: read, and said -----------------------------------------------------------------


def test_utf8_bom_is_noted(tmp_path):
    parsed = read_xaf(deliver(tmp_path, codecs.BOM_UTF8 + auditfile(one_purchase()).encode()))
    assert parsed.rows.num_rows == 2
    assert parsed.notes == [
        "the file starts with a UTF-8 byte-order mark (BOM); it was skipped",
        "the auditfile declares no transaction totals (linesCount, totalDebit, totalCredit); "
        "only debit = credit per transaction was checked",
    ]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_utf8_declared_but_windows_1252_bytes(tmp_path, bom):
    content = bom + auditfile(one_purchase(desc="Café licentie €")).encode("cp1252")
    parsed = read_xaf(deliver(tmp_path, content))
    offset = content.index("é".encode("cp1252"))
    assert (
        f"file declares UTF-8 but is not valid UTF-8 (first bad byte at offset {offset}); "
        "read as Windows-1252"
    ) in parsed.notes
    assert parsed.rows["description"][0].as_py() == "Café licentie €"
    assert parsed.header["encoding"] == "windows-1252"


def test_windows_1252_byte_deep_in_the_file_is_still_noticed(tmp_path):
    # UTF-8 is checked by the parser as it reads: a bad byte far past the first chunk makes the
    # reader start again as Windows-1252 rather than fail or read half the file.
    content = auditfile(many_purchases(300, last_desc="Café")).encode("cp1252")
    assert content.index("é".encode("cp1252")) > 10 * xaf._CHUNK
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows.num_rows == 600
    assert parsed.rows["description"][-2].as_py() == "Café"
    assert parsed.header["encoding"] == "windows-1252"


def test_latin1_declared_with_windows_1252_euro_sign(tmp_path):
    declaration = '<?xml version="1.0" encoding="ISO-8859-1"?>'
    content = auditfile(one_purchase(desc="€ 100"), declaration=declaration).encode("cp1252")
    parsed = read_xaf(deliver(tmp_path, content))
    offset = content.index(b"\x80")
    assert (
        "file declares ISO-8859-1 but contains Windows-1252 characters such as the euro sign "
        f"(first at offset {offset}); read as Windows-1252"
    ) in parsed.notes
    assert parsed.rows["description"][0].as_py() == "€ 100"


def test_real_latin1_is_read_without_a_note(tmp_path):
    declaration = '<?xml version="1.0" encoding="ISO-8859-1"?>'
    content = auditfile(one_purchase(desc="Café"), declaration=declaration).encode("latin-1")
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows["description"][0].as_py() == "Café"
    assert not [note for note in parsed.notes if "Windows-1252" in note]


def test_empty_optional_elements_are_noted(tmp_path):
    content = auditfile(
        journal(
            "INK",
            transaction(
                "1",
                line(1, "4310", "10.00", "D", cost="").replace("<docRef>F1</docRef>", "<docRef/>"),
                line(2, "1600", "10.00", "C", cost=" "),
            ),
        ),
        totals=(2, "10.00", "10.00"),
    )
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows["cost_centre"].to_pylist() == [None, None]
    assert parsed.notes == [
        "empty optional elements were read as missing: costID on 2 line(s), docRef on 1 line(s)"
    ]


def test_repeated_line_numbers_are_noted_and_kept(tmp_path):
    content = auditfile(
        journal(
            "INK",
            transaction("7", line(1, "4310", "10.00", "D"), line(1, "1600", "10.00", "C")),
        ),
        totals=(2, "10.00", "10.00"),
    )
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows["line_number"].to_pylist() == ["1", "1"]
    assert parsed.rows["source_row"].to_pylist() == [1, 2]
    assert parsed.notes == [
        "trLine/nr repeats within 1 transaction(s) (first: journal 'INK', transaction '7', "
        "line nr '1'); the lines are kept apart by source_row"
    ]


def test_lines_count_that_counts_transactions_is_noted(tmp_path):
    content = auditfile(one_purchase(), totals=(1, "100.00", "100.00"))
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.notes == [
        "header linesCount 1 equals the number of transactions, not of transaction lines "
        "(2 trLine elements were read); accepted"
    ]


def test_missing_eff_date_falls_back_to_transaction_date(tmp_path):
    content = auditfile(
        journal(
            "INK",
            transaction(
                "1",
                line(1, "4310", "10.00", "D", eff=None, desc=None),
                line(2, "1600", "10.00", "C"),
                day="2024-02-29",
                desc="Factuur KPN",
            ),
        ),
        totals=(2, "10.00", "10.00"),
    )
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows["booking_date"].to_pylist() == [date(2024, 2, 29), date(2024, 3, 1)]
    assert parsed.rows["description"].to_pylist() == ["Factuur KPN", "regel"]
    assert parsed.notes == [
        "1 line(s) have no effDate; the transaction date (trDt) was used as booking date"
    ]


def test_unreadable_values_become_row_problems_not_crashes(tmp_path):
    content = auditfile(
        journal(
            "INK",
            transaction("1", line(1, "4310", "12,50", "D"), line(2, "1600", "12.50", "C")),
            transaction("2", line(1, "4310", "5.00", "X"), line(2, "1600", "5.00", "C")),
            transaction(
                "3", line(1, "4310", "7.00", "D", eff="31-03-2024"), line(2, "1600", "7.00", "C")
            ),
        ),
        totals=(6, "19.50", "24.50"),
    )
    parsed = read_xaf(deliver(tmp_path, content))
    assert parsed.rows.num_rows == 6
    assert parsed.rows["amount"].to_pylist()[:4] == [None, Decimal("-12.50"), None, Decimal("-5")]
    assert parsed.rows["booking_date"][4].as_py() is None
    problems = [(p.source_row, p.column, p.value, p.rule) for p in parsed.row_problems]
    assert problems == [
        (1, "amnt", "12,50", "amount_format"),
        (3, "amntTp", "X", "debit_credit"),
        (5, "effDate", "31-03-2024", "date_format"),
    ]
    assert "'12,50' is not an amount" in parsed.row_problems[0].message
    assert (
        "2 transaction(s) could not be checked for debit = credit because a line amount or D/C "
        "indicator is unreadable (see the row problems)"
    ) in parsed.notes


# -- rejections ---------------------------------------------------------------------------------


def rejected_message(delivery: Delivery) -> str:
    """What check_delivery says of a delivery it rejects: the balance rule runs on the read lines."""
    result = check_delivery(delivery).result
    assert result.status == "rejected"
    assert result.rows_read == result.rows_landed + result.rows_quarantined
    return result.message


def test_unbalanced_ledger_names_difference_and_first_transaction(tmp_path):
    content = auditfile(
        journal(
            "INK",
            transaction("1", line(1, "4310", "100.00", "D"), line(2, "1600", "100.00", "C")),
            transaction(
                "24-0012", line(1, "4310", "1134.56", "D"), line(2, "1600", "1100.00", "C")
            ),
        )
    )
    delivery = deliver(tmp_path, content)
    assert read_xaf(delivery).rows.num_rows == 4  # the reader reads; the rule judges
    assert rejected_message(delivery) == (
        "GM0363/2024/ledger.xaf, row 3: the ledger does not balance: debit 1 234.56 != credit "
        "1 200.00, difference 34.56 EUR; 1 voucher does not balance, with its sum: "
        "journal 'INK' voucher '24-0012' (row 3) 34.56"
    )


def test_transactions_must_balance_each_even_when_the_total_does(tmp_path):
    content = auditfile(
        journal(
            "MEM",
            transaction("1", line(1, "4310", "100.00", "D"), line(2, "1600", "90.00", "C")),
            transaction("2", line(1, "4310", "90.00", "D"), line(2, "1600", "100.00", "C")),
        )
    )
    message = rejected_message(deliver(tmp_path, content))
    assert "debit and credit both add up to 190.00, but not per voucher" in message
    assert "2 vouchers do not balance, each with its sum: journal 'MEM' voucher '1'" in message


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ((3, "100.00", "100.00"), "declares 3 transaction lines (linesCount) but the file holds 2"),
        ((2, "100.10", "100.00"), "declares totalDebit 100.10 but the lines add up to 100.00"),
        ((2, "100.00", "1000.00"), "totalCredit 1 000.00 but the lines add up to 100.00"),
    ],
)
def test_declared_header_totals_must_match(tmp_path, totals, expected):
    with pytest.raises(Unbalanced) as caught:
        read_xaf(deliver(tmp_path, auditfile(one_purchase(), totals=totals)))
    assert expected in caught.value.message


def test_official_test_file_is_rejected_as_unbalanced(tmp_path):
    if not OFFICIAL_TEST_FILE.exists():
        pytest.skip(f"reference test file not present at {OFFICIAL_TEST_FILE}")
    path = tmp_path / "GM0363" / "2016" / "ledger.xaf"
    path.parent.mkdir(parents=True)
    shutil.copyfile(OFFICIAL_TEST_FILE, path)
    # its one line credits 3.14 and nothing debits it: the declared totals show that first
    assert rejected_message(delivery_from_path(path)) == (
        "GM0363/2016/ledger.xaf, column `transactions/totalDebit`: the header declares "
        "totalDebit 3.14 but the lines add up to 0.00, difference 3.14 EUR"
    )


_OPENED: list[str] | None = None


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and _OPENED is not None:
        _OPENED.append(str(args[0]))


sys.addaudithook(_record_opens)


def test_xxe_is_refused_and_no_local_file_is_read(tmp_path):
    global _OPENED
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE auditfile [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        f'<auditfile xmlns="{XAF_32}"><header><fiscalYear>&xxe;</fiscalYear></header>'
        "</auditfile>"
    )
    delivery = deliver(tmp_path, content)
    _OPENED = []
    try:
        with pytest.raises(UnsafeFile, match="DOCTYPE") as caught:
            read_xaf(delivery)
        opened = _OPENED
    finally:
        _OPENED = None
    assert str(delivery.path) in opened  # the hook works ...
    assert not [name for name in opened if "secret" in name]  # ... and saw no other file
    assert "TOP-SECRET-42" not in str(caught.value)


def test_billion_laughs_is_refused(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    content = (
        f'<?xml version="1.0"?>\n<!DOCTYPE auditfile [{entities}]>\n<auditfile>&lol9;</auditfile>'
    )
    with pytest.raises(UnsafeFile, match="billion laughs"):
        read_xaf(deliver(tmp_path, content))


@pytest.mark.parametrize(
    "prolog",
    [
        "<!-- export -->\n<?xml-stylesheet href='x.xsl'?>\n<!DOCTYPE auditfile>\n",
        '<!DOCTYPE auditfile SYSTEM "http://example.org/xaf.dtd">\n',
        '<!DOCTYPE auditfile [<!ENTITY % remote SYSTEM "http://example.org/p">%remote;]>\n',
    ],
)
def test_a_doctype_anywhere_in_the_prolog_is_refused(tmp_path, prolog):
    content = auditfile(one_purchase()).replace(f"{UTF8}\n", f"{UTF8}\n{prolog}", 1)
    with pytest.raises(UnsafeFile, match="DOCTYPE"):
        read_xaf(deliver(tmp_path, content))


def test_a_doctype_is_refused_in_utf16_and_in_windows_1252_files(tmp_path):
    with_doctype = auditfile(one_purchase(desc="Café")).replace(
        f"{UTF8}\n", f"{UTF8}\n<!-- Café -->\n<!DOCTYPE auditfile>\n", 1
    )
    with pytest.raises(UnsafeFile, match="DOCTYPE"):
        read_xaf(deliver(tmp_path, with_doctype.encode("cp1252")))  # transcoded, then checked
    utf16 = with_doctype.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(UnsafeFile, match="DOCTYPE"):
        read_xaf(deliver(tmp_path, codecs.BOM_UTF16_LE + utf16.encode("utf-16-le")))


def test_a_doctype_in_a_comment_is_only_text_and_one_after_the_root_is_not_xml(tmp_path):
    in_comment = auditfile(one_purchase()).replace(
        f"{UTF8}\n", f"{UTF8}\n<!-- <!DOCTYPE auditfile [<!ENTITY x 'y'>]> -->\n", 1
    )
    assert read_xaf(deliver(tmp_path, in_comment)).rows.num_rows == 2
    after_root = auditfile(one_purchase()).replace(
        "<company>", "<!DOCTYPE auditfile [<!ENTITY x 'y'>]><company>", 1
    )
    with pytest.raises(UnreadableFile, match="not well-formed XML at line 4, column 3"):
        read_xaf(deliver(tmp_path, after_root))


def test_fiscal_year_must_match_the_delivery_folder(tmp_path):
    with pytest.raises(DeliveryRejected) as caught:
        read_xaf(deliver(tmp_path, auditfile(one_purchase(), year=2023), year=2024))
    assert type(caught.value) is DeliveryRejected
    assert caught.value.message == (
        "the auditfile is for fiscal year 2023 (header fiscalYear) but was delivered as fiscal "
        "year 2024 (folder GM0363/2024)"
    )


def test_not_well_formed_xml_names_line_and_column(tmp_path):
    content = auditfile(one_purchase()).replace("</accDesc>", "</accdesc>", 1)
    with pytest.raises(UnreadableFile, match=r"not well-formed XML at line 5, column \d+: "):
        read_xaf(deliver(tmp_path, content))


def test_truncated_file_is_unreadable(tmp_path):
    content = auditfile(one_purchase())
    with pytest.raises(UnreadableFile, match="is the file truncated"):
        read_xaf(deliver(tmp_path, content[: len(content) // 2]))


def test_empty_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match=r"empty \(0 bytes\)"):
        read_xaf(deliver(tmp_path, b""))


def test_zip_archive_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match="ZIP archive"):
        read_xaf(deliver(tmp_path, b"PK\x03\x04" + b"\0" * 40))


@pytest.mark.parametrize("namespace", XAF_40_NAMESPACES)
def test_xaf_40_is_refused_with_a_request_for_32(tmp_path, namespace):
    content = f'{UTF8}<auditfile xmlns="{namespace}"><header/></auditfile>'
    with pytest.raises(WrongLayout) as caught:
        read_xaf(deliver(tmp_path, content))
    assert caught.value.message == (
        f"this is an XAF 4.0 auditfile (namespace {namespace}); XAF 4.0 is not supported yet, "
        "export as XAF 3.2"
    )


@pytest.mark.parametrize(
    ("root", "found"),
    [
        ('<auditfile xmlns="http://example.org/other">', "<auditfile> with namespace"),
        ("<auditfile>", "<auditfile> with no namespace"),
        (f'<ledger xmlns="{XAF_32}">', "<ledger> with namespace"),
    ],
)
def test_other_xml_is_not_an_auditfile(tmp_path, root, found):
    content = f"{UTF8}{root}<header/></{root[1:].split()[0].rstrip('>')}>"
    with pytest.raises(WrongLayout, match="not an XAF auditfile") as caught:
        read_xaf(deliver(tmp_path, content))
    assert found in caught.value.message


# -- the memory benchmark cannot rot ------------------------------------------------------------


def test_memory_benchmark_runs_at_tiny_scale(tmp_path):
    spec = importlib.util.spec_from_file_location("xaf_memory", REPO / "bench" / "xaf_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.main(2_000, tmp_path)
    assert figures["lines"] == 2_000
    assert figures["peak_rss_mb"] > 0


def test_rows_are_arrow_tables_with_the_ledger_schema(tmp_path):
    parsed = read_xaf(deliver(tmp_path, auditfile(one_purchase(), totals=(2, "100", "100.0"))))
    assert isinstance(parsed.rows, pa.Table)
    assert parsed.rows.schema == LEDGER_SCHEMA
    assert parsed.notes == []
