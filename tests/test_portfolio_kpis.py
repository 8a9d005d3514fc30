"""The application portfolio and regie, hand-computed on two municipalities, through a real run.

GM0363 (1,000 inhabitants; ledger: software licences 10,000 + SaaS 4,000) delivers a register of
ten applications and HR records with roles; GM0088 (500 inhabitants; ledger: licences 2,500)
delivers two applications and HR records without a role column. Every expected figure below is
worked out by hand in the comment beside it.
"""

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_benchmark

pytestmark = pytest.mark.slow

HEADER = (
    "Applicatie;Leverancier;Versie;GEMMA referentiecomponent;Hosting;Licentiekosten per jaar;"
    "Aantal gebruikers;Afdeling;Einddatum contract;Status"
)
GM0363_APPLICATIONS = [
    # in use (8): rows 1-5 and 8-10
    "Key2Burgerzaken;Centric;5.2;Burgerzakencomponent;On-premises;4.000,00;40;Publiekszaken;31-12-2026;In gebruik",
    "iBurgerzaken;PinkRoccade;3.1;Burgerzakencomponent;SaaS;3.000,00;20;Publiekszaken;30-06-2024;Uitfaseren",
    "Decos JOIN;Decos;2024;Generiek zaakafhandelcomponent;SaaS;5.000,00;200;I&A;31-12-2027;In gebruik",
    "Microsoft 365;Microsoft;;Kantoorautomatiseringcomponent;SaaS;2.000,00;;I&A;31-12-2025;In gebruik",
    "TOPdesk;TOPdesk;;Helpdeskcomponent;Gehost;;30;I&A;;In gebruik",
    # not in use: phased out (an old GEMMA-1 name, unknown) and planned
    "Oud zaaksysteem;Centric;1.0;Zaaksysteem;On-premises;1.000,00;10;I&A;31-12-2023;Uitgefaseerd",
    "Mozard;Mozard;;Generiek zaakafhandelcomponent;;;;I&A;;Gepland",
    "Suite4Sociaal Domein;Centric;;Inkomenscomponent;Gehost;2.500,00;25;Sociaal domein;31-12-2025;In gebruik",
    "iBabs;iBabs;;Raadsinformatiesysteem;SaaS;1.200,00;15;Griffie;31-12-2025;In gebruik",
    "Squit20;Roxit;;Vergunning- Toezicht- en Handhavingcomponent fysieke leefomgeving;On-premises;800,00;12;VTH;31-12-2025;In gebruik",
]
GM0088_APPLICATIONS = [
    "Key2Burgerzaken;Centric;;Burgerzakencomponent;On-premises;1.500,00;5;Publiekszaken;31-12-2025;In gebruik",
    "Exact Online;Exact;;Financieel component;SaaS;1.000,00;4;Financien;31-12-2025;In gebruik",
]
TRAINING_HEADER = "Personeelsnummer;Afdeling;FTE;Rol;Opleiding;Categorie;Uren;Kosten;Datum"
GM0363_TRAINING = [
    "1001;I&A;1,0;Informatiemanagement;Architectuur;ICT;16;800,00;10-03-2024",
    "1002;I&A;0,8;Functioneel beheer;;;;;",
    "1003;I&A;1,0;ICT-beheer;ITIL 4 Foundation;ICT;21;1.450,00;01-02-2024",
    "1004;I&A;0,6;ICT-beheer;;;;;",
    "1005;Burgerzaken;1,0;;;;;;",
    "1006;Juridische zaken;0,6;Privacy;;;;;",
]
GM0088_TRAINING = [
    "2001;Bedrijfsvoering;1,0;Excel;Other;8;300,00;05-05-2024",
    "2002;Publiekszaken;0,5;;;;;",
]


def write(path, header, rows):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def published(tmp_path_factory, dbt_manifest) -> Path:
    import shutil

    from tests.conftest import FIXTURES

    root = tmp_path_factory.mktemp("portfolio")
    data_raw = root / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    deliveries = data_raw / "deliveries"
    write(deliveries / "GM0363/2024/applications.csv", HEADER, GM0363_APPLICATIONS)
    write(deliveries / "GM0088/2024/applications.csv", HEADER, GM0088_APPLICATIONS)
    write(deliveries / "GM0363/2024/training.csv", TRAINING_HEADER, GM0363_TRAINING)
    write(
        deliveries / "GM0088/2024/training.csv",
        "Personeelsnummer;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum",
        GM0088_TRAINING,
    )
    result = run_benchmark(data_raw, root / "warehouse")
    assert result.success
    return root / "warehouse" / "benchmark.duckdb"


