"""Application portfolios in the layouts municipalities keep them in (pipelines/readers/
application_portfolio.py), read and checked by the real reader, suite and load decision."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import dagster as dg
import openpyxl
import pyarrow.parquet as pq
import pytest

from pipelines.contract.delivery import Delivery, delivery_from_path
from pipelines.contract.errors import WrongLayout
from pipelines.contract.kinds import kind
from pipelines.contract.profile import read_profile
from pipelines.contract.schemas import APPLICATION_SCHEMA
from pipelines.defs.ingest.assets import ingest_asset, load_results
from pipelines.defs.ingest.partitions import deliveries_partitions
from pipelines.defs.resources import build_resources
from pipelines.ingest.check import CheckOptions, LoadPolicy, check_delivery
from pipelines.ingest.profile_suggest import suggest
from pipelines.ingest.store import landed_rows
from pipelines.readers.application_portfolio import read_application_portfolio
from pipelines.settings import Paths

DEMO_HEADER = (
    "Applicatie;Leverancier;Versie;GEMMA referentiecomponent;Hosting;Licentiekosten per jaar;"
    "Aantal gebruikers;Afdeling;Einddatum contract;Status"
)
DEMO_ROWS = [
    "Zaaksysteem;Centric;5.2;Zaaksysteem;SaaS;12.345,67;250;Dienstverlening;31-12-2025;In gebruik",
    "Key2Burgerzaken;Centric;2023;Burgerzakensysteem;Gehost;48.000,00;40;Burgerzaken;"
    "30-06-2026;Uitfaseren",
    "Suite4Sociaal Domein;Centric;;Sociaal domein systeem;On-premises;95.000,-;120;Sociaal domein;"
    "01-01-2024;Uitgefaseerd",
]
LENIENT = LoadPolicy(max_quarantined_row_share=0.5)


def deliver(tmp_path: Path, content: str | bytes, name: str = "applications.csv") -> Delivery:
    path = tmp_path / "deliveries" / "GM0363" / "2024" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return delivery_from_path(path)


def csv(header: str, *rows: str) -> str:
    return "".join(f"{line}\n" for line in (header, *rows))


def deliver_xlsx(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> Delivery:
    path = tmp_path / "deliveries" / "GM0363" / "2024" / "applications.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return delivery_from_path(path)


def check(delivery: Delivery, policy: LoadPolicy = LENIENT, profile=None):
    return check_delivery(delivery, CheckOptions(policy=policy, profile=profile))


def column(checked, name: str) -> list:
    return checked.accepted.column(name).to_pylist()


def rules_of(checked) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for problem in checked.result.problems:
        found.setdefault(problem["row"], []).append(problem["rule"])
    return found


def test_the_demo_layout_lands_with_codes_amounts_and_dates(tmp_path: Path):
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, *DEMO_ROWS)))
    assert checked.result.status == "accepted", checked.result.message
    assert checked.accepted.schema == APPLICATION_SCHEMA
    assert column(checked, "hosting") == ["saas", "private_cloud", "on_premises"]
    assert column(checked, "lifecycle_status") == ["in_use", "phasing_out", "phased_out"]
    assert column(checked, "licence_cost") == [
        Decimal("12345.67"),
        Decimal("48000.00"),
        Decimal("95000.00"),
    ]
    assert column(checked, "users") == [250, 40, 120]
    assert column(checked, "contract_end_date")[0] == dt.date(2025, 12, 31)
    assert column(checked, "gemma_components")[0] == ["Zaaksysteem"]
    assert column(checked, "version") == ["5.2", "2023", None]
    assert column(checked, "source_row") == [2, 3, 4]
    assert column(checked, "source_file") == ["GM0363/2024/applications.csv"] * 3


def test_a_gemma_softwarecatalogus_export_in_windows_1252(tmp_path: Path):
    """The "Mijn pakketoverzicht" export of the Applicatielandschap, saved by Dutch Excel."""
    text = csv(
        "Leverancier Naam;Pakket Naam;Pakketversie Naam;Referentiecomponenten gemeente;"
        "Technologie;Status gebruik;Organisatieonderdeel",
        "PinkRoccade;iBurgerzaken;3.1;Burgerzakensysteem;On-premise;In gebruik;Publiekszaken",
        "Visma|Raet;Youforce;2024;Personeelsinformatiesysteem | Salarisadministratiesysteem;"
        "SaaS;In gebruik;P&O",
        "Enable-U;Omgevingsloket;;Zaakafhandelcomponent;Cloud;Gepland;Ruimte & Économie",
    )
    delivery = deliver(tmp_path, text.encode("cp1252"))
    checked = check(delivery)
    assert checked.result.status == "accepted", checked.result.message
    assert any("read as Windows-1252" in note for note in checked.result.notes)
    assert column(checked, "application_name") == ["iBurgerzaken", "Youforce", "Omgevingsloket"]
    assert column(checked, "supplier")[1] == "Visma|Raet"  # only components are lists
    assert column(checked, "gemma_components")[1] == [
        "Personeelsinformatiesysteem",
        "Salarisadministratiesysteem",
    ]
    assert column(checked, "lifecycle_status") == ["in_use", "in_use", "planned"]
    assert column(checked, "department")[2] == "Ruimte & Économie"
    # the file has no cost, users or contract column: every row lands with those gaps
    assert column(checked, "licence_cost") == [None] * 3
    assert column(checked, "gaps")[0] == [
        "licence_cost_missing",
        "users_missing",
        "contract_end_date_missing",
    ]
    assert any(
        "no column for licence_cost, users, contract_end_date" in n for n in checked.result.notes
    )


def test_a_topdesk_cmdb_export_with_english_headers(tmp_path: Path):
    text = csv(
        "Name;Vendor;Version;Reference component;Hosting model;Annual licence cost;"
        "Number of users;Department;Contract end date;Lifecycle status;Application owner;"
        "Email",
        "JOIN Zaak & Document;Exxellence;2024.2;Zaaksysteem;Software as a Service;"
        "€ 23.400,00;310;Information management;2026-03-31;Active;J. de Vries;"
        "j.devries@gm0363.example",
        "GovRoam;SURF;;;Private cloud;0,00;900;ICT;;Phasing out;P. Bakker;p.bakker@gm0363.example",
    )
    checked = check(deliver(tmp_path, text))
    assert checked.result.status == "accepted", checked.result.message
    assert column(checked, "hosting") == ["saas", "private_cloud"]
    assert column(checked, "lifecycle_status") == ["in_use", "phasing_out"]
    assert column(checked, "licence_cost") == [Decimal("23400.00"), Decimal("0.00")]
    assert column(checked, "contract_end_date") == [dt.date(2026, 3, 31), None]
    assert column(checked, "gaps")[1] == ["contract_end_date_missing", "gemma_component_missing"]


def test_an_owner_column_with_names_is_dropped_and_never_stored(tmp_path: Path):
    text = csv(
        DEMO_HEADER + ";Applicatiebeheerder;Functioneel beheerder (naam);Opmerking",
        DEMO_ROWS[0] + ";Jan Jansen;Piet Pietersen;bel Jan Jansen 06-12345678",
        # a bad row, so the quarantine file holds its original text too
        "Verseon;Circle;;;SaaS;1.000,00;12;Griffie;;Weg;Karin Klaassen;K. Klaassen;",
    )
    parsed = read_application_portfolio(deliver(tmp_path, text))
    everything = "\n".join(
        [
            str(parsed.notes),
            str(parsed.row_problems),
            str(parsed.rows.to_pylist()),
            str(parsed.raw.column_names),
            str(parsed.raw.to_pylist()),
        ]
    )
    for secret in ("Jansen", "Pietersen", "Klaassen", "06-12345678"):
        assert secret not in everything
    assert (
        "columns with personal data dropped, never stored: `Applicatiebeheerder`, "
        "`Functioneel beheerder (naam)`" in parsed.notes
    )
    checked = check(parsed.delivery)
    assert checked.result.status == "partially_accepted"
    quarantined = checked.quarantine.to_pylist()
    assert "Klaassen" not in str(quarantined) and "Weg" in quarantined[-1]["original"]


def test_title_rows_above_the_header_and_a_cover_sheet(tmp_path: Path):
    cover = [["Applicatielandschap gemeente Amsterdam"], ["Peildatum: 31-12-2024"]]
    sheet = [
        ["Export Applicatielandschap"],
        [],
        DEMO_HEADER.split(";"),
        [
            "Zaaksysteem",
            "Centric",
            "5.2",
            "Zaaksysteem\nDocumentmanagementsysteem",
            "SaaS",
            12345.67,
            250,
            "Dienstverlening",
            dt.datetime(2025, 12, 31),
            "In gebruik",
        ],
    ]
    checked = check(deliver_xlsx(tmp_path, {"Voorblad": cover, "Applicaties": sheet}))
    assert checked.result.status == "accepted", checked.result.message
    assert "header found on row 3; rows above it skipped" in checked.result.notes
    assert column(checked, "source_row") == [4]
    assert column(checked, "gemma_components") == [["Zaaksysteem", "Documentmanagementsysteem"]]
    assert column(checked, "licence_cost") == [Decimal("12345.67")]
    assert column(checked, "contract_end_date") == [dt.date(2025, 12, 31)]


def test_every_soft_field_missing_lands_with_its_gaps(tmp_path: Path):
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, "Mozard;Mozard;;;;;;;;In gebruik")))
    assert checked.result.status == "accepted"
    assert checked.result.rows_with_gaps == 1
    assert column(checked, "gaps") == [
        sorted(
            [
                "gemma_component_missing",
                "hosting_missing",
                "licence_cost_missing",
                "users_missing",
                "contract_end_date_missing",
            ]
        )
    ]
    assert column(checked, "gemma_components") == [None]  # staging makes it []
    [landed] = checked.quarantine.to_pylist()  # listed, as landed, with its reasons
    assert landed["landed"] and "column `Hosting`: empty" in " ".join(landed["reasons"])


def test_an_unknown_hosting_word_is_left_out_and_named(tmp_path: Path):
    row = DEMO_ROWS[0].replace(";SaaS;", ";Mainframe bij Centric;")
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, row)))
    assert checked.result.status == "accepted"
    assert column(checked, "hosting") == [None]
    assert column(checked, "gaps") == [["hosting_unknown"]]
    assert (
        "column `Hosting`: unknown kinds of hosting left out (map them in the delivery profile): "
        "'Mainframe bij Centric' (1)" in checked.result.notes
    )


def test_several_components_in_one_cell(tmp_path: Path):
    cell = '" Zaaksysteem ; Documentmanagementsysteem|Archiefsysteem ;"'
    row = DEMO_ROWS[0].replace(";Zaaksysteem;SaaS;", f";{cell};SaaS;")
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, row)))
    assert column(checked, "gemma_components") == [
        ["Zaaksysteem", "Documentmanagementsysteem", "Archiefsysteem"]
    ]


def test_components_separated_by_commas_as_the_softwarecatalogus_writes_them(tmp_path: Path):
    cell = '"Burgerzakencomponent, Baliecomponent,GBA-administratiecomponent"'
    row = DEMO_ROWS[0].replace(";Zaaksysteem;SaaS;", f";{cell};SaaS;")
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, row)))
    assert column(checked, "gemma_components") == [
        ["Burgerzakencomponent", "Baliecomponent", "GBA-administratiecomponent"]
    ]


def test_a_negative_licence_cost_is_left_out_with_the_rule(tmp_path: Path):
    row = DEMO_ROWS[0].replace("12.345,67", "-12.345,67")
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, row, *DEMO_ROWS[1:])))
    assert checked.result.status == "accepted"
    assert column(checked, "licence_cost")[0] is None
    assert column(checked, "gaps")[0] == ["licence_cost_plausible"]
    assert rules_of(checked) == {2: ["licence_cost_plausible"]}


def test_no_name_or_no_known_status_quarantines_the_row_naming_file_row_and_column(
    tmp_path: Path,
):
    text = csv(
        DEMO_HEADER,
        *DEMO_ROWS,
        ";Centric;1;Zaaksysteem;SaaS;1,00;1;X;31-12-2025;In gebruik",
        "Excel;Microsoft;365;Kantoorapplicatie;SaaS;1,00;1;X;31-12-2025;",
        "Word;Microsoft;365;Kantoorapplicatie;SaaS;1,00;1;X;31-12-2025;Kwijt",
    )
    checked = check(deliver(tmp_path, text))
    assert checked.result.status == "partially_accepted"
    assert column(checked, "source_row") == [2, 3, 4]
    assert rules_of(checked) == {
        5: ["application_name_missing"],
        6: ["lifecycle_status_missing"],
        7: ["lifecycle_status_unknown"],
    }
    assert checked.result.message == (
        "GM0363/2024/applications.csv: 3 row(s) quarantined, first: column `Applicatie`: empty; "
        "every row needs the application (row 5)"
    )
    word = next(p for p in checked.result.problems if p["row"] == 7)
    assert (word["file"], word["column"]) == ("GM0363/2024/applications.csv", "Status")
    assert "'Kwijt' is not a known lifecycle status" in word["message"]


def test_a_duplicate_row_is_quarantined_and_the_first_lands(tmp_path: Path):
    again = DEMO_ROWS[0].replace("Zaaksysteem;Centric;5.2", "ZAAKSYSTEEM ;Centric;5.2")
    other_version = DEMO_ROWS[0].replace(";5.2;", ";6.0;")
    checked = check(deliver(tmp_path, csv(DEMO_HEADER, *DEMO_ROWS, again, other_version)))
    assert column(checked, "source_row") == [2, 3, 4, 6]
    [problem] = checked.result.problems
    assert (problem["row"], problem["rule"]) == (5, "application_duplicate")
    assert "the same application, version and department as row 2" in problem["message"]


def test_a_file_without_a_status_column_is_rejected_with_the_accepted_names(tmp_path: Path):
    header = DEMO_HEADER.replace(";Status", ";Toestand")
    with pytest.raises(WrongLayout, match="required column `lifecycle_status` is missing"):
        read_application_portfolio(deliver(tmp_path, csv(header, *DEMO_ROWS)))


def test_a_delivery_profile_maps_own_headers_and_words(tmp_path: Path):
    text = csv(
        "Systeem;Soort hosting;Levensfase;Kosten (EUR);Gebruikt door",
        "Decos JOIN;Bij leverancier;Productief;1.000,00;Burgerzaken",
        "Squit XO;Rekencentrum;Afbouwen;2.000,00;Financien",
    )
    delivery = deliver(tmp_path, text)
    profile_path = tmp_path / "deliveries" / "GM0363" / "delivery_profile.yml"
    profile_path.write_text(
        "applications:\n"
        "  columns:\n"
        "    application_name: Systeem\n"
        "    hosting: Soort hosting\n"
        "    lifecycle_status: Levensfase\n"
        "    licence_cost: Kosten (EUR)\n"
        "    department: Gebruikt door\n"
        "  values:\n"
        "    hosting: {Bij leverancier: saas, Rekencentrum: private_cloud}\n"
        "    lifecycle_status: {Productief: in_use, Afbouwen: phasing_out}\n",
        encoding="utf-8",
    )
    profile = read_profile(profile_path).for_kind("applications")
    checked = check(delivery, profile=profile)
    assert checked.result.status == "accepted", checked.result.message
    assert column(checked, "hosting") == ["saas", "private_cloud"]
    assert column(checked, "lifecycle_status") == ["in_use", "phasing_out"]
    assert column(checked, "department") == ["Burgerzaken", "Financien"]


def test_profile_suggest_proposes_the_unknown_words(tmp_path: Path):
    row = DEMO_ROWS[0].replace(";SaaS;", ";SaaS-dienst;").replace(";In gebruik", ";Kwijt")
    delivery = deliver(tmp_path, csv(DEMO_HEADER, row))
    [proposal] = suggest([delivery.path]).kinds
    assert proposal.kind == "applications"
    words = {(u.column, u.word): u.code for u in proposal.unknown}
    assert words == {("hosting", "SaaS-dienst"): "saas", ("lifecycle_status", "Kwijt"): None}


def test_an_applications_file_lands_through_dagster_and_a_bad_row_is_quarantined(
    tmp_path: Path,
):
    data_raw = tmp_path / "data_raw"
    folder = data_raw / "deliveries" / "GM0363" / "2024"
    folder.mkdir(parents=True)
    bad = "Onbekend pakket;Centric;1;Zaaksysteem;SaaS;1,00;1;X;31-12-2025;Kwijt"
    (folder / "applications.csv").write_text(csv(DEMO_HEADER, *DEMO_ROWS, bad), encoding="utf-8")
    paths = Paths(data_raw, tmp_path / "warehouse")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(deliveries_partitions.name, ["GM0363-2024"])
    asset = ingest_asset(kind("applications"))
    config = {"workers": 1, "max_quarantined_row_share": 0.5}
    result = dg.materialize(
        [asset],
        partition_key="GM0363-2024",
        instance=instance,
        resources=build_resources(paths),
        run_config={"ops": {"application_portfolios": {"config": config}}},
    )
    assert result.success
    assert dg.materialize(
        [load_results], instance=instance, resources=build_resources(paths)
    ).success

    key = "GM0363_2024_applications"
    landed = pq.read_table(paths.landing / "applications" / f"{key}.parquet")
    # the reader's schema, with the fields the suite requires a value in declared required
    assert (
        landed.schema.remove_metadata()
        == landed_rows(APPLICATION_SCHEMA.empty_table(), "applications").schema
    )
    assert landed.column("source_row").to_pylist() == [2, 3, 4]
    [quarantined] = pq.read_table(paths.quarantine / "applications" / f"{key}.parquet").to_pylist()
    assert (quarantined["source_row"], quarantined["rules"]) == (5, ["lifecycle_status_unknown"])
    assert json.loads(quarantined["original"])["Applicatie"] == "Onbekend pakket"
    assert "'Kwijt' is not a known lifecycle status" in quarantined["reasons"][0]
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["accounting_closes"].passed
    [slot] = pq.read_table(paths.landing / "load_results.parquet").to_pylist()
    assert (slot["status"], slot["rows_read"], slot["rows_landed"]) == ("partially_accepted", 4, 3)
