"""Deterministic demo application portfolios (`applications.csv` / `.xlsx`), one per
municipality-year: the landscape on 31 December as a municipality's own register exports it.

Every municipality runs one package per slot of the catalogue (its size decides which slots),
then the years tell stories: packages phased out (GWS4all, Office 2019, Rx.Mission at the
Omgevingswet), planned ones, moves to SaaS, overlaps, stale component names and gaps. The yearly
licence total is scaled to the ledger's software licences + SaaS, so the register reconciles
with the ledger, except where a story says it does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipelines.demo.application_catalogue import (
    GWS4ALL,
    IBABS,
    NOTUBIZ,
    OFFICE_2019,
    ON_PREMISES,
    PRIVATE_CLOUD,
    RX_MISSION,
    SAAS,
    SLOTS,
    SQUIT20,
    SUITE4,
    XXLLNC_ZAKEN,
    Package,
)
from pipelines.demo.files import dutch_amount, write_csv, write_xlsx
from pipelines.demo.ledgers import ict_spend_cents
from pipelines.demo.municipalities import TABLE_YEARS, Municipality

HEADER = (
    "Applicatie", "Leverancier", "Versie", "GEMMA referentiecomponent", "Hosting",
    "Licentiekosten per jaar", "Aantal gebruikers", "Afdeling", "Einddatum contract", "Status",
)  # fmt: skip
HOSTING_WORDS = {ON_PREMISES: "On-premises", PRIVATE_CLOUD: "Gehost", SAAS: "SaaS"}
PLANNED, IN_USE, PHASING_OUT, PHASED_OUT = "planned", "in_use", "phasing_out", "phased_out"
STATUS_WORDS = {
    PLANNED: "Gepland",
    IN_USE: "In gebruik",
    PHASING_OUT: "Uitfaseren",
    PHASED_OUT: "Uitgefaseerd",
}
# Only these carry a licence cost; a planned package is not paid yet, a phased-out one no more.
PAID = (IN_USE, PHASING_OUT)

# These keep their register in a workbook (Utrecht's with a title above the header).
XLSX_MUNICIPALITIES = {"GM0344": True, "GM0687": False, "GM1680": False}
# The register's licence total against the ledger's software licences + SaaS: the register of
# Deventer leaves out what its shared-service contract pays; Harlingen's 2024 register lists
# new contracts at the full-year price while the ledger booked a few months.
RECONCILIATION_OFF = {("GM0150", 2022): 0.62, ("GM0150", 2023): 0.6, ("GM0150", 2024): 0.64,
                      ("GM0072", 2024): 1.36}  # fmt: skip
# A component name GEMMA does not know: an old GEMMA-1 name, a typo, a shortened name.
UNKNOWN_COMPONENTS = {
    ("GM0687", 2022, "zaken"): "Zaaksysteem",
    ("GM0687", 2023, "zaken"): "Zaaksysteem",
    ("GM0034", 2023, "burgerzaken"): "Burgerzakencomponet",
    ("GM0339", 2024, "bag"): "BAG-beheer",
}
# Rows whose users (and cost) nobody filled in: (municipality, year) -> slots.
BLANK_USERS = {("GM0599", 2023): ("webcare", "etl", "camera"), ("GM0358", 2024): ("vpn",)}
BLANK_COST = {("GM0358", 2024): ("vpn", "kwetsbaarheden")}
# The Sociaal Domein moves from GWS4all to Suite4Sociaal Domein.
GWS4ALL_MIGRATIONS = ("GM0080", "GM0074", "GM0197")
# Small municipalities leave Office 2019 for Microsoft 365; some keep the old row in 2024.
OFFICE_MIGRATIONS = {"GM0072": False, "GM0339": False, "GM0093": True, "GM0060": True,
                     "GM0096": False, "GM0088": False}  # fmt: skip
_QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
SAAS_MOVE_CHANCE = 0.15  # per package and year, where the supplier offers SaaS
CONTRACT_ENDED_CHANCE = 0.05  # in use after its contract ended during or before the year


@dataclass
class _Entry:
    """One application's life over the demo years."""

    slot: str
    package: Package
    status: dict[int, str]  # year -> status; absent: not in the register that year
    hosting: dict[int, str] = field(default_factory=dict)
    cost_noise: float = 1.0
    users_noise: float = 1.0
    contract_end: dt.date = dt.date(2025, 12, 31)


@dataclass(frozen=True)
class ApplicationRow:
    name: str
    supplier: str
    version: str
    components: tuple[str, ...]
    hosting: str
    licence_cents: int | None
    users: int | None
    department: str
    contract_end: dt.date | None
    status: str
    slot: str


def employees_estimate(inhabitants: int) -> int:
    """About 7 employees per 1 000 inhabitants plus a core staff, as the HR records have it."""
    return round(25 + inhabitants / 1000 * 7)


