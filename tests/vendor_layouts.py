"""Exports in layouts the demo generator does not write: the headers, sheets and words of other
vendors' asset registers, HR systems and financial packages, with the delivery profile that
lands each of them completely.

Each layout gives its header, its rows as the export writes them (text, or cell values for a
workbook), the profile section a municipality would write for it, and what must land. Columns
and words the built-in vocabularies already know are mostly left out of the profile: a profile need only
say what is the municipality's own (a few name a header the built-ins learned later; harmless).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import yaml


@dataclass(frozen=True)
class Layout:
    name: str
    kind: str  # assets | training | ledger
    header: list[str]
    rows: list[list[object]]
    profile: dict  # the profile section for this kind
    expected: dict  # canonical column -> the values that must land, in row order
    suffix: str = ".csv"
    title_rows: list[list[object]] = field(default_factory=list)  # above the header (xlsx)
    sheet: str | None = None  # the register's sheet when the workbook has a cover sheet
    encoding: str = "utf-8"

    @property
    def file_name(self) -> str:
        return f"{self.kind}{self.suffix}"

    def write(self, drop_zone: Path, code: str = "GM0363", year: int = 2024) -> Path:
        """The export in `deliveries/<code>/<year>/` and its profile beside the year folders."""
        municipality = drop_zone / code
        path = municipality / str(year) / self.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.suffix == ".xlsx":
            workbook = openpyxl.Workbook()
            if self.sheet:
                workbook.active.title = "Toelichting"
                workbook.active.append(["Export van het objectbeheer; zie het tabblad ernaast."])
                sheet = workbook.create_sheet(self.sheet)
            else:
                sheet = workbook.active
            for row in [*self.title_rows, self.header, *self.rows]:
                sheet.append(row)
            workbook.save(path)
        else:
            lines = [";".join(self.header)] + [";".join(str(v) for v in row) for row in self.rows]
            path.write_bytes(("\r\n".join(lines) + "\r\n").encode(self.encoding))
        (municipality / "delivery_profile.yml").write_text(
            yaml.safe_dump({self.kind: self.profile}, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        return path

    @property
    def identifier(self) -> str:
        return {"assets": "asset_id", "training": "employee_id", "ledger": "account_code"}[
            self.kind
        ]


ASSETS = [
    Layout(
        name="TOPdesk Assetbeheer, templates as device kinds",
        kind="assets",
        header=[
            "Naam",
            "Sjabloon",
            "Datum van aanschaf",
            "Aanschafprijs (€)",
            "Gebruiksstatus",
            "Budgethouder",
        ],
        rows=[
            ["WP-00412", "Windows werkplek", "12-03-2021", "€ 845,00", "In gebruik", "I&A"],
            ["NB-01877", "Dell Latitude", "02-11-2023", "€ 1.120,50", "Uitgeleend", "Burgerzaken"],
            ["SRV-0031", "VMware host", "15-06-2020", "€ 18.400,00", "In gebruik", "I&A"],
            ["MFP-0009", "Multifunctional", "01-02-2019", "€ 3.250,00", "Afgevoerd", "Facilitair"],
        ],
        profile={
            "columns": {
                "asset_id": "Naam",
                "asset_class": "Sjabloon",
                "purchase_date": "Datum van aanschaf",
                "cost_centre": "Budgethouder",
            },
            "values": {
                "asset_class": {
                    "Windows werkplek": "desktop",
                    "Dell Latitude": "laptop",
                    "VMware host": "server",
                },
                "status": {"Uitgeleend": "in_use"},
            },
        },
        expected={
            "asset_class": ["desktop", "laptop", "server", "printer"],
            "status": ["in_use", "in_use", "in_use", "retired"],
            "cost_centre": ["I&A", "Burgerzaken", "I&A", "Facilitair"],
        },
    ),
    Layout(
        name="Lansweeper, its own asset types and states",
        kind="assets",
        header=["AssetName", "Assettype", "Purchasedate", "Price", "State", "Domain"],
        rows=[
            ["GM-LT-0412", "Windows", "2022-04-19 10:31:07", "1099,00", "Active", "GEMEENTE"],
            ["GM-SW-CORE1", "Switch", "2019-09-30 00:00:00", "7420,00", "Active", "GEMEENTE"],
            ["GM-LT-0100", "Windows", "2018-01-15 00:00:00", "980,00", "Old", "GEMEENTE"],
            ["GM-NAS-01", "NAS", "2021-12-01 00:00:00", "5600,00", "Stored", "GEMEENTE"],
            ["GM-ESX-02", "VMware host", "2020-05-05 00:00:00", "15250,00", "Active", "GEMEENTE"],
        ],
        profile={
            "values": {
                "asset_class": {"Windows": "laptop", "VMware host": "server"},
                "status": {"Old": "retired", "Stored": "in_stock"},
            },
        },
        expected={
            "asset_class": ["laptop", "network", "laptop", "storage", "server"],
            "status": ["in_use", "in_use", "retired", "in_stock", "in_use"],
            "purchase_price": ["1099.00", "7420.00", "980.00", "5600.00", "15250.00"],
        },
    ),
    Layout(
        name="Ivanti Neurons device inventory, English headers",
        kind="assets",
        header=[
            "Device Name",
            "Device Type",
            "Purchase Date",
            "Purchase Price (EUR)",
            "Lifecycle Status",
            "Cost Center",
        ],
        rows=[
            ["LT-2231", "Notebook", "15-03-2023", "1.249,00", "Deployed", "4410"],
            ["DT-0912", "Workstation", "02-11-2020", "899,00", "In Stock", "4410"],
            ["TC-0044", "Thin Client", "01-07-2021", "410,00", "End of Life", "4420"],
        ],
        profile={
            "columns": {
                "asset_id": "Device Name",
                "purchase_price": "Purchase Price (EUR)",
                "status": "Lifecycle Status",
            },
            "values": {"status": {"End of Life": "retired"}},
        },
        expected={
            "asset_class": ["laptop", "desktop", "thin_client"],
            "status": ["in_use", "in_stock", "retired"],
            "purchase_price": ["1249.00", "899.00", "410.00"],
        },
    ),
    Layout(
        name="JIRA Assets (Insight) object export",
        kind="assets",
        header=["Key", "Name", "Objecttype", "Datum levering", "Aanschafwaarde", "Status"],
        rows=[
            ["ITAM-1021", "Laptop Jansen", "Laptop", "05-01-2024", "1.312,00", "In Use"],
            ["ITAM-1022", "Monitor 27 inch", "Monitor", "05-01-2024", "219,00", "In Use"],
            ["ITAM-0877", "iPhone 12", "Smartphone", "10-10-2021", "779,00", "Retired"],
        ],
        profile={"columns": {"asset_id": "Key", "purchase_date": "Datum levering"}},
        expected={
            "asset_id": ["ITAM-1021", "ITAM-1022", "ITAM-0877"],
            "asset_class": ["laptop", "monitor", "phone"],
        },
    ),
    Layout(
        name="The municipality's own workbook: cover sheet, title rows, its own words",
        kind="assets",
        suffix=".xlsx",
        sheet="Hardware",
        title_rows=[
            ["Gemeente Voorbeeld - hardware-overzicht per 31-12-2024"],
            [],
            ["Bron: afdeling I&A"],
        ],
        header=["Inv.nr.", "Soort", "Datum aankoop", "Prijs incl. btw", "Status", "Kostenpl."],
        rows=[
            ["2024-0001", "Werkplek", dt.datetime(2022, 9, 1), 1020.5, "Actief", "I&A"],
            ["2024-0002", "Thin client", dt.datetime(2021, 3, 4), 389, "Actief", "Sociaal domein"],
            ["2024-0003", "Telefoon", dt.datetime(2020, 5, 12), 649, "Kapot", "I&A"],
        ],
        profile={
            "columns": {
                "asset_id": "Inv.nr.",
                "purchase_price": "Prijs incl. btw",
                "cost_centre": "Kostenpl.",
            },
            "values": {"asset_class": {"Werkplek": "desktop"}, "status": {"Kapot": "retired"}},
            "sheet": "Hardware",
        },
        expected={
            "asset_class": ["desktop", "thin_client", "phone"],
            "status": ["in_use", "in_use", "retired"],
            "purchase_date": [dt.date(2022, 9, 1), dt.date(2021, 3, 4), dt.date(2020, 5, 12)],
        },
    ),
    Layout(
        name="Fixed-asset register of the financial package (Centric / Unit4 style)",
        kind="assets",
        header=[
            "Activanummer",
            "Omschrijving",
            "Activagroep",
            "Aanschafdatum",
            "Aanschafwaarde",
            "Status activum",
        ],
        rows=[
            [
                "A-2021-014",
                "Laptops raad",
                "Hardware werkplekken",
                "01-04-2021",
                "38.400,00",
                "Actief",
            ],
            [
                "A-2019-003",
                "Core switches",
                "Netwerkcomponenten",
                "01-10-2019",
                "96.000,00",
                "Actief",
            ],
            [
                "A-2015-022",
                "Servers rekencentrum",
                "Servers",
                "01-01-2015",
                "240.000,00",
                "Buiten gebruik gesteld",
            ],
        ],
        profile={
            "columns": {
                "asset_id": "Activanummer",
                "asset_class": "Activagroep",
                "status": "Status activum",
            },
            "values": {
                "asset_class": {
                    "Hardware werkplekken": "laptop",
                    "Netwerkcomponenten": "network",
                    "Servers": "server",
                },
                "status": {"Buiten gebruik gesteld": "retired"},
            },
        },
        expected={
            "asset_class": ["laptop", "network", "server"],
            "status": ["in_use", "in_use", "retired"],
        },
    ),
]

TRAINING = [
    Layout(
        name="AFAS Profit, opleidingen per medewerker",
        kind="training",
        header=[
            "Medewerker",
            "Naam",
            "Afdeling",
            "FTE",
            "Opleiding",
            "Opleidingstype",
            "Studiebelasting",
            "Kosten",
            "Begindatum",
        ],
        rows=[
            [
                "10045",
                "A. de Boer",
                "Publiekszaken",
                "0,89",
                "Digivaardig",
                "Digitaal",
                "8",
                "250,00",
                "12-02-2024",
            ],
            [
                "10046",
                "B. Yilmaz",
                "I&A",
                "1,0",
                "ITIL 4 Foundation",
                "ICT",
                "24",
                "1.150,00",
                "03-06-2024",
            ],
            ["10047", "C. Smit", "Financiën", "0,5", "", "", "", "", ""],
        ],
        profile={
            "columns": {
                "employee_id": "Medewerker",
                "course_category": "Opleidingstype",
                "hours": "Studiebelasting",
            }
        },
        expected={"course_category": ["ict", "ict", None], "fte": [0.89, 1.0, 0.5]},
    ),
    Layout(
        name="Youforce (Visma | Raet), leeractiviteiten",
        kind="training",
        header=[
            "Persnr.",
            "Roepnaam",
            "Organisatorische eenheid",
            "Deeltijdfactor",
            "Cursus",
            "Cursussoort",
            "Uren",
            "Kosten opleiding",
            "Datum",
        ],
        rows=[
            [
                "0701123",
                "Anouk",
                "Ruimte",
                "0,7778",
                "Omgevingswet in de praktijk",
                "Vakinhoudelijk",
                "16",
                "895,00",
                "14-05-2024",
            ],
            [
                "0701124",
                "Bram",
                "I&A",
                "1,0000",
                "Azure Fundamentals",
                "ICT-vaardigheden",
                "12",
                "0,00",
                "20-09-2024",
            ],
        ],
        profile={"columns": {"employee_id": "Persnr.", "course_category": "Cursussoort"}},
        expected={"course_category": ["other", "ict"], "fte": [0.7778, 1.0]},
    ),
    Layout(
        name="Visma | Raet HR Core Beaufort, English column set",
        kind="training",
        header=[
            "Employee no.",
            "Full name",
            "Org. unit",
            "Part-time factor",
            "Learning activity",
            "Activity type",
            "Study hours",
            "Costs",
            "Completion date",
        ],
        rows=[
            [
                "E0012",
                "C. Jansen",
                "Sociaal domein",
                "0,8",
                "Privacy by design",
                "Informatiebeveiliging",
                "6",
                "420,00",
                "02-10-2024",
            ],
            [
                "E0013",
                "D. Kok",
                "Sociaal domein",
                "0,6",
                "Gespreksvaardigheden",
                "Communicatie",
                "10",
                "600,00",
                "11-11-2024",
            ],
        ],
        profile={
            "columns": {
                "employee_id": "Employee no.",
                "department": "Org. unit",
                "fte": "Part-time factor",
                "course_category": "Activity type",
                "training_date": "Completion date",
            }
        },
        expected={"course_category": ["ict", "other"], "department": ["Sociaal domein"] * 2},
    ),
    Layout(
        name="Centric HRM, one row per course with its own category words",
        kind="training",
        header=[
            "Registratienummer",
            "Achternaam",
            "Afdeling",
            "FTE",
            "Naam opleiding",
            "Soort opleiding",
            "Aantal uren",
            "Kosten",
            "Datum",
        ],
        rows=[
            [
                "R-88",
                "Visser",
                "Burgerzaken",
                "1,0",
                "Basiscursus datagedreven werken",
                "Data & informatie",
                "16",
                "1.200,00",
                "04-03-2024",
            ],
            [
                "R-89",
                "Peters",
                "Burgerzaken",
                "0,8",
                "Leidinggeven aan verandering",
                "Management & leiderschap",
                "20",
                "2.450,00",
                "18-04-2024",
            ],
        ],
        profile={
            "values": {
                "course_category": {"Data & informatie": "ict", "Management & leiderschap": "other"}
            }
        },
        expected={"course_category": ["ict", "other"], "hours": [16.0, 20.0]},
    ),
    Layout(
        name="SAP SuccessFactors learning history, English",
        kind="training",
        header=[
            "User ID",
            "Department",
            "FTE",
            "Item Title",
            "Item Type",
            "Total Hours",
            "Total Cost",
            "Completion Date",
        ],
        rows=[
            [
                "u1001",
                "Finance",
                "1,0",
                "Excel for analysts",
                "Digital skills",
                "6",
                "300,00",
                "05-02-2024",
            ],
            [
                "u1002",
                "Finance",
                "0,5",
                "Team leadership",
                "Leadership",
                "12",
                "800,00",
                "12-03-2024",
            ],
        ],
        profile={
            "columns": {
                "employee_id": "User ID",
                "course": "Item Title",
                "course_category": "Item Type",
                "hours": "Total Hours",
                "cost": "Total Cost",
                "training_date": "Completion Date",
            }
        },
        expected={"course_category": ["ict", "other"], "cost": ["300.00", "800.00"]},
    ),
    Layout(
        name="Learning platform export (GoodHabitz / Plusport style) with e-mail column",
        kind="training",
        header=[
            "Personeelsnummer",
            "E-mailadres",
            "Team",
            "FTE",
            "Cursustitel",
            "Domein",
            "Bestede tijd (uur)",
            "Kosten",
            "Afgerond op",
        ],
        rows=[
            [
                "5501",
                "p.devries@voorbeeld.nl",
                "I&A",
                "1,0",
                "Python basis",
                "IT",
                "9,5",
                "0,00",
                "01-07-2024",
            ],
            [
                "5502",
                "s.bakker@voorbeeld.nl",
                "KCC",
                "0,6",
                "Klantgericht schrijven",
                "Communicatie",
                "3",
                "0,00",
                "15-07-2024",
            ],
        ],
        profile={
            "columns": {
                "course": "Cursustitel",
                "course_category": "Domein",
                "hours": "Bestede tijd (uur)",
                "training_date": "Afgerond op",
            }
        },
        expected={"course_category": ["ict", "other"], "hours": [9.5, 3.0]},
        encoding="cp1252",
    ),
]

LEDGER = [
    Layout(
        name="Exact Online, debet and credit",
        kind="ledger",
        header=[
            "Dagboek",
            "Boekstuknummer",
            "Datum",
            "Grootboekrekening",
            "Omschrijving",
            "Kostenplaats",
            "Kostendrager",
            "Debet",
            "Credit",
        ],
        rows=[
            [
                "70",
                "24000112",
                "15-01-2024",
                "4310",
                "Microsoft 365 januari",
                "I&A",
                "0.63",
                "1.250,00",
                "",
            ],
            ["70", "24000112", "15-01-2024", "1600", "Crediteur Microsoft", "", "", "", "1.250,00"],
        ],
        profile={"columns": {"cost_type": "Kostendrager"}},
        expected={
            "account_code": ["4310", "1600"],
            "amount": ["1250.00", "-1250.00"],
            "cost_type": ["0.63", None],
        },
    ),
    Layout(
        name="Unit4 Financials, period ledger with its own column names",
        kind="ledger",
        header=["Periode", "Rekening", "Kpl", "Bedrag", "Tekst", "Boekdatum"],
        rows=[
            ["202403", "4320", "I&A", "3.400,00", "Hosting Q1", "31-03-2024"],
            ["202403", "4320", "I&A", "-400,00", "Creditnota hosting", "31-03-2024"],
            ["202403", "1600", "", "-3.000,00", "Crediteuren", "31-03-2024"],
        ],
        profile={"columns": {"description": "Tekst"}},
        expected={
            "amount": ["3400.00", "-400.00", "-3000.00"],
            "description": ["Hosting Q1", "Creditnota hosting", "Crediteuren"],
        },
    ),
    Layout(
        name="Centric Key2Financiën, amount and booking date in their own words",
        kind="ledger",
        header=[
            "Boekjaar",
            "Grootboek",
            "Kostenplaats",
            "Kostensoort",
            "Boekingsdatum",
            "Bedrag boeking",
            "Omschrijving",
        ],
        rows=[
            ["2024", "4300", "6100", "43010", "05-02-2024", "12.000,00", "Licentie zaaksysteem"],
            ["2024", "4300", "6100", "43010", "05-02-2024", "-12.000,00", "Tegenboeking"],
        ],
        profile={"columns": {"amount": "Bedrag boeking"}},
        expected={"cost_type": ["43010", "43010"]},
    ),
    Layout(
        name="AFAS Profit mutaties",
        kind="ledger",
        header=[
            "Administratie",
            "Dagboek",
            "Nummer",
            "Rekeningnummer",
            "Kostenplaats",
            "Datum boeking",
            "Bedrag debet",
            "Bedrag credit",
            "Omschrijving",
        ],
        rows=[
            ["1", "Memoriaal", "2024-0045", "4410", "ICT", "01-04-2024", "560,00", "", "Telefonie"],
            ["1", "Memoriaal", "2024-0045", "2100", "", "01-04-2024", "", "560,00", "Telefonie"],
        ],
        profile={"columns": {"transaction_id": "Nummer", "booking_date": "Datum boeking"}},
        expected={"transaction_id": ["2024-0045", "2024-0045"]},
    ),
    Layout(
        name="Twinfield, English export with dimensions",
        kind="ledger",
        header=["Date", "Dimension 1", "Dimension 2", "Value", "Description", "Number"],
        rows=[
            ["02-05-2024", "4310", "ICT", "780,00", "Adobe licences", "24005"],
            ["02-05-2024", "1600", "", "-780,00", "Adobe licences", "24005"],
        ],
        profile={
            "columns": {
                "account_code": "Dimension 1",
                "cost_centre": "Dimension 2",
                "amount": "Value",
                "transaction_id": "Number",
            }
        },
        expected={"cost_centre": ["ICT", None]},
    ),
    Layout(
        name="SAP export of a large municipality, its own abbreviations",
        kind="ledger",
        header=[
            "Boekingsdatum",
            "Grootboekrek.",
            "Kostenplaats",
            "Bedrag in EV",
            "Tekst",
            "Documentnr.",
        ],
        rows=[
            ["10-06-2024", "433000", "KP1200", "25.000,00", "Inhuur ICT-specialist", "5100000123"],
            ["10-06-2024", "160000", "", "-25.000,00", "Inhuur ICT-specialist", "5100000123"],
        ],
        profile={
            "columns": {
                "account_code": "Grootboekrek.",
                "amount": "Bedrag in EV",
                "description": "Tekst",
                "transaction_id": "Documentnr.",
            }
        },
        expected={"account_code": ["433000", "160000"]},
        encoding="cp1252",
    ),
]

ALL = ASSETS + TRAINING + LEDGER