@pytest.fixture(scope="module")
def mart(published):
    with duckdb.connect(str(published), read_only=True) as connection:
        yield connection


def row(mart, code: str) -> dict:
    cursor = mart.execute(
        "select * from portfolio_benchmark where municipality_code = ? and fiscal_year = 2024",
        [code],
    )
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def test_gm0363_portfolio_figures(mart):
    r = row(mart, "GM0363")
    assert r["applications_listed"] == 10
    assert r["applications_in_use"] == 8  # in use or being phased out
    assert (r["applications_planned"], r["applications_phased_out"]) == (1, 1)
    assert r["applications_per_10k_inhabitants"] == pytest.approx(80.0)  # 8 x 10,000 / 1,000
    assert r["fte"] == pytest.approx(5.0)  # 1 + 0.8 + 1 + 0.6 + 1 + 0.6
    assert r["applications_per_100_fte"] == pytest.approx(160.0)  # 8 x 100 / 5
    # SaaS: iBurgerzaken, Decos JOIN, Microsoft 365, iBabs of 8 with a known hosting
    assert r["saas_share_of_applications"] == pytest.approx(4 / 8)
    # 4,000 + 3,000 + 5,000 + 2,000 + 2,500 + 1,200 + 800 (TOPdesk has no cost)
    assert r["licence_cost_in_use"] == Decimal("18500.00")
    assert r["saas_share_of_licence_cost"] == pytest.approx(11_200 / 18_500)
    assert r["licence_cost_per_application"] == Decimal("2642.86")  # 18,500 / 7
    # with users and a cost: 16,500 over 40 + 20 + 200 + 25 + 15 + 12 = 312 users
    assert r["licence_cost_per_user"] == Decimal("52.88")
    # Burgerzakencomponent: Key2Burgerzaken and iBurgerzaken (Mozard is only planned)
    assert (r["overlapping_components"], r["applications_in_overlap"]) == (1, 2)
    assert r["applications_phasing_out"] == 1
    assert r["contracts_ended"] == 1  # iBurgerzaken, 30-06-2024, still in use
    # Centric 6,500, Decos 5,000, PinkRoccade 3,000, Microsoft 2,000, iBabs 1,200 (Roxit 800 not)
    assert r["top5_supplier_share"] == pytest.approx(17_700 / 18_500)
    assert r["ledger_software_cost"] == Decimal("14000.00")
    assert r["licence_register_to_ledger_ratio"] == pytest.approx(18_500 / 14_000)
    assert r["licence_reconciliation"] == "register_above_ledger"  # 32% > 20%
    assert r["applications_with_unknown_component"] == 1  # iBabs: Raadsinformatiesysteem
    assert r["applications_without_cost"] == 1


def test_gm0363_regie_figures(mart):
    r = row(mart, "GM0363")
    # regie: information management 1.0 + functional management 0.8 + privacy 0.6
    assert r["regie_fte"] == pytest.approx(2.4)
    assert r["ict_operations_fte"] == pytest.approx(1.6)  # 1.0 + 0.6
    assert r["regie_fte_per_1000_inhabitants"] == pytest.approx(2.4)
    assert r["ict_operations_fte_per_1000_inhabitants"] == pytest.approx(1.6)
    assert r["regie_to_operations_ratio"] == pytest.approx(1.5)
    assert r["regie_fte_per_1000_inhabitants_quality"] == "complete"


def test_gm0088_portfolio_and_missing_roles(mart):
    r = row(mart, "GM0088")
    assert r["applications_in_use"] == 2
    assert r["applications_per_10k_inhabitants"] == pytest.approx(40.0)  # 2 x 10,000 / 500
    assert r["applications_per_100_fte"] == pytest.approx(2 * 100 / 1.5)
    assert r["saas_share_of_applications"] == pytest.approx(0.5)
    assert r["saas_share_of_licence_cost"] == pytest.approx(1_000 / 2_500)
    assert r["licence_cost_per_application"] == Decimal("1250.00")
    assert r["licence_cost_per_user"] == Decimal("277.78")  # 2,500 / 9
    assert r["overlapping_components"] == 0
    assert r["top5_supplier_share"] == pytest.approx(1.0)
    assert r["licence_register_to_ledger_ratio"] == pytest.approx(1.0)
    assert r["licence_reconciliation"] == "within_tolerance"
    # no role column: the regie figures are missing, and say why
    assert r["regie_fte_per_1000_inhabitants"] is None
    assert r["regie_fte_per_1000_inhabitants_quality"] == "missing"
    assert "no ICT roles" in r["regie_fte_per_1000_inhabitants_quality_reason"]
    assert r["regie_to_operations_ratio_quality"] == "missing"


