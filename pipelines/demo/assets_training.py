"""Deterministic demo asset registers and HR training records, in the layouts real tools export.

Volumes follow the field: 6-8 employees per 1 000 inhabitants (plus a fixed core staff), about
1.1 end-user devices per employee plus screens and phones, a few servers and network devices.
Purchase dates spread over up to twice a replacement cycle, so some devices are overdue.
Rows are capped (`max_employees`, scaled by `volume`) so that the committed demo stays small;
above the cap every count shrinks by the same factor, keeping the ratios per employee.

`style` picks the export layout, so the demo exercises every reader path:
  0 TOPdesk CSV, Windows-1252      1 Lansweeper XLSX
  2 TOPdesk XLSX with title rows   3 Lansweeper CSV, UTF-8 with BOM
and, for training.csv, Dutch headers in Windows-1252 (even style) or English headers in UTF-8
with BOM (odd style). Training files carry fake names and e-mail addresses: the reader drops them.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.demo.files import dutch_amount, write_csv, write_xlsx

# --- hardware ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Device:
    asset_class: str
    per_employee: float  # devices per employee (workplace devices: split in _assets)
    fixed: int  # devices regardless of size
    price: tuple[int, int]  # euro, uniform range
    cycle: int  # replacement cycle in years (also the depreciation period)
    prefix: str  # TOPdesk object number prefix
    nl: tuple[str, ...]  # how TOPdesk users name the kind
    en: tuple[str, ...]  # how Lansweeper names the asset type
    infrastructure: bool = False


_DEVICES = (
    _Device("laptop", 0.0, 0, (780, 1450), 4, "NB", ("Laptop", "Notebook"), ("Laptop",)),
    _Device("desktop", 0.0, 0, (620, 1050), 5, "PC", ("Desktop",), ("Desktop",)),
    _Device("thin_client", 0.0, 0, (290, 460), 6, "TC", ("Thin client",), ("Thin Client",)),
    _Device("monitor", 0.85, 0, (140, 330), 6, "MON", ("Beeldscherm",), ("Monitor",)),
    _Device("phone", 0.55, 0, (280, 920), 3, "TEL", ("Smartphone",), ("Smartphone",)),
    _Device("tablet", 0.05, 0, (390, 880), 3, "TAB", ("Tablet",), ("Tablet",)),
    _Device("printer", 1 / 30, 1, (750, 5800), 5, "PRN", ("Multifunctional",), ("Printer",)),
    _Device("server", 1 / 80, 2, (4200, 16500), 5, "SRV", ("Server",), ("Server",), True),
    _Device("storage", 1 / 400, 1, (7500, 42000), 5, "STO", ("NAS", "Storage"), ("NAS",), True),
    _Device(
        "network",
        1 / 30,
        4,
        (320, 9500),
        7,
        "NET",
        ("Switch", "Firewall", "Access point"),
        ("Switch", "Router", "Firewall"),
        True,
    ),
)
# A municipality that keeps its register in a workbook of its own names things its own way; its
# delivery profile (OWN_PROFILE) says what it means. "Cisco switch" it forgot: the benchmark
# counts those as other and says so.
_OWN_KINDS = {
    "laptop": ("Laptop (Dell Latitude)",),
    "desktop": ("Windows werkplek",),
    "thin_client": ("Thin client",),
    "monitor": ("Scherm 24 inch",),
    "phone": ("Mobiel (iPhone)",),
    "tablet": ("iPad",),
    "printer": ("Ricoh MFP",),
    "server": ("VMware host",),
    "storage": ("NetApp opslag",),
    "network": ("Cisco switch", "Firewall"),
}
_STATUSES_OWN = {"in_use": "Uitgeleend", "in_stock": "Magazijn", "retired": "Afgevoerd"}
_OWN_REGISTER = ("Naam", "Soort middel", "Aanschaf", "Waarde (€)", "Gebruik", "Budgethouder")
_OWN_UNDATED = 0.02  # the share of its devices whose purchase date nobody filled in
_STATUSES_NL = {"in_use": "In gebruik", "in_stock": "Voorraad", "retired": "Afgevoerd"}
_STATUSES_EN = {"in_use": "Active", "in_stock": "In stock", "retired": ("Disposed", "Broken")}
_DEFAULT_COST_CENTRES = ("7100", "4100", "3100", "2100", "1000", "6100", "5100")

_TOPDESK = (
    "Objectnummer",
    "Objectsoort",
    "Aanschafdatum",
    "Aanschafprijs",
    "Status",
    "Kostenplaats",
    "Afschrijvingstermijn (jaren)",
)
_LANSWEEPER = (
    "AssetID",
    "AssetType",
    "PurchaseDate",
    "PurchasePrice",
    "State",
    "CostCenter",
)


@dataclass(frozen=True)
class _AssetStyle:
    tool: str  # topdesk | lansweeper
    suffix: str  # .csv | .xlsx
    encoding: str  # for CSV
    title_rows: bool  # XLSX with a title above the header


ASSET_STYLES = (
    _AssetStyle("topdesk", ".csv", "cp1252", False),
    _AssetStyle("lansweeper", ".xlsx", "", False),
    _AssetStyle("topdesk", ".xlsx", "", True),
    _AssetStyle("lansweeper", ".csv", "utf-8-sig", False),
)


@dataclass(frozen=True)
class _Asset:
    number: int
    device: _Device
    kind_text: str
    purchase_date: dt.date
    price_cents: int
    status: str
    status_text: str
    cost_centre: str


# --- people -----------------------------------------------------------------------------------

_FIRST_NAMES = (
    "Jan", "Sanne", "Pieter", "Fleur", "Mohamed", "Emma", "Daan", "Lotte", "Ömer", "Noor",
    "Kees", "Anouk", "José", "Fatima", "Bram", "Inge", "Ahmed", "Marieke", "Thijs", "Zoë",
    "Henk", "Esra", "Ruud", "Chantal", "Sven", "Priya", "Wouter", "Linda", "Youssef", "Renée",
)  # fmt: skip
_LAST_NAMES = (
    ("", "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("", "Bakker"), ("", "Visser"),
    ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"), ("de", "Groot"),
    ("", "Bos"), ("", "Vos"), ("", "Peters"), ("", "Hendriks"), ("van", "Leeuwen"),
    ("", "Dekker"), ("", "Yılmaz"), ("", "Çelik"), ("", "El Amrani"), ("van", "Dijk"),
    ("", "Kramer"), ("", "Jacobs"), ("", "Brouwer"), ("van der", "Linden"), ("", "Koç"),
)  # fmt: skip
_DEPARTMENTS = (
    ("Sociaal Domein", "Social Services", 0.26),
    ("Publiekszaken", "Public Services", 0.14),
    ("Ruimte", "Spatial Planning", 0.16),
    ("Openbare Ruimte", "Public Works", 0.14),
    ("Bedrijfsvoering", "Operations", 0.12),
    ("Financiën", "Finance", 0.07),
    ("I&A", "IT", 0.06),
    ("Bestuur", "Council Office", 0.05),
)
_FTE_VALUES = (1.0, 0.89, 0.78, 0.67, 0.56, 0.5)
_FTE_WEIGHTS = (0.45, 0.24, 0.15, 0.09, 0.04, 0.03)


@dataclass(frozen=True)
class _Course:
    name: str
    ict: bool
    hours: float
    cost: int  # euro per participant; 0 for in-house courses


_COURSES = (
    _Course("Microsoft 365 basis", True, 4, 0),
    _Course("Excel gevorderd", True, 8, 345),
    _Course("Informatiebeveiliging awareness", True, 2, 0),
    _Course("Werken met Teams en SharePoint", True, 3, 0),
    _Course("Power BI voor analisten", True, 16, 895),
    _Course("ITIL 4 Foundation", True, 21, 1450),
    _Course("Azure Fundamentals", True, 14, 1150),
    _Course("Digitale toegankelijkheid", True, 6, 425),
    _Course("Klantgericht schrijven", False, 7, 395),
    _Course("Omgevingswet in de praktijk", False, 12, 750),
    _Course("Leidinggeven aan verandering", False, 24, 2400),
    _Course("Projectmatig werken", False, 16, 990),
    _Course("BHV herhaling", False, 4, 165),
    _Course("Integriteit en ambtseed", False, 3, 0),
    _Course("Gespreksvaardigheden", False, 10, 640),
)
_CATEGORY_NL = {True: ("ICT", "Digitale vaardigheden"), False: ("Vakinhoudelijk", "Overig")}
_CATEGORY_EN = {True: ("ICT", "Digital skills"), False: ("Professional", "Other")}
_TRAINING_NL = (
    "Personeelsnummer", "Naam", "E-mail", "Afdeling", "FTE", "Opleiding", "Categorie", "Uren",
    "Kosten", "Datum",
)  # fmt: skip
# an HR system's own export (AFAS-like): its own headers and its own word for non-ICT courses
_TRAINING_OWN = (
    "Medewerker", "Naam", "E-mail", "Afdeling", "FTE", "Opleiding", "Opleidingstype",
    "Studiebelasting", "Kosten", "Begindatum",
)  # fmt: skip
_CATEGORY_OWN = {True: ("Digitaal", "ICT"), False: ("Vakgebied", "Persoonlijke ontwikkeling")}
_TRAINING_EN = (
    "EmployeeID", "Name", "Email", "Department", "FTE", "Course", "Course category", "Hours",
    "Cost", "Date",
)  # fmt: skip


@dataclass(frozen=True)
class _Employee:
    number: int
    name: str
    email: str
    department: int  # index into _DEPARTMENTS
    fte: float


# ICT roles as HR systems write them (see the role vocabulary of the data contract); one word is
# picked per employee. The own layout uses words only its delivery profile explains, and one it
# forgot ("Projectleider digitalisering"): the benchmark counts that as other and says so.
_ROLE_WORDS = {
    "nl": {
        "information_management": ("Informatiemanagement", "I-adviseur"),
        "functional_management": ("Functioneel beheer",),
        "information_security": ("Informatiebeveiliging",),
        "privacy": ("Privacy",),
        "data_bi": ("Data en BI",),
        "ict_operations": ("ICT-beheer", "Applicatiebeheer", "Servicedesk"),
    },
    "en": {
        "information_management": ("Information management",),
        "functional_management": ("Functional management",),
        "information_security": ("Information security",),
        "privacy": ("Privacy officer",),
        "data_bi": ("Data analyst",),
        "ict_operations": ("IT operations",),
    },
    "own": {
        "information_management": (
            "Regisseur informatievoorziening",
            "Projectleider digitalisering",
        ),
        "functional_management": ("Applicatiespecialist",),
        "information_security": ("Adviseur informatieveiligheid",),
        "privacy": ("Privacyjurist",),
        "data_bi": ("Data-analist",),
        "ict_operations": ("Werkplekspecialist",),
    },
}
_ROLE_HEADER = {"nl": "Rol", "en": "Role", "own": "Rol I&A"}
_OWN_UNMAPPED_ROLES = ("Projectleider digitalisering",)
# How regie (every ICT role but operations) splits; functional managers sit in the departments.
_REGIE_SPLIT = {
    "functional_management": 0.4,
    "information_management": 0.22,
    "data_bi": 0.14,
    "information_security": 0.12,
    "privacy": 0.12,
}
_IN_DEPARTMENTS = ("functional_management", "privacy")


@dataclass(frozen=True)
class RoleMix:
    """Which employees hold an ICT role: `ict_share` of them, `regie_share` of those in regie."""

    ict_share: float
    regie_share: float
    rng: np.random.Generator  # a stream of its own, so the other columns stay as they were


# --- public -----------------------------------------------------------------------------------

# What a municipality that delivers in its own layouts writes in its delivery_profile.yml.
OWN_PROFILE = {
    "assets": {
        "columns": dict(zip(
            ("asset_id", "asset_class", "purchase_date", "purchase_price", "status", "cost_centre"),
            _OWN_REGISTER, strict=True,
        )),
        "values": {
            "asset_class": {
                word: kind
                for kind, words in _OWN_KINDS.items()
                for word in words
                if word not in ("Cisco switch", "Thin client", "iPad", "Firewall")
            },
            "status": {"Uitgeleend": "in_use", "Magazijn": "in_stock"},
        },
        "sheet": "Hardware",
    },
    "training": {
        "columns": {
            "employee_id": "Medewerker",
            "course_category": "Opleidingstype",
            "hours": "Studiebelasting",
            "training_date": "Begindatum",
            "role": _ROLE_HEADER["own"],
        },
        "values": {
            "course_category": {"Vakgebied": "other"},
            "role": {
                word: role
                for role, words in _ROLE_WORDS["own"].items()
                for word in words
                if word not in _OWN_UNMAPPED_ROLES
            },
        },
    },
}  # fmt: skip


def write_assets_and_training(
    out_dir: Path,
    municipality_code: str,
    fiscal_year: int,
    inhabitants: int,
    rng: np.random.Generator | random.Random,
    *,
    style: int,
    volume: float = 1.0,
    max_employees: int = 400,
    cost_centres: Sequence[str] | None = None,
    own_layouts: frozenset[str] = frozenset(),
    roles: RoleMix | None = None,
) -> None:
    """Write `<out>/deliveries/<GM>/<year>/assets.{csv,xlsx}` and `training.csv`.

    `cost_centres`: the municipality's cost centres, the first being the ICT department's (pass
    the ledger's, so assets and ledger agree); a generic numbering otherwise.
    `own_layouts`: the kinds ("assets", "training") this municipality exports in a layout of its
    own, which only its delivery profile (OWN_PROFILE) makes readable.
    `roles`: who holds an ICT role; without it the HR records have no role column.
    """
    generator = _numpy_rng(rng)
    folder = Path(out_dir) / "deliveries" / municipality_code / str(fiscal_year)
    folder.mkdir(parents=True, exist_ok=True)
    realistic = 25 + inhabitants / 1000 * generator.uniform(6.0, 8.0)
    employees = max(5, round(min(realistic, max_employees) * volume))
    centres = tuple(cost_centres or _DEFAULT_COST_CENTRES)
    asset_style = (
        _AssetStyle("own", ".xlsx", "", True)
        if "assets" in own_layouts
        else ASSET_STYLES[style % len(ASSET_STYLES)]
    )
    assets = _assets(generator, employees, fiscal_year, asset_style.tool, centres)
    for stale in folder.glob("assets.*"):
        stale.unlink()  # one delivery per slot: a CSV must not linger next to a new XLSX
    target = folder / f"assets{asset_style.suffix}"
    as_text = asset_style.suffix == ".csv"
    header, rows = _asset_table(assets, asset_style.tool, as_text, generator)
    if as_text:
        write_csv(target, header, rows, asset_style.encoding)
    else:
        title = (
            [f"TOPdesk - Objecten export {municipality_code}", f"Peildatum 31-12-{fiscal_year}"]
            if asset_style.title_rows
            else []
        )
        if asset_style.tool == "own":
            title = [f"Overzicht ICT-middelen gemeente ({municipality_code}), 31-12-{fiscal_year}"]
        sheet = "Hardware" if asset_style.tool == "own" else "Objecten"
        stamp = dt.datetime(fiscal_year + 1, 1, 15, 8, 0)
        write_xlsx(target, header, rows, title, stamp, sheet)
    people = _employees(generator, employees, municipality_code)
    english = style % 2 == 1 and "training" not in own_layouts
    layout = "own" if "training" in own_layouts else ("en" if english else "nl")
    role_words = _roles(roles, people, layout) if roles else None
    header, rows = _training_table(generator, people, fiscal_year, layout, role_words)
    write_csv(folder / "training.csv", header, rows, "utf-8-sig" if english else "cp1252")


# --- assets -----------------------------------------------------------------------------------


def _numpy_rng(rng: np.random.Generator | random.Random) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng.getrandbits(64))


def _assets(
    rng: np.random.Generator, employees: int, year: int, tool: str, centres: Sequence[str]
) -> list[_Asset]:
    year_end = dt.date(year, 12, 31)
    # Workplaces (1.1 per employee) split into laptops, desktops and thin clients per municipality.
    laptops = rng.uniform(0.6, 0.95)
    desktops = (1 - laptops) * rng.uniform(0.2, 0.8)
    workplace = {"laptop": laptops, "desktop": desktops, "thin_client": 1 - laptops - desktops}
    assets: list[_Asset] = []
    number = int(rng.integers(1000, 9000)) * 10
    for device in _DEVICES:
        rate = 1.1 * workplace.get(device.asset_class, 0.0) + device.per_employee
        count = device.fixed + int(rng.poisson(employees * rate))
        for _ in range(count):
            number += int(rng.integers(1, 4))
            assets.append(_one_asset(rng, device, number, year_end, tool, centres))
    return sorted(assets, key=lambda asset: asset.number)


def _one_asset(
    rng: np.random.Generator,
    device: _Device,
    number: int,
    year_end: dt.date,
    tool: str,
    centres: Sequence[str],
) -> _Asset:
    # Ages up to twice the cycle: about a quarter of the devices is past replacement.
    age_days = int(rng.uniform(0, device.cycle * 1.6) * 365.25)
    purchased = year_end - dt.timedelta(days=age_days)
    overdue = age_days > device.cycle * 365.25
    draw = rng.random()
    if overdue and draw < 0.35:
        status = "retired"
    elif age_days < 120 and draw < 0.25:
        status = "in_stock"
    else:
        status = "in_use" if draw > 0.02 else "in_stock"
    names = {"topdesk": device.nl, "own": _OWN_KINDS[device.asset_class]}.get(tool, device.en)
    status_names = {"topdesk": _STATUSES_NL, "own": _STATUSES_OWN}.get(tool, _STATUSES_EN)
    status_text = status_names[status]
    if isinstance(status_text, tuple):
        status_text = status_text[int(rng.integers(len(status_text)))]
    centre = centres[0] if device.infrastructure else centres[int(rng.integers(len(centres)))]
    low, high = device.price
    return _Asset(
        number=number,
        device=device,
        kind_text=names[int(rng.integers(len(names)))],
        purchase_date=purchased,
        price_cents=int(rng.integers(low, high + 1)) * 100 + int(rng.choice([0, 0, 0, 50, 95])),
        status=status,
        status_text=status_text,
        cost_centre=centre,
    )


def _asset_table(
    assets: Sequence[_Asset], tool: str, as_text: bool, rng: np.random.Generator
) -> tuple[Sequence[str], list[list[object]]]:
    """Rows as the tool writes them: text for CSV, typed cells (dates, numbers) for XLSX."""
    rows: list[list[object]] = []
    for asset in assets:
        bought: object = asset.purchase_date
        price: object = asset.price_cents / 100
        if as_text:
            bought = f"{asset.purchase_date:%d-%m-%Y}"
            price = _price_text(asset.price_cents, tool, rng)
        if tool == "topdesk":
            number: object = f"{asset.device.prefix}{asset.number:06d}"
            extra: list[object] = [asset.device.cycle]
        elif tool == "own":
            number, extra = f"ICT-{asset.number}", []
            if rng.random() < _OWN_UNDATED:
                bought = None
        else:
            number, extra = asset.number, []
        row = [number, asset.kind_text, bought, price, asset.status_text]
        rows.append([*row, asset.cost_centre, *extra])
    header = {"topdesk": _TOPDESK, "own": _OWN_REGISTER}.get(tool, _LANSWEEPER)
    return header, rows


def _price_text(cents: int, tool: str, rng: np.random.Generator) -> str:
    """TOPdesk writes `1.249,00` (whole euros sometimes `1.249,-`); Lansweeper `1249,00`."""
    if tool != "topdesk":
        return f"{cents // 100},{cents % 100:02d}"
    if cents % 100 == 0 and rng.random() < 0.3:
        return dutch_amount(cents)[:-3] + ",-"
    return dutch_amount(cents)


# --- training ---------------------------------------------------------------------------------


def _employees(rng: np.random.Generator, count: int, code: str) -> list[_Employee]:
    weights = np.array([share for _, _, share in _DEPARTMENTS])
    departments = rng.choice(len(_DEPARTMENTS), size=count, p=weights / weights.sum())
    ftes = rng.choice(len(_FTE_VALUES), size=count, p=_FTE_WEIGHTS)
    first_number = int(rng.integers(100_000, 400_000))
    numbers = first_number + np.sort(rng.choice(count * 8, size=count, replace=False))
    people = []
    for i in range(count):
        first = _FIRST_NAMES[int(rng.integers(len(_FIRST_NAMES)))]
        infix, last = _LAST_NAMES[int(rng.integers(len(_LAST_NAMES)))]
        full_name = " ".join(part for part in (first, infix, last) if part)
        local = f"{_ascii(first)[0]}.{_ascii(infix + last)}"
        people.append(
            _Employee(
                number=int(numbers[i]),
                name=full_name,
                email=f"{local}@{code.lower()}.example",
                department=int(departments[i]),
                fte=_FTE_VALUES[int(ftes[i])],
            )
        )
    return people


def _ascii(text: str) -> str:
    flat = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return re.sub(r"[^a-z]", "", flat.encode("ascii", "ignore").decode().lower())


def _training_table(
    rng: np.random.Generator,
    people: Sequence[_Employee],
    year: int,
    layout: str,
    role_words: Sequence[str] | None = None,
) -> tuple[Sequence[str], list[list[object]]]:
    """`layout`: nl or en (the HR exports the readers know), own (one only a profile reads).
    `role_words`: each employee's ICT role ("" for none), written after the FTE."""
    english = layout == "en"
    share_trained = rng.uniform(0.5, 0.75)
    ict_department = next(i for i, d in enumerate(_DEPARTMENTS) if d[0] == "I&A")
    categories = {"en": _CATEGORY_EN, "own": _CATEGORY_OWN}.get(layout, _CATEGORY_NL)
    rows: list[list[object]] = []
    for index, person in enumerate(people):
        department = _DEPARTMENTS[person.department][1 if english else 0]
        base = [str(person.number), person.name, person.email, department, _nl(person.fte)]
        if role_words is not None:
            base.append(role_words[index])
        if rng.random() >= share_trained:
            rows.append([*base, "", "", "", "", ""])
            continue
        ict_bias = 0.75 if person.department == ict_department else 0.4
        for _ in range(1 + int(rng.poisson(0.5))):
            wants_ict = rng.random() < ict_bias
            pool = [c for c in _COURSES if c.ict == wants_ict]
            course = pool[int(rng.integers(len(pool)))]
            day = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
            category = categories[course.ict][int(rng.integers(2))]
            cost = dutch_amount(course.cost * 100) if course.cost else ""
            rows.append([*base, course.name, category, _nl(course.hours), cost, f"{day:%d-%m-%Y}"])
    header = list({"en": _TRAINING_EN, "own": _TRAINING_OWN}.get(layout, _TRAINING_NL))
    if role_words is not None:
        header.insert(header.index("FTE") + 1, _ROLE_HEADER[layout])
    return header, rows


def _roles(mix: RoleMix, people: Sequence[_Employee], layout: str) -> list[str]:
    """One role word per employee ("" for no ICT role): operations, information management,
    security and data come from the I&A department first, functional management and privacy
    from the other departments first."""
    rng = mix.rng
    ict_department = next(i for i, d in enumerate(_DEPARTMENTS) if d[0] == "I&A")
    in_ict = [i for i, p in enumerate(people) if p.department == ict_department]
    elsewhere = [i for i, p in enumerate(people) if p.department != ict_department]
    rng.shuffle(in_ict)
    rng.shuffle(elsewhere)
    holders = max(1, round(len(people) * mix.ict_share))
    regie = round(holders * mix.regie_share)
    names = list(_REGIE_SPLIT)
    shares = np.array(list(_REGIE_SPLIT.values()))
    wanted = [names[i] for i in rng.choice(len(names), size=regie, p=shares / shares.sum())]
    wanted += ["ict_operations"] * (holders - regie)
    words = [""] * len(people)
    for role in wanted:
        first, then = (elsewhere, in_ict) if role in _IN_DEPARTMENTS else (in_ict, elsewhere)
        queue = first or then
        if not queue:
            break
        choices = _ROLE_WORDS[layout][role]
        words[queue.pop()] = choices[int(rng.integers(len(choices)))]
    return words


def _nl(number: float) -> str:
    """0.89 -> `0,89`, 8.0 -> `8`."""
    return f"{number:g}".replace(".", ",")