def portfolio(municipality: Municipality, seed: int = 2024) -> dict[int, list[ApplicationRow]]:
    """The register rows of every demo year, sorted by application name."""
    rng = np.random.default_rng([seed, int(municipality.cbs_number), 0, 4])
    entries = _landscape(municipality, rng)
    _tell_stories(municipality, entries)
    _move_to_saas(entries, rng)
    for entry in entries:
        entry.cost_noise = float(np.exp(rng.normal(0, 0.25)))
        entry.users_noise = float(np.exp(rng.normal(0, 0.1)))
        month, day = _QUARTER_ENDS[int(rng.integers(len(_QUARTER_ENDS)))]
        entry.contract_end = dt.date(int(rng.integers(2022, 2027)), month, day)
    return {year: _rows(municipality, year, entries, seed) for year in TABLE_YEARS}


def _landscape(municipality: Municipality, rng: np.random.Generator) -> list[_Entry]:
    size = municipality.inhabitants_on(TABLE_YEARS[-1])
    entries = []
    for slot in SLOTS:
        if size < slot.min_inhabitants:
            continue
        package = slot.packages[int(rng.integers(len(slot.packages)))]
        if slot.key == "sociaal_domein" and municipality.code in GWS4ALL_MIGRATIONS:
            package = SUITE4
        if slot.key == "zaken" and municipality.code == "GM0193":
            package = next(p for p in slot.packages if p.name == "Mozard")
        if slot.key == "raadsinformatie" and municipality.code == "GM1680":
            package = NOTUBIZ
        hosting = package.hosting
        if hosting == ON_PREMISES and package.cloud_offer and rng.random() < 0.3:
            hosting = PRIVATE_CLOUD
        status = dict.fromkeys(TABLE_YEARS, IN_USE)
        entries.append(_Entry(slot.key, package, status, dict.fromkeys(TABLE_YEARS, hosting)))
    return entries


def _tell_stories(municipality: Municipality, entries: list[_Entry]) -> None:
    code = municipality.code
    first, second, third = TABLE_YEARS

    def add(slot: str, package: Package, status: dict[int, str]) -> None:
        entries.append(_Entry(slot, package, status, dict.fromkeys(status, package.hosting)))

    if code in GWS4ALL_MIGRATIONS:
        add("sociaal_domein", GWS4ALL, {first: PHASING_OUT, second: PHASED_OUT})
    if code in OFFICE_MIGRATIONS:
        kept = {third: PHASED_OUT} if OFFICE_MIGRATIONS[code] else {}
        add("kantoor", OFFICE_2019, {first: PHASING_OUT, second: PHASED_OUT, **kept})
    if any(e.package == RX_MISSION for e in entries):
        # The Omgevingswet (1 January 2024): Roxit's Rx.Mission makes way for Squit20.
        rx = next(e for e in entries if e.package == RX_MISSION)
        rx.status = {first: IN_USE, second: PHASING_OUT, third: PHASED_OUT}
        add("vth", SQUIT20, {first: PLANNED, second: IN_USE, third: IN_USE})
    if code == "GM0855":  # Tilburg: two case systems for the same job, every year
        decos = next(p for s in SLOTS if s.key == "zaken" for p in s.packages if "Decos" in p.name)
        for entry in entries:
            if entry.slot == "zaken":
                entry.package, entry.hosting = decos, dict.fromkeys(TABLE_YEARS, decos.hosting)
        add("zaken", XXLLNC_ZAKEN, dict.fromkeys(TABLE_YEARS, IN_USE))
    if code == "GM0193":  # Zwolle: from Mozard to xxllnc Zaken, both in use in 2024
        add("zaken", XXLLNC_ZAKEN, {second: PLANNED, third: IN_USE})
        mozard = next(e for e in entries if e.package.name == "Mozard")
        mozard.status[third] = PHASING_OUT
    if code == "GM1680":  # Aa en Hunze: iBabs next to Notubiz in 2023, Notubiz gone in 2024
        add("raadsinformatie", IBABS, {second: IN_USE, third: IN_USE})
        next(e for e in entries if e.package == NOTUBIZ).status[third] = PHASED_OUT


def _move_to_saas(entries: list[_Entry], rng: np.random.Generator) -> None:
    """Each year some packages move to the supplier's cloud; at least one per year."""
    for year in TABLE_YEARS[1:]:
        movable = [
            e for e in entries
            if e.package.cloud_offer and e.hosting[year] != SAAS and e.status.get(year) == IN_USE
        ]  # fmt: skip
        if not movable:
            continue
        moving = [e for e in movable if rng.random() < SAAS_MOVE_CHANCE]
        for entry in moving or [movable[int(rng.integers(len(movable)))]]:
            for later in TABLE_YEARS:
                if later >= year:
                    entry.hosting[later] = SAAS


