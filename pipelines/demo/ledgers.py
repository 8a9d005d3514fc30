"""Deterministic demo deliveries: full general ledgers, account mappings and CBS reference files.

Money scales with inhabitants, line counts with `volume`: the committed demo stays small while a
national-scale run streams millions of lines through the same code. Every municipality-year draws
from its own random stream (seed, CBS number, year), so adding one never changes another.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from pipelines.contract.categories import mapped_codes
from pipelines.demo.municipalities import MUNICIPALITIES, TABLE_YEARS, Municipality
from pipelines.demo.reference_readme import write_reference_readme

# --- shapes other writers (XAF) consume -------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    account: str
    account_name: str
    cost_centre: str  # "" when the line has none
    cost_type: str  # "" when the line has none
    amount: Decimal  # signed: debit positive, credit negative
    description: str


@dataclass(frozen=True)
class Transaction:
    journal: str
    number: str
    booking_date: dt.date
    description: str
    lines: list[LedgerLine]


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    account_type: str  # "B" balance sheet, "P" profit and loss (XAF accTp)


@dataclass(frozen=True)
class MappingRule:
    rekening_van: str
    rekening_tot: str
    kostenplaats: str
    categorie: str
    toelichting: str


LedgerWriter = Callable[[Path, Municipality, int, Iterable[Transaction], Sequence[Account]], object]

# --- chart of accounts ------------------------------------------------------------------------

# Base numbers in 4-digit style; CHART_STYLES turns them into each municipality's own numbering.
_ACCOUNTS: dict[int, tuple[str, str]] = {
    210: ("Materiële vaste activa ICT", "B"),
    1100: ("Bank BNG", "B"),
    1300: ("Debiteuren", "B"),
    1600: ("Crediteuren", "B"),
    1700: ("Te betalen salarissen en afdrachten", "B"),
    4100: ("Salarissen ambtelijk personeel", "P"),
    4110: ("Sociale lasten en pensioenpremies", "P"),
    4140: ("Inhuur derden", "P"),
    4150: ("Inhuur ICT-specialisten", "P"),
    4200: ("Opleidingen en cursussen", "P"),
    4300: ("Licenties software (on-premises)", "P"),
    4301: ("Onderhoud applicaties", "P"),
    4305: ("Licenties vakapplicaties", "P"),
    4310: ("SaaS-abonnementen", "P"),
    4311: ("Clouddiensten", "P"),
    4320: ("Laptops en desktops", "P"),
    4321: ("Beeldschermen en randapparatuur", "P"),
    4322: ("Mobiele telefoons en tablets", "P"),
    4323: ("Printers en multifunctionals", "P"),
    4330: ("Servers en opslag", "P"),
    4331: ("Netwerkapparatuur", "P"),
    4340: ("Vaste telefonie en dataverbindingen", "P"),
    4341: ("Mobiele abonnementen", "P"),
    4345: ("Telefoonvergoeding medewerkers", "P"),
    4350: ("Uitbesteed ICT-beheer", "P"),
    4351: ("Hosting en rekencentrum", "P"),
    4390: ("Overige ICT-kosten", "P"),
    4391: ("ICT-advies en onderzoek", "P"),
    4395: ("Kapitaallasten ICT (afschrijving en rente)", "P"),
    4400: ("Huisvesting en energie", "P"),
    4410: ("Kantoorbenodigdheden", "P"),
    4420: ("Representatie en consumpties", "P"),
    4430: ("Drukwerk en porti", "P"),
    4500: ("Reis- en verblijfkosten", "P"),
    4600: ("Onderhoud openbare ruimte", "P"),
    4700: ("Subsidies", "P"),
    4800: ("Uitkeringen Participatiewet", "P"),
    4850: ("Jeugdzorg en Wmo-voorzieningen", "P"),
    4900: ("Bijdragen gemeenschappelijke regelingen", "P"),
    4910: ("Bijdrage ICT-samenwerking (gemeenschappelijke regeling)", "P"),
    8000: ("Algemene uitkering gemeentefonds", "P"),
    8100: ("Onroerendezaakbelastingen", "P"),
    8200: ("Leges en rechten", "P"),
    8300: ("Specifieke uitkeringen Rijk", "P"),
    8400: ("Huren en pachten", "P"),
}

# style -> (multiplier, offset added to 4xxx cost accounts): 4310, 431000, 43100, 6310
CHART_STYLES: dict[str, tuple[int, int]] = {
    "compact": (1, 0),
    "long": (100, 0),
    "five": (10, 0),
    "shifted": (1, 2000),
}


@dataclass(frozen=True)
class CostCentres:
    ict: str
    ict_training: str
    # sociaal domein, openbare ruimte, burgerzaken, bestuur, financiën, ruimte, facilitair
    departments: tuple[str, ...]


COST_CENTRE_STYLES: dict[str, CostCentres] = {
    "num4": CostCentres("7100", "7150", ("4100", "3100", "2100", "1000", "6100", "5100", "6200")),
    "num3": CostCentres("610", "615", ("420", "310", "210", "100", "620", "510", "630")),
    "text": CostCentres("I&A", "I&A-OPL", ("SOC", "OR", "BZ", "BESTUUR", "FIN", "RO", "FAC")),
    "prefixed": CostCentres(
        "KPL0830",
        "KPL0835",
        ("KPL0410", "KPL0310", "KPL0210", "KPL0110", "KPL0610", "KPL0510", "KPL0620"),
    ),
}
_BURGERZAKEN = 2  # department with an explicit not_ict cost-centre rule
_DEPARTMENTS_BY_SIZE = {"small": 3, "middle": 5, "large": 7}


def account_code(municipality: Municipality, base: int) -> str:
    """The municipality's own account number for a base (4-digit style) account."""
    multiplier, offset = CHART_STYLES[municipality.chart_style]
    shifted = base + offset if 4000 <= base < 5000 else base
    return str(shifted * multiplier)


def _range_end(municipality: Municipality, base_end: int) -> str:
    multiplier, _ = CHART_STYLES[municipality.chart_style]
    return str(int(account_code(municipality, base_end)) + multiplier - 1)


def chart_of_accounts(municipality: Municipality) -> list[Account]:
    """Every account the municipality's demo ledgers use, in account order."""
    return [
        Account(account_code(municipality, base), name, kind)
        for base, (name, kind) in sorted(_ACCOUNTS.items())
    ]


def cost_centres(municipality: Municipality) -> CostCentres:
    return COST_CENTRE_STYLES[municipality.cost_centre_style]


# --- account mapping --------------------------------------------------------------------------


