"""A delivery checked a batch at a time (ingest/streamed.py) ends exactly as one checked whole:
the same load result, the same landed rows, the same quarantine, for good files and for every
way a ledger can be rejected or partly quarantined, in XAF and in CSV; a rejected one leaves the
last stored version as it was. Batches of a few rows, so vouchers and problems lie across batch
boundaries."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.contract.delivery import delivery_from_path
from pipelines.ingest import check as check_module
from pipelines.ingest.check import CheckOptions, LoadPolicy, check_delivery
from pipelines.ingest.store import LandingStore
from pipelines.ingest.streamed import check_and_store_streamed, streams
from pipelines.readers.dutch_csv import read_text_csv, read_text_csv_parts
from pipelines.readers.xaf import read_xaf, read_xaf_batches
from pipelines.settings import Paths
from tests.test_xaf import auditfile, journal, line, transaction


def ledger(vouchers: int = 30, *, damage=None, totals: bool = True, declaration=None) -> str:
    """An auditfile of `vouchers` vouchers of three lines; damage(v, i) may replace line i of
    voucher v by (amount, side, effDate) or (None) to keep it."""
    transactions, count, debit = [], 0, 0
    for v in range(1, vouchers + 1):
        amounts = [(f"{v}.50", "D"), ("1.00", "D"), (f"{v + 1}.50", "C")]
        lines = []
        for i, (amount, side) in enumerate(amounts, start=1):
            eff = f"2024-{1 + v % 12:02d}-1{i}"
            changed = damage(v, i) if damage else None
            if changed:
                amount, side, eff = changed
            account = "4310" if i == 1 else ("4320" if i == 2 else "1600")
            lines.append(line(i, account, amount, side, eff=eff, cost="7100" if i == 1 else None))
            count += 1
            if side == "D":
                debit += round(float(amount) * 100) if _number(amount) else 0
        transactions.append(transaction(f"24-{v:03d}", *lines))
    declared = (count, f"{debit / 100:.2f}", f"{debit / 100:.2f}") if totals else None
    extra = {"declaration": declaration} if declaration else {}
    return auditfile(journal("INK", *transactions), totals=declared, **extra)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write(root, content: str | bytes, year: int = 2024, suffix: str = ".xaf"):
    path = root / "deliveries" / "GM0363" / str(year) / f"ledger{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return delivery_from_path(path)


def stored(paths: Paths, delivery) -> dict:
    """What the store holds for the delivery: the load result (without the moment of the check),
    the landed rows and the quarantine, as tables and as the controller's CSV."""
    store = LandingStore(paths)
    result = store.previous_result(delivery)
    result.pop("checked_at")
    landed = store.landed_file(delivery)
    quarantine = store.quarantine_file(delivery)
    readable = quarantine.with_suffix(".csv")
    return {
        "result": result,
        "landed": pq.read_table(landed) if landed.exists() else None,
        "quarantine": pq.read_table(quarantine) if quarantine.exists() else None,
        "csv": readable.read_text(encoding="utf-8-sig") if readable.exists() else None,
    }


def both_ways(
    tmp_path, content, policy: LoadPolicy | None = None, suffix: str = ".xaf", batch_rows: int = 4
) -> tuple[dict, dict]:
    delivery = write(tmp_path / "data_raw", content, suffix=suffix)
    options = CheckOptions(policy=policy) if policy else CheckOptions()
    whole = Paths(tmp_path / "data_raw", tmp_path / "whole")
    LandingStore(whole).store(check_delivery(delivery, options), delivery)
    streamed = Paths(tmp_path / "data_raw", tmp_path / "streamed")
    validations = []
    check_and_store_streamed(
        delivery, options, LandingStore(streamed), record=validations, batch_rows=batch_rows
    )
    return stored(whole, delivery), stored(streamed, delivery)


def assert_same(whole: dict, streamed: dict) -> None:
    assert streamed["result"] == whole["result"]
    for name in ("landed", "quarantine"):
        if whole[name] is None:
            assert streamed[name] is None, name
        else:
            assert streamed[name].equals(whole[name]), name
    assert streamed["csv"] == whole["csv"]


def test_a_good_ledger_lands_the_same_rows(tmp_path):
    whole, streamed = both_ways(tmp_path, ledger())
    assert whole["result"]["status"] == "accepted"
    assert whole["landed"].num_rows == 90
    assert_same(whole, streamed)