def test_overlap_candidates_and_unknown_components_are_listed(mart):
    overlap = mart.execute(
        "select municipality_code, component_name, gemma_domain, applications_in_use, "
        "application_names, licence_cost from application_overlap"
    ).fetchall()
    assert overlap == [
        (
            "GM0363",
            "Burgerzakencomponent",
            "Uitvoering Publieksdiensten",
            2,
            "Key2Burgerzaken; iBurgerzaken",
            Decimal("7000.00"),
        )
    ]
    unknown = mart.execute(
        "select application_name, unknown_components, lifecycle_status from fct_application "
        "where not is_known_component order by application_name"
    ).fetchall()
    assert unknown == [
        ("Oud zaaksysteem", "Zaaksysteem", "phased_out"),
        ("iBabs", "Raadsinformatiesysteem", "in_use"),
    ]


def test_new_kpis_have_peer_statistics(mart):
    kpis = {k for (k,) in mart.execute("select distinct kpi from peer_benchmark").fetchall()}
    assert {
        "applications_per_10k_inhabitants",
        "applications_per_100_fte",
        "saas_share_of_applications",
        "saas_share_of_licence_cost",
        "licence_cost_per_application",
        "licence_cost_per_user",
        "overlapping_components",
        "applications_phasing_out",
        "contracts_ended",
        "top5_supplier_share",
        "licence_register_to_ledger_ratio",
        "regie_fte_per_1000_inhabitants",
        "ict_operations_fte_per_1000_inhabitants",
        "regie_to_operations_ratio",
    } <= kpis
    # two municipalities in one band: fewer than five, so the statistics are suppressed
    suppressed = mart.execute(
        "select bool_and(is_suppressed) from peer_benchmark "
        "where kpi = 'applications_per_10k_inhabitants' and peer_group_type = 'benchmark_band'"
    ).fetchone()[0]
    assert suppressed


def test_report_shows_the_section(published, tmp_path):
    from pipelines.report.site import write_page

    page = write_page(published, "GM0363", 2024, tmp_path / "page.html", "nl").read_text()
    section = page[page.index('id="portfolio"') : page.index('id="quality"')]
    assert "Regie en applicatielandschap" in section
    # two municipalities: no peer median anywhere, so the question cannot be answered, and why
    assert "is niet te zeggen" in section
    assert "2,40 fte regie per 1.000 inwoners (mediaan geen vergelijking)" in section
    assert "80,00 applicaties per 10.000 inwoners" in section
    assert "Burgerzakencomponent" in section and "Key2Burgerzaken; iBurgerzaken" in section
    assert "Applicaties per GEMMA-domein" in section and "<svg" in section
    assert "€ 18.500" in section and "€ 14.000" in section  # the reconciliation, above the ledger
    # the people-versus-technology view shows regie and operations
    people = page[page.index('id="people"') : page.index('id="portfolio"')]
    assert (
        "Fte regie per 1.000 inwoners" in people and "Fte ICT-beheer per 1.000 inwoners" in people
    )


def figure(value, median):
    from pipelines.report.portfolio import Figure

    return Figure("k", "number", value, median, "<60k", "complete", None)


@pytest.mark.parametrize(
    ("regie", "people", "expected"),
    [
        ((2.0, 1.0), (1.0, 1.0), "people"),  # regie above, money in line
        ((2.0, 1.0), (2.0, 1.0), "people"),
        ((0.5, 1.0), (0.5, 1.0), "technology"),
        ((1.0, 1.0), (0.5, 1.0), "technology"),
        ((1.05, 1.0), (0.95, 1.0), "balanced"),  # within 10% of the median
        ((2.0, 1.0), (0.5, 1.0), "mixed"),
        ((None, 1.0), (2.0, 1.0), "unknown"),  # no roles delivered
        ((2.0, None), (2.0, 1.0), "unknown"),  # no peers to compare with
    ],
)
def test_the_articles_question_is_answered_from_both_comparisons(regie, people, expected):
    from pipelines.report.portfolio import answer

    assert answer(figure(*regie), figure(*people)) == expected