def generate_account_mapping(
    municipality: Municipality, rng: np.random.Generator
) -> list[MappingRule]:
    """The municipality's account_mapping.csv rules; rng only varies how rules are written."""
    centres = cost_centres(municipality)
    ict, training = centres.ict, centres.ict_training

    def exact(base: int, category: str, note: str, centre: str = "") -> MappingRule:
        return MappingRule(account_code(municipality, base), "", centre, category, note)

    def span(start: int, end: int, category: str, note: str) -> MappingRule:
        first, last = account_code(municipality, start), _range_end(municipality, end)
        return MappingRule(first, last, "", category, note)

    def centre_only(centre: str, category: str, note: str) -> MappingRule:
        return MappingRule("", "", centre, category, note)

    rules = [
        exact(4100, "own_personnel", "Salarissen afdeling I&A", ict),
        exact(4110, "own_personnel", "Sociale lasten afdeling I&A", ict),
        exact(4140, "hired_personnel", "Inhuur op kostenplaats I&A", ict),
        exact(4150, "hired_personnel", "Inhuur ICT-specialisten"),
        span(4300, 4319, "software_licences", "Licenties en onderhoud applicaties"),
    ]
    if rng.random() < 0.5:
        rules += [
            exact(4310, "saas_cloud", "SaaS-abonnementen (o.a. Microsoft 365)"),
            exact(4311, "saas_cloud", "Clouddiensten"),
        ]
    else:
        rules.append(span(4310, 4311, "saas_cloud", "SaaS en cloud"))
    if rng.random() < 0.5:
        rules.append(span(4320, 4329, "workplace_hardware", "Werkplekapparatuur"))
    else:
        rules += [
            exact(base, "workplace_hardware", _ACCOUNTS[base][0])
            for base in (4320, 4321, 4322, 4323)
        ]
    rules += [
        span(4330, 4339, "infrastructure_hardware", "Servers, opslag en netwerk"),
        exact(4395, "capital_charges", "Afschrijving en rente ICT-investeringen"),
        exact(4910, "shared_service_contribution", "Bijdrage GR ICT-samenwerking"),
        span(4340, 4349, "telecom", "Telefonie en dataverbindingen"),
        exact(4345, "not_ict", "Telefoonvergoeding is een personele vergoeding"),
        span(4350, 4359, "outsourcing_hosting", "Uitbesteed beheer en hosting"),
    ]
    # A broad 43xx "other" range only catches what the narrower ranges leave.
    if rng.random() < 0.5:
        rules.append(span(4300, 4399, "other", "Overige ICT-kosten (restpost 43xx)"))
    else:
        rules.append(span(4390, 4399, "other", "Overige ICT-kosten"))
    rules += [
        centre_only(training, "training", "ICT-opleidingen en digitale vaardigheden"),
        centre_only(ict, "ict_cost_centre", "Afdeling Informatievoorziening & Automatisering"),
        exact(4430, "not_ict", "Drukwerk en porti: facilitair"),
        span(4800, 4899, "not_ict", "Uitkeringen sociaal domein"),
        centre_only(centres.departments[_BURGERZAKEN], "not_ict", "Burgerzaken"),
    ]
    return rules


MAPPING_COLUMNS = ("rekening_van", "rekening_tot", "kostenplaats", "categorie", "toelichting")