def test_batches_of_the_reader_are_the_rows_of_the_whole_read(tmp_path):
    delivery = write(tmp_path, ledger(7))
    batches = read_xaf_batches(delivery, batch_size=4)
    sizes = []
    while True:
        try:
            sizes.append(next(batches).rows.num_rows)
        except StopIteration as end:
            parsed = end.value
            break
    assert sizes == [4, 4, 4, 4, 4, 1]
    assert parsed.rows.num_rows == 0  # the rows were handed out, not kept
    assert parsed.header["lines_read"] == read_xaf(delivery).header["lines_read"] == 21


def test_unreadable_amounts_and_dates_outside_the_year_are_quarantined_alike(tmp_path):
    def damage(v, i):
        if v == 3 and i == 2:
            return ("1,00x", "D", "2024-02-12")  # unreadable amount: its voucher is excused
        if v in (7, 19) and i == 1:
            return (f"{v}.50", "D", "2023-12-31")  # outside the fiscal year
        return None

    whole, streamed = both_ways(tmp_path, ledger(120, damage=damage, totals=False))
    assert whole["result"]["status"] == "partially_accepted"
    assert whole["result"]["rows_quarantined"] == 3
    assert any("could not be checked for balance" in n for n in whole["result"]["notes"])
    assert_same(whole, streamed)


def test_an_unbalanced_voucher_rejects_the_file_whole_with_every_row_quarantined(tmp_path):
    def damage(v, i):
        return ("1.10", "D", "2024-05-12") if (v, i) == (11, 2) else None

    whole, streamed = both_ways(tmp_path, ledger(20, damage=damage, totals=False))
    assert whole["result"]["status"] == "rejected"
    assert "does not balance" in whole["result"]["message"]
    assert whole["quarantine"].num_rows == whole["result"]["rows_quarantined"] == 60
    assert whole["landed"] is None
    assert_same(whole, streamed)


def test_too_many_bad_rows_reject_the_file_whole(tmp_path):
    def damage(v, i):
        return (f"{v}.50", "D", "2025-01-01") if i == 1 and v % 5 == 0 else None

    whole, streamed = both_ways(tmp_path, ledger(40, damage=damage, totals=False))
    assert whole["result"]["status"] == "rejected"
    assert "break the contract" in whole["result"]["message"]
    assert whole["quarantine"].num_rows == 120
    assert_same(whole, streamed)


def test_declared_totals_that_differ_reject_the_file_after_its_last_batch(tmp_path):
    content = ledger(20).replace("<linesCount>60</linesCount>", "<linesCount>61</linesCount>")
    whole, streamed = both_ways(tmp_path, content)
    assert "linesCount" in whole["result"]["message"]
    assert_same(whole, streamed)


def test_xml_broken_near_its_end_is_rejected_after_batches_were_decided(tmp_path):
    content = ledger(20)
    at = content.rindex("<trLine>")
    whole, streamed = both_ways(tmp_path, content[:at] + "<trLine><nr>1</nr" + content[at + 20 :])
    assert whole["result"]["status"] == "rejected"
    assert "not well-formed" in whole["result"]["message"]
    assert_same(whole, streamed)


def test_windows_1252_bytes_late_in_a_utf8_file_are_read_the_same(tmp_path):
    content = ledger(20).encode("utf-8")
    at = content.rindex(b"<desc>regel</desc>")
    content = content[:at] + b"<desc>r\x80gel</desc>" + content[at + len(b"<desc>regel</desc>") :]
    whole, streamed = both_ways(tmp_path, content)
    assert any("read as Windows-1252" in n for n in whole["result"]["notes"])
    assert whole["result"]["status"] == "accepted"
    assert_same(whole, streamed)


def test_lines_dated_after_the_check_are_counted_alike(tmp_path, monkeypatch):
    monkeypatch.setattr(check_module, "now", lambda: dt.datetime(2024, 6, 15, 12, tzinfo=dt.UTC))
    whole, streamed = both_ways(tmp_path, ledger(30))
    assert whole["result"]["rows_dated_after_check"] > 0
    assert_same(whole, streamed)


