"""The demo generator: deterministic, balanced, realistic ICT money, real Dutch file dialects.

The files are read back with the csv module and Decimal only, so these checks do not depend on
the pipeline's own readers.
"""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.contract.categories import mapped_codes
from pipelines.demo.ledgers import (
    generate_account_mapping,
    iter_transactions,
    ledger_rng,
    mapping_rng,
    write_demo_data,
)
from pipelines.demo.municipalities import MUNICIPALITIES, by_code

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
BOM = b"\xef\xbb\xbf"
DUTCH_AMOUNT = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+),\d\d-?")
ICT_CATEGORIES = set(mapped_codes())
# docs/data-contract.md, ledger columns and their aliases
ALIASES = {
    "boekdatum": ("boekdatum", "datum", "date", "booking_date", "transactiedatum"),
    "rekening": (
        "rekening",
        "grootboekrekening",
        "grootboek",
        "account",
        "account_code",
        "rekeningnummer",
    ),
    "rekening_omschrijving": ("rekening_omschrijving", "omschrijving_rekening", "account_name"),
    "rekeningsoort": ("rekeningsoort", "balans/resultaat", "account_type"),
    "kostenplaats": ("kostenplaats", "kpl", "cost_centre", "cost_center"),
    "kostensoort": ("kostensoort", "cost_type"),
    "dagboek": ("dagboek", "journal"),
    "boekstuk": ("boekstuk", "boekstuknummer", "transaction_id"),
    "regel": ("regel", "regelnummer", "line_number"),
    "omschrijving": ("omschrijving", "description"),
    "bedrag": ("bedrag", "amount", "saldo"),
    "debet": ("debet", "debit"),
    "credit": ("credit",),
}
CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


# --- a tiny independent reader ----------------------------------------------------------------


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def parse_amount(text: str) -> Decimal:
    text = text.strip()
    if not text:
        return Decimal(0)
    negative = text.startswith("-") or text.endswith("-")
    value = Decimal(text.strip("-").replace(".", "").replace(",", "."))
    return -value if negative else value


def read_ledger(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(decode(path.read_bytes()), newline=""), delimiter=";"))
    header = [CANONICAL[name.strip().lower()] for name in rows[0]]
    return rows[0], [dict(zip(header, row, strict=True)) for row in rows[1:]]


def amount_of(row: dict[str, str]) -> Decimal:
    if "bedrag" in row:
        return parse_amount(row["bedrag"])
    return parse_amount(row["debet"]) - parse_amount(row["credit"])


