"""The demo's application portfolios and HR roles: deterministic, realistic, and with the cases
the mart's flags need (overlap, phase-out, SaaS moves, unknown components, gaps, reconciliation).

Files are read back with the csv module and openpyxl only, independent of the pipeline's readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import yaml

from pipelines.demo.applications import (
    HEADER,
    RECONCILIATION_OFF,
    UNKNOWN_COMPONENTS,
    write_applications,
)
from pipelines.demo.assets_training import write_assets_and_training
from pipelines.demo.generate import write_demo
from pipelines.demo.ledgers import ict_spend_cents, write_demo_data
from pipelines.demo.municipalities import MUNICIPALITIES, TABLE_YEARS, by_code

SEED_FILE = Path(__file__).resolve().parents[1] / "dbt_project/seeds/gemma_reference_components.csv"
PAID = ("In gebruik", "Uitfaseren")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo(out)


@pytest.fixture(scope="module")
def registers(demo) -> dict[tuple[str, int], list[dict[str, object]]]:
    out, _ = demo
    found = {}
    for path in sorted((out / "deliveries").glob("GM*/*/applications.*")):
        found[(path.parent.parent.name, int(path.parent.name))] = _read(path)
    return found


def _read(path: Path) -> list[dict[str, object]]:
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text), delimiter=";"))
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == HEADER[0])
    return [
        dict(zip(HEADER, ["" if c is None else c for c in r], strict=True))
        for r in rows[start + 1 :]
    ]


def _cents(value: object) -> int | None:
    if value in ("", None):
        return None
    if isinstance(value, int | float):
        return round(value * 100)
    return int(Decimal(str(value).replace(".", "").replace(",", ".")) * 100)


def _components(row: dict[str, object]) -> list[str]:
    return [c.strip() for c in str(row["GEMMA referentiecomponent"]).split(";") if c.strip()]


def _in_use(rows):
    return [r for r in rows if r["Status"] == "In gebruik"]


# --- applications -----------------------------------------------------------------------------


def test_same_seed_gives_identical_registers(demo, tmp_path):
    out, _ = demo
    for code in ("GM0363", "GM0344", "GM0088"):
        write_applications(tmp_path, by_code(code))
        for year in TABLE_YEARS:
            (path,) = (tmp_path / "deliveries" / code / str(year)).glob("applications.*")
            assert path.read_bytes() == (out / path.relative_to(tmp_path)).read_bytes()


def test_ledgers_stay_as_the_ledger_generator_writes_them(demo, tmp_path):
    out, _ = demo
    write_demo_data(tmp_path, municipalities=MUNICIPALITIES[:3])
    for path in (tmp_path / "deliveries").glob("GM*/*/ledger.*"):
        assert path.read_bytes() == (out / path.relative_to(tmp_path)).read_bytes()


def test_every_municipality_and_year_has_a_register_of_realistic_size(demo, registers):
    _, summary = demo
    municipalities = {code for code, _ in registers}
    assert len(municipalities) >= 12
    assert all((code, year) in registers for code in municipalities for year in TABLE_YEARS)
    assert summary["application_portfolios"] == len(registers)
    assert summary["applications"] == sum(len(rows) for rows in registers.values())
    for (code, year), rows in registers.items():
        assert 30 <= len(rows) <= 90, (code, year)
        names = [r["Applicatie"] for r in rows]
        assert len(names) == len(set(names)), (code, year)
    assert len(registers["GM0363", 2024]) > len(registers["GM0088", 2024]) + 15
    workbooks = {p.parent.parent.name for p in (demo[0] / "deliveries").glob("*/*/*.xlsx")}
    assert {"GM0344", "GM0687", "GM1680"} <= workbooks


def test_every_hr_municipality_delivers_a_register(demo, registers):
    out, _ = demo
    with_hr = {p.parent.parent.name for p in (out / "deliveries").glob("*/*/training.csv")}
    assert with_hr and with_hr <= {code for code, _ in registers}


def test_words_and_formats_are_the_shared_ones(demo, registers):
    out, _ = demo
    path = out / "deliveries" / "GM0363" / "2024" / "applications.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + ";".join(HEADER).encode())
    for rows in registers.values():
        for row in rows:
            assert row["Hosting"] in ("On-premises", "Gehost", "SaaS")
            assert row["Status"] in ("Gepland", "In gebruik", "Uitfaseren", "Uitgefaseerd")
            end = row["Einddatum contract"]
            if isinstance(end, str) and end:
                dt.datetime.strptime(end, "%d-%m-%Y")


def test_components_are_gemma_names_except_the_deliberate_ones(registers):
    with SEED_FILE.open(encoding="utf-8") as handle:
        known = {row["component_name"] for row in csv.DictReader(handle)}
    unknown = {
        (code, year, component)
        for (code, year), rows in registers.items()
        for row in rows
        for component in _components(row)
        if component not in known
    }
    deliberate = {(code, year, name) for (code, year, _), name in UNKNOWN_COMPONENTS.items()}
    assert unknown == deliberate
    assert any(len(_components(row)) > 1 for rows in registers.values() for row in rows)


def test_overlap_two_case_systems_in_tilburg(registers):
    for year in TABLE_YEARS:
        serving = defaultdict(list)
        for row in _in_use(registers["GM0855", year]):
            for component in _components(row):
                serving[component].append(row["Applicatie"])
        assert sorted(serving["Generiek zaakafhandelcomponent"]) == [
            "Decos JOIN Zaak & Document",
            "xxllnc Zaken",
        ]
    overlapping = {
        code
        for (code, _), rows in registers.items()
        for component in {c for r in _in_use(rows) for c in _components(r)}
        if sum(component in _components(r) for r in _in_use(rows)) > 1
    }
    assert len(overlapping) >= 5


def test_phase_outs_over_the_years(registers):
    def status(code: str, name: str) -> list[str | None]:
        return [
            next((r["Status"] for r in registers[code, y] if r["Applicatie"] == name), None)
            for y in TABLE_YEARS
        ]

    assert status("GM0080", "GWS4all") == ["Uitfaseren", "Uitgefaseerd", None]
    assert status("GM0093", "Microsoft Office 2019") == [
        "Uitfaseren",
        "Uitgefaseerd",
        "Uitgefaseerd",
    ]
    roxit = [code for code, y in registers if y == 2022 and status(code, "Rx.Mission")[0]]
    assert roxit
    for code in roxit:
        assert status(code, "Rx.Mission") == ["In gebruik", "Uitfaseren", "Uitgefaseerd"]
        assert status(code, "Squit20") == ["Gepland", "In gebruik", "In gebruik"]
    for rows in registers.values():
        for row in rows:
            if row["Status"] in ("Gepland", "Uitgefaseerd"):
                assert _cents(row["Licentiekosten per jaar"]) == 0


def test_saas_grows_over_the_years(registers):
    def saas_share(code: str, year: int) -> float:
        rows = _in_use(registers[code, year])
        return sum(r["Hosting"] == "SaaS" for r in rows) / len(rows)

    municipalities = {code for code, _ in registers}
    for code in municipalities:
        assert saas_share(code, TABLE_YEARS[0]) < saas_share(code, TABLE_YEARS[-1]), code
    moved = defaultdict(set)
    for code in municipalities:
        before = {r["Applicatie"]: r["Hosting"] for r in registers[code, TABLE_YEARS[0]]}
        for row in registers[code, TABLE_YEARS[-1]]:
            if (
                before.get(row["Applicatie"]) in ("On-premises", "Gehost")
                and row["Hosting"] == "SaaS"
            ):
                moved[code].add(row["Applicatie"])
    assert len(moved) == len(municipalities)


def test_the_flags_have_something_to_show(registers):
    ended = [
        (code, year)
        for (code, year), rows in registers.items()
        for row in _in_use(rows)
        if _date(row["Einddatum contract"]) < dt.date(year, 12, 31)
    ]
    assert len(ended) >= 10
    planned = [k for k, rows in registers.items() if any(r["Status"] == "Gepland" for r in rows)]
    assert len(planned) >= 5
    no_users = [k for k, rows in registers.items() for r in rows if r["Aantal gebruikers"] == ""]
    no_cost = [
        k for k, rows in registers.items() for r in rows if r["Licentiekosten per jaar"] == ""
    ]
    assert ("GM0599", 2023) in no_users and ("GM0358", 2024) in no_cost


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.datetime.strptime(str(value), "%d-%m-%Y").date()


def test_users_are_plausible_per_package(registers):
    for rows in registers.values():
        users = {r["Applicatie"]: r["Aantal gebruikers"] for r in rows}
        office = int(users["Microsoft 365"])  # a case system: most employees; a niche one: few
        assert int(users["Youforce"]) > 0.6 * office
        assert int(users["ValidSign"]) < 0.2 * office


def test_register_reconciles_with_the_ledger_except_where_it_should_not(registers):
    ratios = {}
    for (code, year), rows in registers.items():
        register = sum(
            _cents(r["Licentiekosten per jaar"]) or 0 for r in rows if r["Status"] in PAID
        )
        ledger = ict_spend_cents(by_code(code), year)
        ratios[code, year] = register / (ledger["software_licences"] + ledger["saas_cloud"])
    off = {key for key, ratio in ratios.items() if abs(ratio - 1) > 0.25}
    assert off == set(RECONCILIATION_OFF)
    assert all(abs(r - 1) <= 0.10 for key, r in ratios.items() if key not in RECONCILIATION_OFF)


def test_the_ledger_figure_is_the_ledger_s_own(tmp_path):
    municipality = by_code("GM0072")
    summary = write_demo_data(tmp_path, municipalities=[municipality], years=(2024,))
    ict = Decimal(summary["deliveries"]["GM0072/2024"]["ict_eur"])
    assert sum(ict_spend_cents(municipality, 2024).values()) == ict * 100


# --- HR roles ---------------------------------------------------------------------------------


def _training(path: Path) -> tuple[list[str], list[list[str]]]:
    data = path.read_bytes()
    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("cp1252")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return header, rows


def test_roles_are_per_employee_and_a_few_percent_of_the_staff(demo):
    out, _ = demo
    regie_shares = {}
    for path in sorted((out / "deliveries").glob("*/*/training.csv")):
        header, rows = _training(path)
        role_column = header.index("FTE") + 1
        assert header[role_column] in ("Rol", "Role", "Rol I&A")
        roles = defaultdict(set)
        for row in rows:
            roles[row[0]].add(row[role_column])
        assert all(len(r) == 1 for r in roles.values()), path
        holders = [r.pop() for r in roles.values()]
        ict = [role for role in holders if role]
        assert 1 <= len(ict) <= max(2, 0.08 * len(holders)), path
        operations = {"ICT-beheer", "Applicatiebeheer", "Servicedesk", "IT operations"}
        operations.add("Werkplekspecialist")
        if len(ict) >= 8:
            regie_shares[path] = sum(role not in operations for role in ict) / len(ict)
    # some municipalities mostly keep ICT running, others invest in regie
    assert min(regie_shares.values()) < 0.4 and max(regie_shares.values()) > 0.55


def test_own_hr_layout_maps_its_role_words_in_its_profile(demo):
    out, _ = demo
    profile = yaml.safe_load((out / "deliveries" / "GM0197" / "delivery_profile.yml").read_text())
    section = profile["training"]
    assert section["columns"]["role"] == "Rol I&A"
    words = set()
    for year in TABLE_YEARS:
        header, rows = _training(out / "deliveries" / "GM0197" / str(year) / "training.csv")
        words |= {row[header.index("Rol I&A")] for row in rows} - {""}
    mapped = set(section["values"]["role"])
    assert words - mapped == {"Projectleider digitalisering"}  # forgotten: counted as other
    assert len(words & mapped) >= 5


def test_hr_records_without_a_role_mix_have_no_role_column(tmp_path):
    write_assets_and_training(tmp_path, "GM0339", 2024, 5_631, np.random.default_rng(3), style=0)
    header, _ = _training(tmp_path / "deliveries" / "GM0339" / "2024" / "training.csv")
    assert "Rol" not in header and "FTE" in header