def test_a_rejected_file_leaves_the_stored_version_as_it_was(tmp_path):
    data_raw = tmp_path / "data_raw"
    paths = Paths(data_raw, tmp_path / "warehouse")
    store = LandingStore(paths)
    good = write(data_raw, ledger(20))
    check_and_store_streamed(good, CheckOptions(), store, batch_rows=4)
    before = stored(paths, good)
    landed = store.landed_file(good)
    landed_at = landed.stat().st_mtime_ns

    def damage(v, i):
        return ("1.10", "D", "2024-05-12") if (v, i) == (11, 2) else None

    bad = write(data_raw, ledger(20, damage=damage, totals=False))
    result = check_and_store_streamed(bad, CheckOptions(), store, batch_rows=4)
    assert result.status == "rejected"
    after = stored(paths, bad)
    assert after["landed"].equals(before["landed"])
    assert landed.stat().st_mtime_ns == landed_at
    assert after["quarantine"].num_rows == 60  # the rejected file's rows, to look at
    assert not [p for p in landed.parent.iterdir() if p.name.endswith(".tmp")]

    # the good file again: it lands the same bytes, so its landed file is left alone
    good = write(data_raw, ledger(20))
    check_and_store_streamed(good, CheckOptions(), store, batch_rows=4)
    assert landed.stat().st_mtime_ns == landed_at
    assert not store.quarantine_file(good).exists()


def test_an_unknown_municipality_is_refused_before_reading(tmp_path):
    delivery = write(tmp_path / "data_raw", ledger(3))
    options = CheckOptions(known_municipalities=frozenset({"GM0344"}))
    result = check_and_store_streamed(
        delivery, options, LandingStore(Paths(tmp_path / "data_raw", tmp_path / "w"))
    )
    assert result.status == "rejected"
    assert "unknown municipality code GM0363" in result.message
    assert result.message == check_delivery(delivery, options).result.message


@pytest.mark.parametrize(
    "name, expected", [("ledger.xaf", True), ("ledger.csv", True), ("assets.xlsx", False)]
)
def test_only_formats_with_a_batch_reader_stream(tmp_path, name, expected):
    path = tmp_path / "deliveries" / "GM0363" / "2024" / name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x" * 64)
    assert streams(delivery_from_path(path), stream_bytes=64) is expected
    assert not streams(delivery_from_path(path), stream_bytes=65)


# -- CSV ledgers ------------------------------------------------------------------------------

CSV_HEADER = "boekdatum;dagboek;boekstuk;rekening;rekeningsoort;omschrijving;bedrag;extra"


def csv_ledger(vouchers: int = 40, *, line=None, end: str = "\n") -> str:
    """`vouchers` vouchers of two lines; line(v, i, fields) may return other text for a line."""
    lines = [CSV_HEADER]
    for v in range(1, vouchers + 1):
        for i, amount in ((1, f"{v},50"), (2, f"-{v},50")):
            fields = [
                f"{1 + v % 28:02d}-03-2024",
                "INK",
                f"24-{v:03d}",
                "4310" if i == 1 else "1600",
                "W" if i == 1 else "B",
                f"regel {v}.{i}",
                amount,
                "x",
            ]
            text = line(v, i, fields) if line else None
            lines.append(";".join(fields) if text is None else text)
    return end.join(lines) + end


def csv_both_ways(tmp_path, content, batch_rows: int = 3, **kwargs):
    return both_ways(tmp_path, content, suffix=".csv", batch_rows=batch_rows, **kwargs)


def test_a_good_csv_ledger_lands_the_same_rows(tmp_path):
    whole, streamed = csv_both_ways(tmp_path, csv_ledger())
    assert whole["result"]["status"] == "accepted"
    assert whole["landed"].num_rows == 80
    assert any("columns not in the data contract" in n for n in whole["result"]["notes"])
    assert_same(whole, streamed)


def quoted(v, i, fields):
    if v == 4 and i == 1:
        fields[5] = '"regel; met puntkomma"'
    elif v == 9 and i == 2:
        fields[5] = '12" monitor'
    elif v == 15 and i == 1:
        fields[5] = '"met ""aanhalingstekens"" erin"'
    else:
        return None
    return ";".join(fields)


def line_break_in_quotes(v, i, fields):
    if (v, i) == (20, 1):
        fields[5] = '"twee\nregels"'
        return ";".join(fields)
    if (v, i) == (30, 2):
        fields[5] = '"niet gesloten'
        return ";".join(fields)
    return None


