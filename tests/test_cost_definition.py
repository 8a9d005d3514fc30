"""The cost definition (docs/methodology.md), enforced: hand-computed drop zone through the pipeline.

GM0363 buys a server of 30 000 on balance-sheet account 0210 and depreciates 6 000 of it on 4650;
its mapping makes both ICT. The benchmark counts the 6 000 capital charges once and refuses the
rule on the balance-sheet account, with its reason.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.contract.delivery import delivery_from_path
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf
from pipelines.readers.ledger_csv import read_ledger_csv
from pipelines.readers.xaf import read_xaf
from tests.conftest import run_benchmark

ACCOUNTS = [
    ("0210", "Investeringen ICT-hardware", "B"),
    ("1100", "Bank", "B"),
    ("4650", "Afschrijving ICT-hardware", "P"),
]
MAPPING = (
    "rekening_van;rekening_tot;kostenplaats;categorie;toelichting\n"
    "0210;;;infrastructure_hardware;Servers (investering)\n"
    "4650;;;capital_charges;Afschrijving servers\n"
)


def write_server_ledger(path: Path) -> None:
    """30 000 capitalised on 0210, 6 000 of it depreciated on 4650."""
    write_xaf(
        path,
        header={"fiscal_year": 2024, "company_name": "Gemeente Amsterdam", "software_desc": "t"},
        accounts=ACCOUNTS,
        transactions=[
            XafTransaction(
                "MEM",
                "1",
                date(2024, 3, 1),
                "Aanschaf servers",
                [XafLine("0210", Decimal("30000.00")), XafLine("1100", Decimal("-30000.00"))],
            ),
            XafTransaction(
                "MEM",
                "2",
                date(2024, 12, 31),
                "Afschrijving servers 2024",
                [XafLine("4650", Decimal("6000.00")), XafLine("0210", Decimal("-6000.00"))],
            ),
        ],
    )


def write_reference(reference: Path, inhabitants: dict[str, tuple[str, int]]) -> None:
    reference.mkdir(parents=True, exist_ok=True)
    (reference / "gemeenten.csv").write_text(
        "Gemeentecode,GemeentecodeGM,Gemeentenaam,Provinciecode,ProvinciecodePV,Provincienaam\n"
        + "".join(
            f"{code[2:]},{code},{name},27,PV27,Noord-Holland\n"
            for code, (name, _) in inhabitants.items()
        ),
        encoding="utf-8",
    )
    (reference / "bevolking.csv").write_text(
        "Tabel 1. Bevolking op 1 januari; gemeenten;;;\n;;;\n"
        "Gemeentenaam;Gemeentecode;Perioden;Bevolking op 1 januari (aantal)\n"
        + "".join(f"{name};{code};2024;{n}\n" for code, (name, n) in inhabitants.items()),
        encoding="utf-8",
    )


def write_drop_zone(data_raw: Path) -> None:
    write_reference(data_raw / "reference", {"GM0363": ("Amsterdam", 1000)})
    deliveries = data_raw / "deliveries"
    write_server_ledger(deliveries / "GM0363" / "2024" / "ledger.xaf")
    (deliveries / "GM0363" / "account_mapping.csv").write_text(MAPPING, encoding="utf-8")


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# -- the readers say which accounts are on the balance sheet ----------------------------------


def test_xaf_lines_carry_the_account_type_of_their_account(tmp_path):
    path = tmp_path / "GM0363" / "2024" / "ledger.xaf"
    write_server_ledger(path)
    rows = read_xaf(delivery_from_path(path)).rows
    assert list(zip(rows["account_code"].to_pylist(), rows["account_type"].to_pylist())) == [
        ("0210", "B"),
        ("1100", "B"),
        ("4650", "P"),
        ("0210", "B"),
    ]


def test_a_csv_ledger_says_the_account_type_in_its_own_words(tmp_path):
    path = tmp_path / "GM0363" / "2024" / "ledger.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "boekdatum;rekening;rekeningsoort;bedrag\n"
        "01-03-2024;0210;Balans;30.000,00\n"
        "31-12-2024;4650;Exploitatie;6.000,00\n"
        "31-12-2024;4651;W;1,00\n"
        "31-12-2024;4652;;1,00\n"
        "31-12-2024;4653;iets;1,00\n",
        encoding="utf-8",
    )
    parsed = read_ledger_csv(delivery_from_path(path))
    assert parsed.rows["account_type"].to_pylist() == ["B", "P", "P", None, None]
    assert any("'iets'" in note for note in parsed.notes)


def test_a_csv_ledger_without_the_column_leaves_the_type_unknown(tmp_path):
    path = tmp_path / "GM0363" / "2024" / "ledger.csv"
    path.parent.mkdir(parents=True)
    path.write_text("boekdatum;rekening;bedrag\n01-03-2024;0210;30.000,00\n", encoding="utf-8")
    assert read_ledger_csv(delivery_from_path(path)).rows["account_type"].to_pylist() == [None]


# -- through the pipeline ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_manifest):
    root = tmp_path_factory.mktemp("cost_definition")
    write_drop_zone(root / "data_raw")
    assert run_benchmark(root / "data_raw", root / "warehouse").success
    return root / "warehouse" / "benchmark.duckdb"


@pytest.mark.slow
def test_a_capitalised_and_depreciated_server_counts_once(built):
    assert query(
        built,
        "select ict_cost_total, cost_capital_charges, cost_infrastructure_hardware "
        "from ict_benchmark where municipality_code = 'GM0363'",
    ) == [(Decimal("6000.00"), Decimal("6000.00"), Decimal("0.00"))]
    assert query(built, "select account_code, amount from fct_ict_cost_line") == [
        ("4650", Decimal("6000.00"))
    ]


@pytest.mark.slow
def test_a_rule_on_a_balance_sheet_account_is_refused_with_its_reason(built):
    [(row, account, amount, reason)] = query(
        built,
        "select mapping_rule_row, account_code, amount, refused_reason from mapping_rules_refused",
    )
    assert (row, account, amount) == (2, "0210", Decimal("24000.00"))
    assert "balance-sheet account 0210" in reason and "capital_charges" in reason