def _rows(
    municipality: Municipality, year: int, entries: list[_Entry], seed: int
) -> list[ApplicationRow]:
    rng = np.random.default_rng([seed, int(municipality.cbs_number), year, 4])
    inhabitants = municipality.inhabitants_on(year)
    employees = employees_estimate(inhabitants)
    scale = (inhabitants / 100_000) ** 0.85
    key = (municipality.code, year)
    rows, raw_costs = [], []
    for entry in sorted(entries, key=lambda e: e.package.name.casefold()):
        status = entry.status.get(year)
        if status is None:
            continue
        package, hosting = entry.package, entry.hosting[year]
        saas_premium = 1.25 if hosting == SAAS and package.hosting != SAAS else 1.0
        paid = status in PAID and entry.slot not in BLANK_COST.get(key, ())
        raw_costs.append(
            package.yearly_cost * scale * entry.cost_noise * saas_premium if paid else None
        )
        users = package.users if package.users >= 2 else package.users * employees
        components = package.components
        unknown = UNKNOWN_COMPONENTS.get((municipality.code, year, entry.slot))
        if unknown and package.components:
            components = (unknown, *package.components[1:])
        rows.append(
            ApplicationRow(
                name=package.name,
                supplier=package.supplier,
                version=_version(package, hosting, year),
                components=components,
                hosting=hosting,
                licence_cents=0 if status not in PAID else None,
                users=None
                if entry.slot in BLANK_USERS.get(key, ())
                else max(1, round(users * entry.users_noise)),
                department=package.department,
                contract_end=_contract_end(entry, status, year, rng),
                status=status,
                slot=entry.slot,
            )
        )
    target = _register_target_cents(municipality, year, seed, rng)
    total = sum(cost for cost in raw_costs if cost)
    return [
        row
        if cost is None
        else replace(row, licence_cents=round(cost / total * target / 100) * 100)
        for row, cost in zip(rows, raw_costs, strict=True)
    ]


def _register_target_cents(
    municipality: Municipality, year: int, seed: int, rng: np.random.Generator
) -> float:
    ledger = ict_spend_cents(municipality, year, seed)
    software = ledger["software_licences"] + ledger["saas_cloud"]
    factor = RECONCILIATION_OFF.get((municipality.code, year)) or rng.uniform(0.95, 1.04)
    return software * factor


def _version(package: Package, hosting: str, year: int) -> str:
    """The first year's version, one release further each year; SaaS has no version of its own."""
    if hosting == SAAS or not package.version:
        return ""
    if package.version in package.name:  # Office 2019 stays 2019
        return package.version
    years_on = year - TABLE_YEARS[0]
    head, _, tail = package.version.partition(".")
    if head.isdigit() and len(head) == 4:  # year releases: 2021.2 -> 2023.2 two years on
        return f"{int(head) + years_on}.{tail}" if tail else str(int(head) + years_on)
    if tail.isdigit():
        return f"{head}.{int(tail) + years_on}"
    return package.version


def _contract_end(entry: _Entry, status: str, year: int, rng: np.random.Generator) -> dt.date:
    year_end = dt.date(year, 12, 31)
    if status == PHASED_OUT:
        return dt.date(year - 1, 12, 31) if entry.status.get(year - 1) != IN_USE else year_end
    if status == PHASING_OUT:
        return year_end
    if status == IN_USE and rng.random() < CONTRACT_ENDED_CHANCE:
        return dt.date(year, int(rng.choice([3, 6, 9])), 30)  # ran out, still in use
    end = entry.contract_end
    while end <= year_end:
        end = end.replace(year=end.year + 4)  # renewed for four years
    return end


def write_applications(
    out_dir: Path, municipality: Municipality, seed: int = 2024
) -> dict[int, int]:
    """Write the register of every demo year; returns the rows written per year."""
    written = {}
    for year, rows in portfolio(municipality, seed).items():
        folder = Path(out_dir) / "deliveries" / municipality.code / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("applications.*"):
            stale.unlink()  # one delivery per slot
        if municipality.code in XLSX_MUNICIPALITIES:
            titled = XLSX_MUNICIPALITIES[municipality.code]
            title = [f"Applicatielandschap gemeente {municipality.name}", f"Peildatum 31-12-{year}"]
            write_xlsx(
                folder / "applications.xlsx",
                HEADER,
                [_cells(row, as_text=False) for row in rows],
                title if titled else [],
                dt.datetime(year + 1, 1, 20, 9, 0),
                sheet_name="Applicaties",
                creator="TOPdesk",
            )
        else:
            write_csv(
                folder / "applications.csv",
                HEADER,
                [_cells(row, as_text=True) for row in rows],
                "utf-8-sig",
            )
        written[year] = len(rows)
    return written


def _cells(row: ApplicationRow, *, as_text: bool) -> list[object]:
    """A CSV row as text (Dutch amounts and dates), a workbook row as typed cells."""
    components = "; ".join(row.components)
    cost: object = None if row.licence_cents is None else row.licence_cents / 100
    end: object = row.contract_end
    if as_text:
        cost = "" if row.licence_cents is None else dutch_amount(row.licence_cents)
        end = f"{row.contract_end:%d-%m-%Y}" if row.contract_end else ""
    users: object = row.users if row.users is not None else ("" if as_text else None)
    return [
        row.name, row.supplier, row.version, components, HOSTING_WORDS[row.hosting], cost, users,
        row.department, end, STATUS_WORDS[row.status],
    ]  # fmt: skip