def write_account_mapping(path: Path, rules: Sequence[MappingRule]) -> None:
    """account_mapping.csv as the contract describes it: `;`, UTF-8."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(MAPPING_COLUMNS)
        writer.writerows(astuple(rule) for rule in rules)


# --- what a ledger contains -------------------------------------------------------------------

ICT_CATEGORIES = mapped_codes()
# Shares of ICT spend in the first table year; SaaS grows at the expense of licences and servers.
# Servers and networks are investments: they reach the exploitation as capital charges, only
# small equipment is bought straight into costs (docs/methodology.md).
_ICT_SHARES = {
    "own_personnel": 30,
    "hired_personnel": 12,
    "software_licences": 14,
    "saas_cloud": 12,
    "workplace_hardware": 8,
    "infrastructure_hardware": 2,
    "capital_charges": 5,
    "telecom": 5,
    "outsourcing_hosting": 7,
    "training": 2,
    "shared_service_contribution": 1,
    "other": 2,
}
_ICT_SHIFT_PER_YEAR = {
    "saas_cloud": 1.5,
    "software_licences": -1.0,
    "capital_charges": -0.5,
}


@dataclass(frozen=True)
class _Kind:
    """One kind of booking: which accounts, which cost centres, what the text says."""

    key: str
    accounts: tuple[tuple[int, float, str], ...]  # base account, weight, cost-centre policy
    descriptions: tuple[str, ...]
    parties: tuple[str, ...]
    journal: str = "INK"
    contra: int = 1600
    sign: int = 1  # +1: the accounts are debited (costs); -1: credited (revenue)
    max_lines: int = 3
    credit_notes: float = 0.0  # share of transactions that are credit notes
    min_credit_notes: int = 0
    monthly: bool = False


_ICT_KINDS = (
    _Kind(
        "hired_personnel",
        ((4150, 0.6, "mixed"), (4140, 0.4, "ict")),
        (
            "Inhuur projectleider i-Sociaal Domein {month}",
            "Detachering informatieanalist – {month} {year}",
            "Inhuur servicedeskmedewerker week {week}",
            "Inhuur CISO a.i. {month}",
            "Detachering functioneel beheerder zaaksysteem {month}",
            "Inhuur architect Common Ground – fase {n}",
            "Inhuur data-engineer {month} ({n} uur)",
        ),
        ("Conclusion", "Ordina", "Sogeti Nederland", "Yacht", "Between", "Hays", "Capgemini"),
        credit_notes=0.03,
    ),
    _Kind(
        "software_licences",
        ((4300, 0.4, "ict"), (4301, 0.35, "mixed"), (4305, 0.25, "department")),
        (
            "Onderhoud zaaksysteem {year}",
            "Licentie Esri ArcGIS – jaarbijdrage {year}",
            "Onderhoud Suite4Sociaal Domein Q{q}",
            "Jaarlicentie belastingapplicatie {year}",
            "Licenties Microsoft Office 2019 (on-premises)",
            "Onderhoud burgerzakenmodule Q{q}",
            "Support Oracle-database {year}",
        ),
        ("Centric", "PinkRoccade Local Government", "Esri Nederland", "Bechtle", "Visma Roxit"),
        credit_notes=0.04,
        min_credit_notes=1,
    ),
    _Kind(
        "saas_cloud",
        ((4310, 0.7, "mixed"), (4311, 0.3, "ict")),
        (
            "Licentie Microsoft 365 – Q{q}",
            "Microsoft Azure verbruik {month}",
            "SaaS zaakgericht werken – {month}",
            "Abonnement TOPdesk SaaS {year}",
            "Abonnement e-formulieren Q{q}",
            "Cloudback-up {month}",
            "SaaS afsprakenmodule Burgerzaken Q{q}",
            "Abonnement raadsinformatiesysteem {year}",
        ),
        ("Microsoft Ireland", "SLTN", "TOPdesk", "Dimpact", "Qmatic", "iBabs"),
        credit_notes=0.04,
        min_credit_notes=1,
    ),
    _Kind(
        "workplace_hardware",
        ((4320, 0.45, "ict"), (4321, 0.2, "ict"), (4322, 0.2, "mixed"), (4323, 0.15, "mixed")),
        (
            "Laptops HP EliteBook ({n} st.)",
            'Monitoren 27" ({n} st.)',
            "Smartphones voor buitendienst ({n} st.)",
            "Tablets à € 429 voor BOA's ({n} st.)",
            "Docking stations ({n} st.)",
            "Huur multifunctionals {month}",
            "Headsets hybride werken ({n} st.)",
        ),
        ("Dell", "Scholten Awater", "Bechtle", "Centralpoint", "Konica Minolta"),
        credit_notes=0.05,
    ),
    _Kind(
        "infrastructure_hardware",
        ((4330, 0.55, "ict"), (4331, 0.45, "ict")),
        (
            "Uitbreiding SAN-opslag",
            "Vervanging core switches stadhuis",
            "Servers Dell PowerEdge ({n} st.)",
            "Wifi access points gemeentewerf",
            "Firewall-appliances – vervanging",
            "Back-upappliance rekencentrum",
        ),
        ("Dell", "Proact", "Axians", "Bechtle", "HPE"),
        credit_notes=0.03,
    ),
    _Kind(
        "capital_charges",
        ((4395, 1.0, "ict"),),
        (
            "Afschrijving servers en opslag Q{q}",
            "Afschrijving netwerkapparatuur Q{q}",
            "Rente geactiveerde ICT-investeringen Q{q}",
        ),
        ("Kapitaallasten",),
        journal="MEM",
        contra=210,
        max_lines=1,
    ),
    _Kind(
        "telecom",
        ((4340, 0.5, "ict"), (4341, 0.5, "mixed")),
        (
            "Glasvezelverbinding stadhuis {month}",
            "Mobiele abonnementen {month}",
            "Datalijn Gemnet {month}",
            "SIP-trunk telefonie Q{q}",
            "Internetverbinding gemeentewerf {month}",
        ),
        ("KPN", "VodafoneZiggo", "Odido Zakelijk", "Gemnet"),
        credit_notes=0.04,
    ),
    _Kind(
        "outsourcing_hosting",
        ((4350, 0.55, "ict"), (4351, 0.45, "ict")),
        (
            "Hosting zaaksysteem; rekencentrum Q{q}",
            "Beheer werkplekken – uitbesteed {month}",
            "Beheer netwerk – uitbesteed {month}",
            "Back-up as a service {month}",
            "Managed security (SOC) Q{q}",
        ),
        ("Centric", "Sogeti Nederland", "Solvinity", "Previder", "Tesorion"),
        credit_notes=0.03,
    ),
    _Kind(
        "training",
        ((4200, 1.0, "ict_training"),),
        (
            "Cursus digitale vaardigheden – groep {n}",
            "Training Power BI voor beleidsmedewerkers",
            "Certificering ITIL 4 Foundation",
            "e-Learning informatiebeveiliging (BIO) {year}",
            "Workshop Copilot – € {n}5 p.p.",
            "Cursus Excel gevorderd – {month}",
        ),
        ("Centric Academy", "GoodHabitz", "Computrain", "VNG Academie"),
    ),
    _Kind(
        "shared_service_contribution",
        ((4910, 1.0, "ict"),),
        ("Bijdrage GR ICT-samenwerking {month}", "Bijdrage werkorganisatie ICT Q{q}"),
        ("GR ICT-samenwerking",),
        monthly=True,
        max_lines=1,
    ),
    _Kind(
        "other",
        ((4390, 0.6, "ict"), (4391, 0.4, "ict")),
        (
            "ICT-advies informatiebeveiliging",
            "ENSIA-audit {year}",
            "Lidmaatschap IBD en VNG Realisatie {year}",
            "Onderzoek datacenterstrategie",
            'Project "Slim werken" – {month}',
            "Coördinatie privacy & AVG Q{q}",
        ),
        ("KPMG", "Berenschot", "VNG", "Hiemstra & De Vries", "BDO"),
        credit_notes=0.02,
    ),
)

# Lines in the ICT cost centre on accounts no rule maps: they count as unclassified ICT spend.
_UNCLASSIFIED_KIND = _Kind(
    "unclassified",
    ((4410, 0.4, "ict"), (4420, 0.35, "ict"), (4500, 0.25, "ict")),
    (
        "Vergoeding café – teamuitje I&A",
        "Lunch kwartaaloverleg I&A",
        "Kantoorartikelen servicedesk",
        "Reiskosten storingsdienst {month}",
        "Parkeerkosten monteurs {month}",
        "Taart bij livegang zaaksysteem",
    ),
    ("Café De Zwaan", "Staples", "Broodjeszaak Het Hoekje", "Q-Park"),
    max_lines=1,
)

# (kind, share of non-ICT spend in percent); salaries go through the payroll journal.
_NON_ICT_SALARIES = 24.0
_NON_ICT_KINDS: tuple[tuple[_Kind, float], ...] = (
    (
        _Kind(
            "inhuur",
            ((4140, 1.0, "department"),),
            (
                "Inhuur jurist omgevingsrecht {month}",
                "Interim-manager Sociaal Domein {month}",
                "Inhuur medewerker Burgerzaken week {week}",
                "Detachering toezichthouder BOA {month}",
            ),
            ("Yacht", "Randstad", "Tempo-Team", "Driessen HRM"),
        ),
        4.0,
    ),
    (
        _Kind(
            "opleidingen",
            ((4200, 1.0, "department"),),
            (
                "Opleiding BOA – module {n}",
                "Cursus Omgevingswet",
                "Leergang leidinggeven {year}",
                "Training klantgericht schrijven",
            ),
            ("Stichting SBOA", "Schouten & Nelissen", "NSOB", "Vijfkeerblauw"),
        ),
        0.6,
    ),
    (
        _Kind(
            "huisvesting",
            ((4400, 1.0, "department"),),
            (
                "Energie gemeentehuis {month}",
                "Schoonmaak gemeentehuis {month}",
                "Huur kantoorpand {month}",
                "Onderhoud liften Q{q}",
            ),
            ("Eneco", "Vattenfall", "CSU", "Hago", "Schindler"),
        ),
        4.0,
    ),
    (
        _Kind(
            "kantoor",
            ((4410, 1.0, "department"),),
            ("Kantoorartikelen {month}", "Papier en enveloppen {month}"),
            ("Staples", "Lyreco"),
        ),
        0.4,
    ),
    (
        _Kind(
            "representatie",
            ((4420, 1.0, "department"),),
            (
                "Catering raadsvergadering {month}",
                "Attentie jubileum medewerker",
                "Vergoeding café – nieuwjaarsreceptie",
            ),
            ("Catering De Smaak", "Bloemenhuis Flora", "Café De Zwaan"),
        ),
        0.2,
    ),
    (
        _Kind(
            "drukwerk",
            ((4430, 1.0, "department"),),
            (
                "Porto aanslagen gemeentelijke belastingen",
                "Drukwerk gemeentegids {year}",
                "Verzending stempassen verkiezingen",
            ),
            ("PostNL", "Drukkerij Wilco", "Sdu"),
        ),
        0.3,
    ),
    (
        _Kind(
            "telefoonvergoeding",
            ((4345, 1.0, "department"),),
            ("Telefoonvergoeding medewerkers {month}",),
            ("Salarisadministratie",),
            journal="MEM",
            contra=1700,
            max_lines=1,
        ),
        0.15,
    ),
    (
        _Kind(
            "reiskosten",
            ((4500, 1.0, "department"),),
            ("Reiskosten woon-werk {month}", "Treinreizen NS Zakelijk {month}"),
            ("NS Zakelijk", "Q-Park"),
        ),
        0.35,
    ),
    (
        _Kind(
            "openbare_ruimte",
            ((4600, 1.0, "department"),),
            (
                "Onderhoud groen wijk {n}",
                "Gladheidsbestrijding {month}",
                "Reparatie openbare verlichting",
                "Herstel bestrating – {n}0 m²",
                "Maaien bermen – perceel {n}",
            ),
            ("BAM Infra", "Heijmans", "Van Gelder", "Krinkels"),
        ),
        10.0,
    ),
    (
        _Kind(
            "subsidies",
            ((4700, 1.0, "department"),),
            (
                "Subsidie sportvereniging – voorschot {year}",
                "Subsidie bibliotheek Q{q}",
                "Subsidie welzijnsstichting {month}",
                "Subsidie muziekschool {year}",
            ),
            ("Stichting Welzijn", "Bibliotheek", "Muziekschool", "Sportvereniging"),
        ),
        8.0,
    ),
    (
        _Kind(
            "uitkeringen",
            ((4800, 1.0, "department"),),
            (
                "Uitkeringen Participatiewet {month}",
                "Bijzondere bijstand {month}",
                "Individuele inkomenstoeslag {year}",
            ),
            ("Uitkeringsadministratie",),
            journal="MEM",
            contra=1100,
            max_lines=1,
        ),
        17.0,
    ),
    (
        _Kind(
            "jeugd_wmo",
            ((4850, 1.0, "department"),),
            (
                "Jeugdzorg – zorgaanbieder regio {month}",
                "Wmo huishoudelijke ondersteuning {month}",
                "Leerlingenvervoer {month}",
                "Wmo-hulpmiddelen Q{q}",
            ),
            ("Stichting Jeugdformaat", "Zorggroep Regio", "Thuiszorg Zuid", "Medipoint"),
        ),
        21.0,
    ),
    (
        _Kind(
            "gemeenschappelijke_regelingen",
            ((4900, 1.0, "department"),),
            (
                "Bijdrage GGD Q{q}",
                "Bijdrage veiligheidsregio Q{q}",
                "Bijdrage omgevingsdienst Q{q}",
                "Bijdrage werkvoorzieningsschap {month}",
            ),
            ("GGD", "Veiligheidsregio", "Omgevingsdienst", "Werkvoorzieningsschap"),
        ),
        10.0,
    ),
)

_REVENUE_KINDS: tuple[tuple[_Kind, float], ...] = (
    (
        _Kind(
            "gemeentefonds",
            ((8000, 1.0, "department"),),
            ("Algemene uitkering gemeentefonds {month} {year}",),
            ("Ministerie van BZK",),
            journal="BNK",
            contra=1100,
            sign=-1,
            max_lines=1,
            monthly=True,
        ),
        55.0,
    ),
    (
        _Kind(
            "ozb",
            ((8100, 1.0, "department"),),
            ("Aanslagen OZB {year} – batch {n}",),
            ("Belastingplichtigen",),
            journal="VRK",
            contra=1300,
            sign=-1,
            max_lines=1,
        ),
        10.0,
    ),
    (
        _Kind(
            "leges",
            ((8200, 1.0, "department"),),
            (
                "Leges reisdocumenten {month}",
                "Leges omgevingsvergunning {ref}",
                "Leges rijbewijzen {month}",
            ),
            ("Burgers en bedrijven",),
            journal="VRK",
            contra=1300,
            sign=-1,
            max_lines=1,
        ),
        4.0,
    ),
    (
        _Kind(
            "specifieke_uitkeringen",
            ((8300, 1.0, "department"),),
            (
                "Voorschot BUIG {year} – {month}",
                "SPUK sport {year}",
                "Decentralisatie-uitkering {month}",
            ),
            ("Ministerie van SZW", "Ministerie van VWS"),
            journal="BNK",
            contra=1100,
            sign=-1,
            max_lines=1,
        ),
        25.0,
    ),
    (
        _Kind(
            "huren",
            ((8400, 1.0, "department"),),
            ("Huur sporthal {month}", "Pacht landbouwgrond {year}", "Huur gemeentelijk vastgoed"),
            ("Huurders",),
            journal="VRK",
            contra=1300,
            sign=-1,
            max_lines=1,
        ),
        6.0,
    ),
)

_PAYMENTS_KIND = _Kind(
    "betalingen",
    ((1600, 1.0, "none"),),
    ("Betaalbatch crediteuren {day}",),
    ("BNG Bank",),
    journal="BNK",
    contra=1100,
    max_lines=1,
)
_RECEIPTS_KIND = _Kind(
    "ontvangsten",
    ((1300, 1.0, "none"),),
    ("Ontvangsten debiteuren {day}",),
    ("BNG Bank",),
    journal="BNK",
    contra=1100,
    sign=-1,
    max_lines=1,
)

_EXTRA_LINE_CHANCE = 0.25  # per possible extra cost line on an invoice
_JOURNAL_DIGITS = {"INK": 1, "VRK": 2, "BNK": 3, "MEM": 4, "SAL": 5}
_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


# --- planning: money and line counts ----------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    municipality: Municipality
    year: int
    centres: CostCentres
    departments: tuple[str, ...]
    business_days: tuple[dt.date, ...]
    accounts: dict[int, tuple[str, str, str]]  # base -> own code, name, cost type


@dataclass
class _Plan:
    context: _Context
    ict_cents: dict[str, int]  # per ICT category, plus "unclassified"
    salaries_cents: int  # non-ICT salaries
    streams: list[tuple[_Kind, int, int]] = field(default_factory=list)  # kind, cents, tx

    @property
    def ict_total_cents(self) -> int:
        return sum(self.ict_cents.values())


def _business_days(year: int) -> tuple[dt.date, ...]:
    closed = {(1, 1), (4, 27), (12, 25), (12, 26)}
    day, days = dt.date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and (day.month, day.day) not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return tuple(days)


def _allocate(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split integer cents over weights exactly (largest remainder), each part >= minimum."""
    count = len(weights)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    minimum = min(minimum, total // count)
    rest = total - minimum * count
    raw = rest * (np.asarray(weights, dtype=np.float64) / float(np.sum(weights)))
    parts = np.floor(raw).astype(np.int64)
    short = rest - int(parts.sum())
    order = np.argsort(parts - raw, kind="stable")  # largest remainders first
    for index in range(abs(short)):
        parts[order[index % count]] += 1 if short > 0 else -1
    return parts + minimum


def _ict_level(municipality: Municipality, year: int, rng: np.random.Generator) -> float:
    years_on = year - TABLE_YEARS[0]
    noise = float(np.clip(np.exp(rng.normal(0.0, 0.015)), 0.97, 1.03))
    return municipality.ict_eur_per_inhabitant * (1 + municipality.ict_growth) ** years_on * noise


def _ict_shares(year: int, rng: np.random.Generator) -> np.ndarray:
    years_on = year - TABLE_YEARS[0]
    base = np.array(
        [_ICT_SHARES[c] + _ICT_SHIFT_PER_YEAR.get(c, 0.0) * years_on for c in ICT_CATEGORIES]
    )
    return base * np.exp(rng.normal(0.0, 0.08, len(base)))


def _tx_count(lines: float, kind: _Kind, minimum: int) -> int:
    if kind.monthly:
        return 12
    lines_per_tx = 2 + (kind.max_lines - 1) * _EXTRA_LINE_CHANCE  # the mean of _kind_stream
    return max(minimum, round(lines / lines_per_tx))


def _line_weights(shares: Sequence[float]) -> np.ndarray:
    # Half by money, half evenly: small categories still get enough lines to be visible.
    shares = np.asarray(shares, dtype=np.float64)
    return 0.5 * shares / shares.sum() + 0.5 / len(shares)


def _context(municipality: Municipality, year: int) -> _Context:
    size = municipality.size_class(year)
    accounts = {
        base: (account_code(municipality, base), name, str(base)[:2] if kind == "P" else "")
        for base, (name, kind) in _ACCOUNTS.items()
    }
    return _Context(
        municipality,
        year,
        cost_centres(municipality),
        cost_centres(municipality).departments[: _DEPARTMENTS_BY_SIZE[size]],
        _business_days(year),
        accounts,
    )


def _plan(municipality: Municipality, year: int, rng: np.random.Generator, volume: float) -> _Plan:
    """Decide the money per kind of booking and how many transactions carry it."""
    context = _context(municipality, year)
    inhabitants = municipality.inhabitants_on(year)
    ict_total = round(_ict_level(municipality, year, rng) * inhabitants * 100)
    unclassified = round(ict_total * rng.uniform(0.006, 0.025))
    split = _allocate(ict_total - unclassified, _ict_shares(year, rng))
    ict_cents = {c: int(v) for c, v in zip(ICT_CATEGORIES, split, strict=True)}
    ict_cents["unclassified"] = unclassified

    spend = round(ict_total / rng.uniform(0.032, 0.048))  # ICT is 3-5 % of all spending
    non_ict_shares = np.array([_NON_ICT_SALARIES, *(s for _, s in _NON_ICT_KINDS)])
    noise = np.exp(rng.normal(0, 0.1, len(non_ict_shares)))
    non_ict = _allocate(spend - ict_total, non_ict_shares * noise).tolist()
    revenue_shares = np.array([s for _, s in _REVENUE_KINDS])
    revenue = _allocate(round(spend * rng.uniform(0.98, 1.03)), revenue_shares).tolist()

    # Payroll and the monthly general grant have fixed line counts; the rest scales with volume.
    fixed_lines = 12 * (2 * (1 + len(context.departments)) + 3) + 24
    target = min(3000, 300 + inhabitants / 1000) * volume
    rest = max(target - fixed_lines, 120 * volume)

    plan = _Plan(context, ict_cents, non_ict[0])
    ict_kinds = [*_ICT_KINDS, _UNCLASSIFIED_KIND]
    ict_money = [ict_cents[k.key] for k in ict_kinds]
    for kind, cents, weight in zip(ict_kinds, ict_money, _line_weights(ict_money), strict=True):
        share = rng.uniform(0.01, 0.025) if kind is _UNCLASSIFIED_KIND else weight
        minimum = 2 if kind.max_lines == 1 else 3
        plan.streams.append((kind, cents, _tx_count(0.45 * rest * share, kind, minimum)))
    _add_streams(plan, [k for k, _ in _NON_ICT_KINDS], non_ict[1:], 0.30 * rest)
    _add_streams(plan, [k for k, _ in _REVENUE_KINDS], revenue, 0.10 * rest)

    invoiced = sum(c for k, c, _ in plan.streams if k.contra == 1600)
    receivable = sum(c for k, c, _ in plan.streams if k.contra == 1300)
    payments = round(invoiced * rng.uniform(0.9, 0.96))
    receipts = round(receivable * rng.uniform(0.9, 0.97))
    plan.streams.append((_PAYMENTS_KIND, payments, _tx_count(0.10 * rest, _PAYMENTS_KIND, 12)))
    plan.streams.append((_RECEIPTS_KIND, receipts, _tx_count(0.05 * rest, _RECEIPTS_KIND, 6)))
    return plan


def _add_streams(plan: _Plan, kinds: list[_Kind], money: list[int], lines: float) -> None:
    for kind, cents, weight in zip(kinds, money, _line_weights(money), strict=True):
        plan.streams.append((kind, cents, _tx_count(lines * weight, kind, 2)))


# --- turning a plan into transactions ---------------------------------------------------------

# (booking date, stream order, sequence, journal, description, lines)
_Draft = tuple[dt.date, int, int, str, str, list[LedgerLine]]


def _cents_to_decimal(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _line(context: _Context, base: int, centre: str, cents: int, text: str) -> LedgerLine:
    code, name, cost_type = context.accounts[base]
    return LedgerLine(code, name, centre, cost_type, _cents_to_decimal(cents), text)


def _monthly_dates(context: _Context, day: int) -> list[dt.date]:
    dates = []
    for month in range(1, 13):
        candidates = [d for d in context.business_days if d.month == month and d.day <= day]
        dates.append(candidates[-1] if candidates else context.business_days[0])
    return dates


def _render(template: str, day: dt.date, number: int, ref: int) -> str:
    return template.format(
        month=_MONTHS[day.month - 1],
        q=(day.month - 1) // 3 + 1,
        year=day.year,
        week=day.isocalendar().week,
        n=number,
        ref=f"{day.year}-{ref:05d}",
        day=f"{day.day:02d}-{day.month:02d}-{day.year}",
    )


def _kind_stream(
    kind: _Kind, order: int, total: int, n_tx: int, context: _Context, rng: np.random.Generator
) -> Iterator[_Draft]:
    """All bookings of one kind in date order; arrays first, objects one transaction at a time."""
    if kind.monthly:
        dates = _monthly_dates(context, 5)
    else:
        picks = np.sort(rng.integers(0, len(context.business_days), n_tx))
        dates = [context.business_days[i] for i in picks]
    n_credit = 0
    if kind.credit_notes and n_tx > 1:
        n_credit = min(n_tx - 1, max(kind.min_credit_notes, rng.binomial(n_tx, kind.credit_notes)))
    is_credit = np.zeros(n_tx, dtype=bool)
    is_credit[rng.choice(n_tx, n_credit, replace=False)] = True
    sizes = np.where(is_credit, 1, 1 + rng.binomial(kind.max_lines - 1, _EXTRA_LINE_CHANCE, n_tx))
    line_credit = np.repeat(is_credit, sizes)
    n_lines = len(line_credit)

    credited = round(total * rng.uniform(0.01, 0.05)) if n_credit else 0
    amounts = np.zeros(n_lines, dtype=np.int64)
    sigma = 0.3 if kind.monthly else 0.9
    amounts[~line_credit] = _allocate(
        total + credited, rng.lognormal(0, sigma, int((~line_credit).sum())), 100
    )
    amounts[line_credit] = -_allocate(credited, rng.lognormal(0, sigma, n_credit), 100)
    amounts *= kind.sign

    weights = np.array([w for _, w, _ in kind.accounts])
    account_pick = rng.choice(len(kind.accounts), n_lines, p=weights / weights.sum()).tolist()
    centres = _centres(kind, account_pick, context, rng)
    # Python lists: indexing numpy scalars one by one is what makes big runs slow.
    templates = rng.integers(0, len(kind.descriptions), n_lines).tolist()
    numbers = rng.integers(2, 40, n_lines).tolist()
    refs = rng.integers(1, 99_999, n_lines).tolist()
    parties = rng.integers(0, len(kind.parties), n_tx).tolist()
    invoice_numbers = rng.integers(10_000, 999_999, n_tx).tolist()
    cents, credit_flags, stops = amounts.tolist(), is_credit.tolist(), np.cumsum(sizes).tolist()

    start = 0
    for tx, stop in enumerate(stops):
        day, lines = dates[tx], []
        for line in range(start, stop):
            text = _render(kind.descriptions[templates[line]], day, numbers[line], refs[line])
            if credit_flags[tx]:
                text = f"Creditnota: {text}"
            base = kind.accounts[account_pick[line]][0]
            lines.append(_line(context, base, centres[line], cents[line], text))
        if kind.contra == 1600:
            label = "Creditnota" if credit_flags[tx] else "Factuur"
            description = f"{label} {kind.parties[parties[tx]]} {invoice_numbers[tx]}"
        else:
            description = lines[0].description
        lines.append(_line(context, kind.contra, "", -sum(cents[start:stop]), description))
        start = stop
        yield day, order, tx, kind.journal, description, lines


def _centres(
    kind: _Kind, account_pick: list[int], context: _Context, rng: np.random.Generator
) -> list[str]:
    """Cost centre per line from the account's policy; "mixed" is ICT 60 % of the time."""
    count = len(account_pick)
    to_ict = (rng.random(count) < 0.6).tolist()
    departments = [context.departments[i] for i in rng.integers(0, len(context.departments), count)]
    centres = []
    for line, pick in enumerate(account_pick):
        policy = kind.accounts[pick][2]
        if policy == "ict" or (policy == "mixed" and to_ict[line]):
            centres.append(context.centres.ict)
        elif policy == "ict_training":
            centres.append(context.centres.ict_training)
        else:
            centres.append("" if policy == "none" else departments[line])
    return centres


def _payroll_stream(
    context: _Context, ict_cents: int, other_cents: int, rng: np.random.Generator
) -> Iterator[_Draft]:
    """One salary journal per month, per cost centre, plus the payment of it."""
    month_weights = np.ones(12) * np.exp(rng.normal(0, 0.02, 12))
    month_weights[4] += 0.96  # holiday allowance (8 %) in May
    month_weights[11] += 1.0  # year-end bonus (8.3 %) in December
    social_share = rng.uniform(0.21, 0.26)
    centres = (context.centres.ict, *context.departments)
    centre_totals = [ict_cents, *_allocate(other_cents, rng.lognormal(0, 0.4, len(centres) - 1))]
    per_month = [_allocate(int(total), month_weights) for total in centre_totals]
    dates = _monthly_dates(context, 24)
    for month, day in enumerate(dates):
        name = _MONTHS[month]
        extra = {4: " incl. vakantiegeld", 11: " incl. eindejaarsuitkering"}.get(month, "")
        lines = []
        for centre, months in zip(centres, per_month, strict=True):
            social = round(int(months[month]) * social_share)
            gross = int(months[month]) - social
            salary_text = f"Salarissen {name} {context.year}{extra}"
            lines.append(_line(context, 4100, centre, gross, salary_text))
            social_text = f"Sociale lasten {name} {context.year}"
            lines.append(_line(context, 4110, centre, social, social_text))
        total = sum(int(m[month]) for m in per_month)
        description = f"Salarisjournaal {name} {context.year}"
        lines.append(_line(context, 1700, "", -total, description))
        yield day, 0, 2 * month, "SAL", description, lines
        paid = f"Uitbetaling salarissen {name} {context.year}"
        payment = [_line(context, 1700, "", total, paid), _line(context, 1100, "", -total, paid)]
        yield day, 0, 2 * month + 1, "BNK", paid, payment


def _transactions(plan: _Plan, rng: np.random.Generator) -> Iterator[Transaction]:
    context = plan.context
    stream_rngs = rng.spawn(len(plan.streams) + 1)
    streams = [
        _payroll_stream(
            context, plan.ict_cents["own_personnel"], plan.salaries_cents, stream_rngs[0]
        )
    ]
    for order, (kind, cents, n_tx) in enumerate(plan.streams, start=1):
        streams.append(_kind_stream(kind, order, cents, n_tx, context, stream_rngs[order]))
    counters = dict.fromkeys(_JOURNAL_DIGITS, 0)
    prefix = f"{context.year % 100:02d}"
    for day, _, _, journal, description, lines in heapq.merge(*streams, key=lambda d: d[:3]):
        counters[journal] += 1
        number = f"{prefix}-{_JOURNAL_DIGITS[journal]}{counters[journal]:06d}"
        yield Transaction(journal, number, day, description, lines)


def ict_spend_cents(
    municipality: Municipality, fiscal_year: int, seed: int = 2024
) -> dict[str, int]:
    """The ICT money per category in the ledger `write_demo_data` writes for this year, in cents.

    Money does not depend on `volume` (only line counts do), so this is the ledger's own figure.
    """
    rng = ledger_rng(seed, municipality, fiscal_year)
    return dict(_plan(municipality, fiscal_year, rng, 1.0).ict_cents)


def iter_transactions(
    municipality: Municipality,
    fiscal_year: int,
    rng: np.random.Generator,
    *,
    volume: float = 1.0,
) -> Iterator[Transaction]:
    """Stream the full, balanced general ledger of one municipality-year in booking order."""
    yield from _transactions(_plan(municipality, fiscal_year, rng, volume), rng)


def generate_ledger(
    municipality: Municipality,
    fiscal_year: int,
    rng: np.random.Generator,
    *,
    volume: float = 1.0,
) -> list[Transaction]:
    """The full ledger of one municipality-year as a list; big runs use iter_transactions."""
    return list(iter_transactions(municipality, fiscal_year, rng, volume=volume))


# --- ledger.csv in Dutch dialects -------------------------------------------------------------


@dataclass(frozen=True)
class CsvDialect:
    encoding: str  # "cp1252", "utf-8-sig" (with BOM) or "utf-8"
    line_terminator: str
    amounts: str  # "trailing_minus", "leading_minus" or "debet_credit"
    thousands: bool
    columns: tuple[tuple[str, str], ...]  # (canonical column, header as written)
    empty_amount: str = ""  # what the unused side of debet/credit shows


def _columns(pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple((canonical, header) for canonical, header in map(_pair, pairs.split()))


def _pair(text: str) -> tuple[str, str]:
    canonical, header = text.split("=")
    return canonical, header


CSV_DIALECTS: dict[str, CsvDialect] = {
    "cp1252_debet_credit": CsvDialect(
        "cp1252",
        "\r\n",
        "debet_credit",
        True,
        _columns(
            "boekdatum=boekdatum dagboek=dagboek boekstuk=boekstuk rekening=rekening "
            "rekening_omschrijving=rekening_omschrijving rekeningsoort=rekeningsoort "
            "kostenplaats=kostenplaats kostensoort=kostensoort omschrijving=omschrijving "
            "debet=debet credit=credit"
        ),
    ),
    "bom_trailing_minus": CsvDialect(
        "utf-8-sig",
        "\r\n",
        "trailing_minus",
        True,
        _columns(
            "boekdatum=Datum dagboek=Dagboek boekstuk=Boekstuknummer regel=Regelnummer "
            "rekening=Grootboekrekening rekening_omschrijving=Omschrijving_rekening "
            "rekeningsoort=Balans/Resultaat kostenplaats=Kpl kostensoort=Kostensoort "
            "omschrijving=Omschrijving bedrag=Bedrag"
        ),
    ),
    "utf8_leading_minus": CsvDialect(
        "utf-8",
        "\n",
        "leading_minus",
        False,
        _columns(
            "boekdatum=date dagboek=journal boekstuk=transaction_id regel=line_number "
            "rekening=account_code rekening_omschrijving=account_name kostenplaats=cost_centre "
            "kostensoort=cost_type omschrijving=description bedrag=amount"
        ),
    ),
    "cp1252_trailing_minus": CsvDialect(
        "cp1252",
        "\r\n",
        "trailing_minus",
        False,
        _columns(
            "boekdatum=transactiedatum dagboek=dagboek boekstuk=boekstuknummer "
            "rekening=grootboek rekening_omschrijving=omschrijving_rekening "
            "kostenplaats=kostenplaats omschrijving=omschrijving bedrag=saldo"
        ),
    ),
    "bom_debet_credit": CsvDialect(
        "utf-8-sig",
        "\n",
        "debet_credit",
        False,
        _columns(
            "boekdatum=booking_date dagboek=journal boekstuk=boekstuk regel=regelnummer "
            "rekening=rekeningnummer rekening_omschrijving=account_name kostenplaats=cost_center "
            "kostensoort=kostensoort omschrijving=description debet=debit credit=credit"
        ),
        empty_amount="0,00",
    ),
    "cp1252_leading_minus": CsvDialect(
        "cp1252",
        "\r\n",
        "leading_minus",
        True,
        _columns(
            "boekdatum=DATUM dagboek=DAGBOEK boekstuk=BOEKSTUK regel=REGEL rekening=GROOTBOEK "
            "kostenplaats=KPL kostensoort=KOSTENSOORT omschrijving=OMSCHRIJVING bedrag=BEDRAG"
        ),
    ),
}

# A package's export with column names of its own (Key2-like): only the municipality's
# delivery profile (OWN_LEDGER_PROFILE) makes it readable. Kept apart from CSV_DIALECTS, which
# the national generator spreads over every municipality.
OWN_DIALECTS: dict[str, CsvDialect] = {
    "key2_own": CsvDialect(
        "utf-8-sig",
        "\r\n",
        "trailing_minus",
        True,
        _columns(
            "boekdatum=Boekingsdatum dagboek=Dagboek boekstuk=Documentnr. rekening=Grootboek "
            "rekening_omschrijving=Omschrijving_grootboek kostenplaats=Kostenplaats "
            "kostensoort=Kostensoort omschrijving=Tekst bedrag=Bedrag_boeking"
        ),
    ),
}
OWN_LEDGER_PROFILE = {
    "columns": {
        "transaction_id": "Documentnr.",
        "account_name": "Omschrijving_grootboek",
        "description": "Tekst",
        "amount": "Bedrag_boeking",
    }
}


def format_amount(cents: int, *, thousands: bool = False, minus: str = "leading") -> str:
    """Dutch notation: `1.234,56`, `-1234,56` or `1.234,56-`."""
    euros, rest = divmod(abs(cents), 100)
    whole = f"{euros:,}".replace(",", ".") if thousands else str(euros)
    text = f"{whole},{rest:02d}"
    if cents >= 0:
        return text
    return f"{text}-" if minus == "trailing" else f"-{text}"


def _amount_cells(cents: int, dialect: CsvDialect) -> dict[str, str]:
    if dialect.amounts == "debet_credit":
        plain = format_amount(abs(cents), thousands=dialect.thousands)
        if cents >= 0:
            return {"debet": plain, "credit": dialect.empty_amount}
        return {"debet": dialect.empty_amount, "credit": plain}
    minus = "trailing" if dialect.amounts == "trailing_minus" else "leading"
    return {"bedrag": format_amount(cents, thousands=dialect.thousands, minus=minus)}


_ACCOUNT_TYPE_WORDS = {"B": "Balans", "P": "Exploitatie", "M": ""}


def write_ledger_csv(
    path: Path,
    municipality: Municipality,
    fiscal_year: int,
    transactions: Iterable[Transaction],
    accounts: Sequence[Account],
) -> None:
    """ledger.csv in the municipality's dialect; the account names travel on every line."""
    dialect = {**CSV_DIALECTS, **OWN_DIALECTS}[municipality.csv_dialect]
    fields = [canonical for canonical, _ in dialect.columns]
    # the package's words for balance sheet and operating account (XAF accTp B and P)
    account_types = {a.code: _ACCOUNT_TYPE_WORDS[a.account_type] for a in accounts}
    with Path(path).open("w", encoding=dialect.encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator=dialect.line_terminator)
        writer.writerow([header for _, header in dialect.columns])
        dates: dict[dt.date, str] = {}
        for tx in transactions:
            date_text = dates.get(tx.booking_date) or dates.setdefault(
                tx.booking_date, tx.booking_date.strftime("%d-%m-%Y")
            )
            for number, line in enumerate(tx.lines, start=1):
                values = {
                    "boekdatum": date_text,
                    "dagboek": tx.journal,
                    "boekstuk": tx.number,
                    "regel": str(number),
                    "rekening": line.account,
                    "rekening_omschrijving": line.account_name,
                    "rekeningsoort": account_types.get(line.account, ""),
                    "kostenplaats": line.cost_centre,
                    "kostensoort": line.cost_type,
                    "omschrijving": line.description,
                    **_amount_cells(int(line.amount.scaleb(2)), dialect),
                }
                writer.writerow([values[name] for name in fields])


# --- CBS reference files ----------------------------------------------------------------------

GEMEENTEN_HEADER = (
    "Gemeentecode",
    "GemeentecodeGM",
    "Gemeentenaam",
    "Provinciecode",
    "ProvinciecodePV",
    "Provincienaam",
)


def _alphabetical(name: str) -> str:
    # CBS sorts "'s-Gravenhage" under G.
    for prefix in ("'s-", "'t "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.casefold()


def write_gemeenten_csv(path: Path, municipalities: Sequence[Municipality]) -> None:
    """The CBS list 'gemeenten alfabetisch' (comma, UTF-8, CRLF) for the given municipalities."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(GEMEENTEN_HEADER)
        for m in sorted(municipalities, key=lambda m: _alphabetical(m.name)):
            writer.writerow(
                [m.cbs_number, m.code, m.name, m.province_code, m.province_pv, m.province_name]
            )


BEVOLKING_TITLE = "Tabel 1. Bevolking op 1 januari; gemeenten;;;"
BEVOLKING_HEADER = ("Gemeentenaam", "Gemeentecode", "Perioden", "Bevolking op 1 januari (aantal)")


def write_bevolking_csv(
    path: Path, municipalities: Sequence[Municipality], years: Sequence[int]
) -> None:
    """Inhabitants on 1 January as a CBS StatLine CSV export: BOM, CRLF, title and source rows."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(f"{BEVOLKING_TITLE}\r\n;;;\r\n")
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(BEVOLKING_HEADER)
        for m in sorted(municipalities, key=lambda m: m.code):
            for year in years:
                writer.writerow([m.statline_name, m.code, str(year), str(m.inhabitants_on(year))])
        handle.write(";;;\r\nBron: CBS;;;\r\n")


# --- everything at once -----------------------------------------------------------------------


class _Counting:
    """Passes transactions through while counting them and their lines."""

    def __init__(self, transactions: Iterable[Transaction]) -> None:
        self._transactions = transactions
        self.transactions = 0
        self.lines = 0

    def __iter__(self) -> Iterator[Transaction]:
        for tx in self._transactions:
            self.transactions += 1
            self.lines += len(tx.lines)
            yield tx


def ledger_rng(seed: int, municipality: Municipality, fiscal_year: int) -> np.random.Generator:
    """The random stream of one municipality-year, independent of every other one."""
    return np.random.default_rng([seed, int(municipality.cbs_number), fiscal_year])


def mapping_rng(seed: int, municipality: Municipality) -> np.random.Generator:
    return np.random.default_rng([seed, int(municipality.cbs_number), 0])


def write_demo_data(
    out_dir: Path,
    *,
    seed: int = 2024,
    years: Sequence[int] = TABLE_YEARS,
    volume: float = 1.0,
    municipalities: Sequence[Municipality] = MUNICIPALITIES,
    ledger_writers: Mapping[str, LedgerWriter] | None = None,
) -> dict:
    """Write reference files, account mappings and one ledger per municipality-year.

    `ledger_writers` maps a municipality's `ledger_format` to a writer called as
    `writer(path, municipality, fiscal_year, transactions, accounts)`; "csv" is built in.
    """
    out_dir = Path(out_dir)
    writers: dict[str, LedgerWriter] = {"csv": write_ledger_csv, **(ledger_writers or {})}
    reference = out_dir / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    files = [reference / "gemeenten.csv", reference / "bevolking.csv", reference / "README.md"]
    write_gemeenten_csv(files[0], municipalities)
    write_bevolking_csv(files[1], municipalities, years)
    write_reference_readme(files[2], municipalities, years)

    deliveries: dict[str, dict[str, object]] = {}
    for municipality in municipalities:
        folder = out_dir / "deliveries" / municipality.code
        folder.mkdir(parents=True, exist_ok=True)
        files.append(folder / "account_mapping.csv")
        write_account_mapping(
            files[-1], generate_account_mapping(municipality, mapping_rng(seed, municipality))
        )
        accounts = chart_of_accounts(municipality)
        for year in years:
            path, summary = _write_ledger(
                folder / str(year), municipality, year, seed, volume, writers, accounts
            )
            files.append(path)
            deliveries[f"{municipality.code}/{year}"] = summary
    return {
        "out_dir": str(out_dir),
        "files": len(files),
        "bytes": sum(f.stat().st_size for f in files),
        "ledger_lines": sum(int(d["lines"]) for d in deliveries.values()),
        "deliveries": deliveries,
    }


def _write_ledger(
    folder: Path,
    municipality: Municipality,
    year: int,
    seed: int,
    volume: float,
    writers: Mapping[str, LedgerWriter],
    accounts: Sequence[Account],
) -> tuple[Path, dict[str, object]]:
    fmt = municipality.ledger_format
    if fmt not in writers:
        raise ValueError(f"{municipality.code}: no writer for ledger format '{fmt}'")
    folder.mkdir(parents=True, exist_ok=True)
    for other in writers:  # one ledger per slot: drop a previous run's other format
        if other != fmt:
            (folder / f"ledger.{other}").unlink(missing_ok=True)
    rng = ledger_rng(seed, municipality, year)
    plan = _plan(municipality, year, rng, volume)
    counted = _Counting(_transactions(plan, rng))
    path = folder / f"ledger.{fmt}"
    writers[fmt](path, municipality, year, counted, accounts)
    ict = _cents_to_decimal(plan.ict_total_cents)
    per_inhabitant = ict / municipality.inhabitants_on(year)
    return path, {
        "file": path.name,
        "transactions": counted.transactions,
        "lines": counted.lines,
        "ict_eur": str(ict),
        "unclassified_eur": str(_cents_to_decimal(plan.ict_cents["unclassified"])),
        "ict_eur_per_inhabitant": str(per_inhabitant.quantize(Decimal("0.01"))),
    }
