"""The cost definition (docs/methodology.md), enforced: hand-computed drop zone through the pipeline.

GM0363 buys a server of 30 000 on balance-sheet account 0210 and depreciates 6 000 of it on 4650;
its mapping makes both ICT. The benchmark counts the 6 000 capital charges once and refuses the
rule on the balance-sheet account, with its reason.

GM0088 and GM0096 are VAT twins: the same spending, GM0088 booked excluding compensable VAT,
GM0096 including it (21% on hired staff and SaaS, none on own staff and training) and saying so in
its delivery profile. Both come out at own staff 2 000, hired staff 1 000, SaaS 1 000, training
300: 4 300 in total, 8.60 per inhabitant (500 each); GM0096 has 420 of VAT removed.

GM0093 pays 8 000 to the joint arrangement that runs its ICT and 1 000 for its own ICT officer:
8 000 / 9 000 = 0.889 of its ICT cost is a contribution (more than half), so it is flagged and
compared in the peer group shared_service; the band <60k holds the three others only.

Share of total expenditure: GM0363's ledger also pays 54 000 of subsidies (operating account 4700)
and receives 70 000 of general grant (8000, a credit balance: revenue, not expenditure). Total
lasten = 6 000 + 54 000 = 60 000; ICT is 6 000 / 60 000 = 0.1 of it. The CSV twins do not say
which accounts are operating accounts: their share is NULL with the reason.

Replacement at current prices: GM0088's laptop bought in 2021 for 1 000 is due in 2025 (4-year
cycle), within 3 years of 2024; with CPI 2021 = 100 and 2024 = 120 replacing it costs 1 200.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.contract.delivery import delivery_from_path
from pipelines.contract.profile import InvalidProfile, read_profile
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf
from pipelines.readers.ledger_csv import read_ledger_csv
from pipelines.readers.xaf import read_xaf
from tests.conftest import run_benchmark

ACCOUNTS = [
    ("0210", "Investeringen ICT-hardware", "B"),
    ("1100", "Bank", "B"),
    ("4650", "Afschrijving ICT-hardware", "P"),
    ("4700", "Subsidies", "P"),
    ("8000", "Algemene uitkering", "P"),
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
            XafTransaction(
                "MEM",
                "3",
                date(2024, 6, 1),
                "Subsidies en algemene uitkering",
                [
                    XafLine("4700", Decimal("54000.00")),
                    XafLine("1100", Decimal("16000.00")),
                    XafLine("8000", Decimal("-70000.00")),
                ],
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
    (reference / "prijsindex.csv").write_text(
        "Consumentenprijzen; prijsindex 2015=100;;;\n;;;\n"
        "Bestedingscategorieën;Perioden;CPI (2015=100);Jaarmutatie CPI (%)\n"
        "000000 Alle bestedingen;2021;100,00;\n000000 Alle bestedingen;2024;120,00;\n",
        encoding="utf-8",
    )


TWIN_MAPPING = (
    "rekening_van;rekening_tot;kostenplaats;categorie;toelichting\n"
    "4100;;;own_personnel;Salarissen I&A\n"
    "4150;;;hired_personnel;Inhuur ICT\n"
    "4200;;;training;Opleidingen\n"
    "4310;;;saas_cloud;SaaS\n"
)


def twin_ledger(hired: str, saas: str) -> str:
    lines = [("4100", "2.000,00"), ("4150", hired), ("4200", "300,00"), ("4310", saas)]
    rows = [f"31-12-2024;{n};{account};{amount}" for n, (account, amount) in enumerate(lines, 1)]
    rows += [f"31-12-2024;{n};1600;{amount}-" for n, (_, amount) in enumerate(lines, 1)]
    return "boekdatum;boekstuk;rekening;bedrag\n" + "\n".join(rows) + "\n"


def write_drop_zone(data_raw: Path) -> None:
    write_reference(
        data_raw / "reference",
        {
            "GM0363": ("Amsterdam", 1000),
            "GM0088": ("Schiermonnikoog", 500),
            "GM0096": ("Vlieland", 500),
            "GM0093": ("Terschelling", 4000),
        },
    )
    deliveries = data_raw / "deliveries"
    write_server_ledger(deliveries / "GM0363" / "2024" / "ledger.xaf")
    (deliveries / "GM0363" / "account_mapping.csv").write_text(MAPPING, encoding="utf-8")
    for code, hired, saas in (
        ("GM0088", "1.000,00", "1.000,00"),
        ("GM0096", "1.210,00", "1.210,00"),
    ):
        (deliveries / code / "2024").mkdir(parents=True)
        (deliveries / code / "2024" / "ledger.csv").write_text(twin_ledger(hired, saas))
        (deliveries / code / "account_mapping.csv").write_text(TWIN_MAPPING, encoding="utf-8")
    (deliveries / "GM0093" / "2024").mkdir(parents=True)
    (deliveries / "GM0093" / "2024" / "ledger.csv").write_text(
        "boekdatum;boekstuk;rekening;bedrag\n"
        "31-12-2024;1;4910;8.000,00\n31-12-2024;1;4100;1.000,00\n31-12-2024;1;1600;9.000,00-\n"
    )
    (deliveries / "GM0093" / "account_mapping.csv").write_text(
        "rekening_van;rekening_tot;kostenplaats;categorie;toelichting\n"
        "4910;;;shared_service_contribution;Bijdrage GR ICT\n4100;;;own_personnel;ICT-coordinator\n"
    )
    (deliveries / "GM0088" / "2024" / "assets.csv").write_text(
        "asset_id;asset_class;purchase_date;purchase_price;status\n"
        "L-1;laptop;01-03-2021;1.000,00;in gebruik\n"
    )
    (deliveries / "GM0096" / "delivery_profile.yml").write_text(
        "ledger:\n  amounts_include_vat: true\n"
    )


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# -- the readers say which accounts are on the balance sheet ----------------------------------


def test_xaf_lines_carry_the_account_type_of_their_account(tmp_path):
    path = tmp_path / "GM0363" / "2024" / "ledger.xaf"
    write_server_ledger(path)
    rows = read_xaf(delivery_from_path(path)).rows
    pairs = zip(rows["account_code"].to_pylist(), rows["account_type"].to_pylist(), strict=True)
    assert list(pairs) == [
        ("0210", "B"),
        ("1100", "B"),
        ("4650", "P"),
        ("0210", "B"),
        ("4700", "P"),
        ("1100", "B"),
        ("8000", "P"),
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
    assert query(
        built,
        "select account_code, amount from fct_ict_cost_line where municipality_code = 'GM0363'",
    ) == [("4650", Decimal("6000.00"))]


@pytest.mark.slow
def test_a_rule_on_a_balance_sheet_account_is_refused_with_its_reason(built):
    [(row, account, amount, reason)] = query(
        built,
        "select mapping_rule_row, account_code, amount, refused_reason from mapping_rules_refused",
    )
    assert (row, account, amount) == (2, "0210", Decimal("24000.00"))
    assert "balance-sheet account 0210" in reason and "capital_charges" in reason


@pytest.mark.slow
def test_a_vat_inclusive_delivery_and_its_exclusive_twin_give_the_same_figures(built):
    twins = query(
        built,
        "select municipality_code, cost_own_personnel, cost_hired_personnel, cost_saas_cloud, "
        "cost_training, ict_cost_total, ict_cost_per_inhabitant, people_vs_technology_ratio, "
        "vat_basis, vat_removed from ict_benchmark "
        "where municipality_code in ('GM0088', 'GM0096') order by municipality_code",
    )
    same = (
        Decimal("2000.00"),
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("300.00"),
        Decimal("4300.00"),
        Decimal("8.60"),
        3.3,
        "excluding compensable VAT",
    )
    assert twins == [("GM0088", *same, Decimal("0.00")), ("GM0096", *same, Decimal("420.00"))]
    # the lines keep what was delivered beside the basis the figures use
    assert query(
        built,
        "select amount, amount_excl_vat from fct_ict_cost_line "
        "where municipality_code = 'GM0096' and category = 'saas_cloud'",
    ) == [(Decimal("1210.00"), Decimal("1000.00"))]


# -- the delivery profile declares VAT --------------------------------------------------------


def test_the_profile_says_whether_ledger_amounts_include_vat(tmp_path):
    profile = tmp_path / "delivery_profile.yml"
    profile.write_text("ledger:\n  amounts_include_vat: ja\n")
    assert read_profile(profile).for_kind("ledger").amounts_include_vat is True
    profile.write_text("ledger:\n  columns: {amount: Bedrag}\n")
    assert read_profile(profile).for_kind("ledger").amounts_include_vat is False


@pytest.mark.parametrize(
    "text",
    ["ledger:\n  amounts_include_vat: soms\n", "assets:\n  amounts_include_vat: true\n"],
)
def test_a_vat_declaration_that_is_not_yes_or_no_or_not_for_a_ledger_is_refused(tmp_path, text):
    profile = tmp_path / "delivery_profile.yml"
    profile.write_text(text)
    with pytest.raises(InvalidProfile):
        read_profile(profile)


@pytest.mark.slow
def test_a_shared_service_municipality_lands_in_a_peer_group_of_its_own(built):
    [(flag, share, group, band)] = query(
        built,
        "select is_shared_service_municipality, shared_service_share, peer_group, size_band "
        "from ict_benchmark where municipality_code = 'GM0093'",
    )
    assert (flag, round(share, 3), group, band) == (True, 0.889, "shared_service", "<60k")
    assert query(
        built,
        "select municipality_code, peer_group from ict_benchmark "
        "where not is_shared_service_municipality order by 1",
    ) == [("GM0088", "<60k"), ("GM0096", "<60k"), ("GM0363", "<60k")]
    groups = query(
        built,
        "select peer_group_type, peer_group, municipalities_in_group from peer_benchmark "
        "where kpi = 'ict_cost_per_inhabitant' and boundaries = 'as_reported' "
        "and peer_group_type in ('benchmark_band', 'structure', 'national') order by all",
    )
    assert groups == [
        ("benchmark_band", "<60k", 3),
        ("national", "national", 4),
        ("structure", "G4", 1),
        ("structure", "shared_service", 1),
        ("structure", "wadden", 3),
    ]


@pytest.mark.slow
def test_ict_cost_as_a_share_of_total_expenditure(built):
    rows = query(
        built,
        "select municipality_code, total_expenditure, ict_cost_share_of_expenditure, "
        "ict_cost_share_of_expenditure_quality_reason from ict_benchmark "
        "where municipality_code in ('GM0363', 'GM0088') order by 1",
    )
    assert rows[1] == ("GM0363", Decimal("60000.00"), 0.1, None)
    assert rows[0][:3] == ("GM0088", None, None)
    assert "does not say which accounts are operating accounts" in rows[0][3]


@pytest.mark.slow
def test_replacement_spend_at_current_prices(built):
    assert query(
        built,
        "select replacement_spend_due_3_years, replacement_spend_due_3_years_current_prices "
        "from ict_benchmark where municipality_code = 'GM0088'",
    ) == [(Decimal("1000.00"), Decimal("1200.00"))]