def broken_and_blank(v, i, fields):
    if (v, i) == (5, 2):
        return ";;;;;;;"  # a blank row
    if (v, i) == (12, 1):
        return ";".join(fields[:5])  # too few fields
    if (v, i) == (25, 1):
        return ";".join([*fields, "te veel"])
    if (v, i) == (33, 2):
        return ""
    return None


def unreadable_values(v, i, fields):
    if (v, i) == (7, 1):
        fields[6] = "12,3x"
    elif (v, i) in ((16, 2), (36, 1)):
        fields[4] = "onbekend" if v == 16 else "raar"
    elif (v, i) == (22, 1):
        fields[0] = "31-02-2024"
    else:
        return None
    return ";".join(fields)


@pytest.mark.parametrize(
    "name, content",
    [
        ("quotes", csv_ledger(line=quoted)),
        ("line breaks inside quotes", csv_ledger(line=line_break_in_quotes)),
        ("broken and blank rows", csv_ledger(line=broken_and_blank)),
        ("unreadable values", csv_ledger(line=unreadable_values)),
        ("CRLF and a BOM", "\ufeff" + csv_ledger(end="\r\n")),
        ("CR alone", csv_ledger(end="\r")),
        ("Windows-1252", csv_ledger(line=quoted).replace("regel 3.1", "€ 3,1 café")),
    ],
)
def test_csv_ledgers_as_real_exports_write_them_are_read_the_same(tmp_path, name, content):
    data = content.encode("cp1252") if name == "Windows-1252" else content
    whole, streamed = csv_both_ways(tmp_path, data)
    assert whole["result"]["status"] in ("accepted", "partially_accepted", "rejected")
    assert_same(whole, streamed)


def test_a_csv_line_over_the_limit_is_unreadable_alike(tmp_path):
    def long_line(v, i, fields):
        if (v, i) == (18, 1):
            fields[5] = "x" * (1 << 20)
            return ";".join(fields)
        return None

    whole, streamed = csv_both_ways(tmp_path, csv_ledger(line=long_line))
    assert any(p.get("rule") == "line_too_long" for p in whole["result"]["problems"])
    assert_same(whole, streamed)


def test_a_csv_ledger_cut_off_mid_line_is_refused_after_its_last_batch(tmp_path):
    content = csv_ledger(30)
    whole, streamed = csv_both_ways(tmp_path, content[: content.rindex(";x\n") - 6])
    assert "cut off" in whole["result"]["message"]
    assert_same(whole, streamed)


def test_an_unbalanced_csv_ledger_is_quarantined_whole_alike(tmp_path):
    def off(v, i, fields):
        if (v, i) == (21, 2):
            fields[6] = "-21,60"
            return ";".join(fields)
        return None

    whole, streamed = csv_both_ways(tmp_path, csv_ledger(line=off))
    assert whole["result"]["status"] == "rejected"
    assert whole["quarantine"].num_rows == 80
    assert_same(whole, streamed)


def test_a_csv_ledger_with_a_header_alone_is_rejected_alike(tmp_path):
    whole, streamed = csv_both_ways(tmp_path, CSV_HEADER + "\n")
    assert whole["result"]["status"] == "rejected"
    assert_same(whole, streamed)


@pytest.mark.parametrize("part_bytes", [1, 200, 5_000])
def test_text_parts_are_the_rows_of_the_whole_file(tmp_path, part_bytes):
    content = (
        csv_ledger(line=line_break_in_quotes)
        + csv_ledger(line=broken_and_blank)[len(CSV_HEADER) + 1 :]
    )
    path = write(tmp_path, content, suffix=".csv").path
    whole = read_text_csv(path)
    parts = list(read_text_csv_parts(path, part_bytes=part_bytes))
    assert len(parts) > 1
    assert pa.concat_tables([p.table for p in parts]).equals(whole.table)
    assert pa.concat_arrays([p.source_rows for p in parts]).equals(whole.source_rows)
    assert [r for p in parts for r in p.broken_rows] == whole.broken_rows
    assert [u for p in parts for u in p.unreadable_lines] == whole.unreadable_lines
    assert parts[-1].notes == whole.notes