def read_mapping(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _same(a: str, b: str) -> bool:
    return int(a) == int(b) if a.isdigit() and b.isdigit() else a == b


def _within(account: str, low: str, high: str) -> bool:
    if account.isdigit() and low.isdigit() and high.isdigit():
        return int(low) <= int(account) <= int(high)
    return low <= account <= high


def _width(rule: dict[str, str]) -> int:
    low, high = rule["rekening_van"], rule["rekening_tot"]
    return int(high) - int(low) if low.isdigit() and high.isdigit() else 0


def _account_matches(rule: dict[str, str], account: str) -> bool:
    if rule["rekening_tot"]:
        return _within(account, rule["rekening_van"], rule["rekening_tot"])
    return _same(account, rule["rekening_van"])


def classify(rules: list[dict[str, str]], account: str, centre: str) -> str | None:
    """Contract precedence: account + cost centre, exact account, narrowest range, cost centre."""
    with_account = [r for r in rules if r["rekening_van"] and _account_matches(r, account)]
    both = [r for r in with_account if r["kostenplaats"] and r["kostenplaats"] == centre]
    exact = [r for r in with_account if not r["kostenplaats"] and not r["rekening_tot"]]
    ranges = [r for r in with_account if not r["kostenplaats"] and r["rekening_tot"]]
    centre_only = [r for r in rules if not r["rekening_van"] and r["kostenplaats"] == centre]
    for candidates in (both, exact, sorted(ranges, key=_width), centre_only):
        if candidates:
            return candidates[0]["categorie"]
    return None


def ict_money(rules: list[dict[str, str]], lines) -> dict[str, Decimal]:
    """Classified ICT, unclassified ICT (ICT cost centre, no rule), lines and credit notes."""
    money = {"classified": Decimal(0), "unclassified": Decimal(0), "lines": 0, "negative": 0}
    for account, centre, amount in lines:
        category = classify(rules, account, centre)
        if category in ICT_CATEGORIES:
            money["classified"] += amount
        elif category == "ict_cost_centre":
            money["unclassified"] += amount
        else:
            continue
        money["lines"] += 1
        money["negative"] += amount < 0
    return money


def read_inhabitants(path: Path) -> dict[tuple[str, int], int]:
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    rows = [row for row in csv.reader(lines[3:], delimiter=";") if len(row) == 4]
    return {(code, int(year)): int(count) for _, code, year, count in rows if code.startswith("GM")}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo_data(out)


@pytest.fixture(scope="module")
def ledgers(demo) -> dict[str, Path]:
    out, _ = demo
    return {
        f"{p.parent.parent.name}/{p.parent.name}": p
        for p in sorted((out / "deliveries").glob("GM*/*/ledger.csv"))
    }


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- tests ------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(demo, tmp_path):
    out, summary = demo
    again = write_demo_data(tmp_path)
    assert _tree(tmp_path) == _tree(out)
    assert again["deliveries"] == summary["deliveries"]


def test_other_seed_gives_other_ledgers(demo, tmp_path):
    out, _ = demo
    municipality = MUNICIPALITIES[-1]
    write_demo_data(tmp_path, seed=7, municipalities=[municipality], years=(2024,))
    relative = f"deliveries/{municipality.code}/2024/ledger.csv"
    assert (tmp_path / relative).read_bytes() != (out / relative).read_bytes()


def test_adding_municipalities_leaves_the_others_alone(demo, tmp_path):
    out, _ = demo
    subset = MUNICIPALITIES[-3:]
    write_demo_data(tmp_path, municipalities=subset)
    for municipality in subset:
        folder = Path("deliveries") / municipality.code
        assert _tree(tmp_path / folder) == _tree(out / folder)


def test_every_ledger_has_all_years_and_balances(demo, ledgers):
    """Every voucher closes and every month has lines, as the contract asks of a full ledger."""
    _, summary = demo
    assert len(ledgers) == len(MUNICIPALITIES) * 3
    for key, path in ledgers.items():
        _, rows = read_ledger(path)
        assert len(rows) == summary["deliveries"][key]["lines"]
        per_document: dict[str, Decimal] = defaultdict(Decimal)
        months = set()
        for row in rows:
            per_document[row["boekstuk"]] += amount_of(row)
            assert row["boekdatum"][-4:] == key[-4:], f"{key}: {row['boekdatum']}"
            months.add(row["boekdatum"][3:5])
        unbalanced = {doc: total for doc, total in per_document.items() if total}
        assert not unbalanced, f"{key}: unbalanced documents {list(unbalanced)[:5]}"
        assert len(months) == 12, f"{key}: lines in months {sorted(months)} only"


def test_ict_per_inhabitant_is_realistic_and_matches_the_mapping(demo, ledgers):
    out, summary = demo
    inhabitants = read_inhabitants(out / "reference" / "bevolking.csv")
    by_year: dict[int, list[Decimal]] = defaultdict(list)
    for key, path in ledgers.items():
        code, year = key.split("/")
        rules = read_mapping(path.parent.parent / "account_mapping.csv")
        _, rows = read_ledger(path)
        lines = [(r["rekening"], r.get("kostenplaats", ""), amount_of(r)) for r in rows]
        money = ict_money(rules, lines)
        total = money["classified"] + money["unclassified"]
        per_inhabitant = total / inhabitants[(code, int(year))]
        assert 60 <= per_inhabitant <= 160, f"{key}: {per_inhabitant:.2f} euro per inhabitant"
        assert total == Decimal(summary["deliveries"][key]["ict_eur"]), key
        assert 0 < money["unclassified"] <= Decimal("0.03") * total, key
        assert money["negative"] >= 1, f"{key}: no ICT credit notes"
        assert money["lines"] < len(rows) / 2, f"{key}: most lines should not be ICT"
        by_year[int(year)].append(per_inhabitant)
    means = [sum(values) / len(values) for _, values in sorted(by_year.items())]
    assert means == sorted(means), f"ICT per inhabitant should trend up: {means}"


def test_dialects_vary_like_real_dutch_exports(ledgers):
    raws = {key: path.read_bytes() for key, path in ledgers.items()}

    def utf8(raw: bytes) -> bool:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    assert any(not utf8(raw) for raw in raws.values()), "no Windows-1252 file"
    assert any(raw.startswith(BOM) for raw in raws.values()), "no UTF-8 file with BOM"
    assert any(utf8(raw) and not raw.startswith(BOM) for raw in raws.values())
    assert any(b"\r\n" in raw for raw in raws.values())
    assert any(b"\r\n" not in raw for raw in raws.values())

    headers, trailing, leading, thousands, semicolons = set(), False, False, False, False
    debet_credit = False
    for path in ledgers.values():
        header, rows = read_ledger(path)
        headers.add(tuple(header))
        debet_credit |= "debet" in rows[0]
        amounts = [r.get("bedrag") or r.get("debet") or r.get("credit") or "" for r in rows]
        trailing |= any(a.endswith("-") for a in amounts)
        leading |= any(a.startswith("-") for a in amounts)
        thousands |= any("." in a for a in amounts)
        semicolons |= any(";" in r.get("omschrijving", "") for r in rows)
        assert all(DUTCH_AMOUNT.fullmatch(a) for a in amounts if a), f"{path}: not Dutch amounts"
    assert trailing and leading and debet_credit and thousands and semicolons
    assert len(headers) >= 4, "header names should vary among the contract's aliases"


def test_bevolking_is_a_statline_export(demo):
    out, _ = demo
    raw = (out / "reference" / "bevolking.csv").read_bytes()
    assert raw.startswith(BOM)
    assert raw.count(b"\n") == raw.count(b"\r\n")
    lines = raw[len(BOM) :].decode("utf-8").split("\r\n")
    assert lines[0].startswith("Tabel 1. Bevolking op 1 januari")
    assert lines[1] == ";;;"
    assert lines[2] == "Gemeentenaam;Gemeentecode;Perioden;Bevolking op 1 januari (aantal)"
    assert [line for line in lines if line][-2:] == [";;;", "Bron: CBS;;;"]
    assert "Groningen (gemeente);GM0014;2024;" in raw.decode("utf-8-sig")
    inhabitants = read_inhabitants(out / "reference" / "bevolking.csv")
    assert len(inhabitants) == len(MUNICIPALITIES) * 3
    sizes = {count for (_, year), count in inhabitants.items() if year == 2024}
    assert min(sizes) < 20_000 and max(sizes) > 100_000
    assert any(20_000 <= size <= 100_000 for size in sizes)


def test_gemeenten_match_the_cbs_list(demo):
    reference = SHARED_REFERENCE / "gemeenten" / "gemeenten-alfabetisch-2023.csv"
    if not reference.exists():
        pytest.skip(f"shared CBS reference not available at {reference}")
    out, _ = demo
    demo_file = out / "reference" / "gemeenten.csv"
    assert demo_file.read_bytes().split(b"\r\n")[0] == reference.read_bytes().split(b"\r\n")[0]
    with reference.open(encoding="utf-8", newline="") as handle:
        cbs = {row["GemeentecodeGM"]: row for row in csv.DictReader(handle)}
    with demo_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 15
    for row in rows:
        assert row == cbs[row["GemeentecodeGM"]]


def test_demo_stays_small(demo):
    out, summary = demo
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size == summary["bytes"]
    assert size < 5_000_000


def test_volume_multiplies_lines_not_money():
    municipality = by_code("GM0072")
    rules = [
        dataclasses.asdict(rule)
        for rule in generate_account_mapping(municipality, mapping_rng(2024, municipality))
    ]
    stream = iter_transactions(municipality, 2023, ledger_rng(2024, municipality, 2023))
    assert inspect.isgenerator(stream)

    def measure(transactions) -> tuple[int, Decimal]:
        lines = [(ln.account, ln.cost_centre, ln.amount) for tx in transactions for ln in tx.lines]
        money = ict_money(rules, lines)
        return len(lines), money["classified"] + money["unclassified"]

    base_lines, base_money = measure(stream)
    rng = ledger_rng(2024, municipality, 2023)
    big_lines, big_money = measure(iter_transactions(municipality, 2023, rng, volume=4))
    assert big_money == base_money
    assert 3 * base_lines < big_lines < 5 * base_lines


def test_other_ledger_formats_plug_in(tmp_path):
    seen = {}

    def fake_xaf(path, municipality, fiscal_year, transactions, accounts):
        seen[municipality.code] = (fiscal_year, len(list(transactions)), len(accounts))
        path.write_text("xaf")

    municipality = dataclasses.replace(MUNICIPALITIES[-1], ledger_format="xaf")
    (tmp_path / "deliveries" / municipality.code / "2024").mkdir(parents=True)
    stale = tmp_path / "deliveries" / municipality.code / "2024" / "ledger.csv"
    stale.write_text("from an earlier run")
    summary = write_demo_data(
        tmp_path, municipalities=[municipality], years=(2024,), ledger_writers={"xaf": fake_xaf}
    )
    assert (stale.parent / "ledger.xaf").read_text() == "xaf"
    assert not stale.exists()
    year, transactions, accounts = seen[municipality.code]
    assert (
        year == 2024
        and transactions == summary["deliveries"][f"{municipality.code}/2024"]["transactions"]
    )
    assert accounts > 20
