"""The bundled demo drop zone: reference data, mappings, ledgers (CSV and XAF), assets, training
and application portfolios."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from pipelines.contract.profile import PROFILE_FILE
from pipelines.demo.applications import write_applications
from pipelines.demo.assets_training import OWN_PROFILE, RoleMix, write_assets_and_training
from pipelines.demo.ledgers import (
    OWN_LEDGER_PROFILE,
    Account,
    Transaction,
    cost_centres,
    write_demo_data,
)
from pipelines.demo.municipalities import MUNICIPALITIES, Municipality
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf

# These municipalities deliver their ledger as an XAF 3.2 auditfile instead of a CSV.
XAF_MUNICIPALITIES = ("GM0014", "GM0687", "GM0088")
# These municipalities export in layouts of their own and deliver a delivery profile saying what
# their headers and words mean: an asset register workbook (title row, own device words, some
# devices without a purchase date), HR records with their own headers, a ledger with its own
# column names.
OWN_LAYOUTS = {"GM0358": "assets", "GM0197": "training", "GM1680": "ledger"}
# Asset registers and HR records at real size (every employee, every device) would make the demo
# tens of MB; only municipalities up to this size deliver them, the others show the mart's
# "not delivered" reasons, as in real life where not every municipality delivers every source.
PEOPLE_AND_ASSETS_MAX_INHABITANTS = 60_000


# Regie (information management, functional management, security, privacy, data) as a share of
# the ICT roles in the first year, and its yearly change: some municipalities invest in regie,
# others mostly keep ICT running.
REGIE_SHARE = (0.25, 0.6)
REGIE_CHANGE = (-0.04, 0.0, 0.05, 0.1)


def role_mix(seed: int, municipality: Municipality, year: int) -> RoleMix:
    """Who holds an ICT role in this municipality-year: a few % of the staff."""
    own = np.random.default_rng([seed, int(municipality.cbs_number), 0, 3])
    first, change = own.uniform(*REGIE_SHARE), own.choice(REGIE_CHANGE)
    rng = np.random.default_rng([seed, int(municipality.cbs_number), year, 3])
    regie = float(np.clip(first + change * (year - min(municipality.inhabitants)), 0.1, 0.85))
    return RoleMix(ict_share=rng.uniform(0.035, 0.06), regie_share=regie, rng=rng)


def write_ledger_xaf(
    path: Path,
    municipality: Municipality,
    fiscal_year: int,
    transactions: list[Transaction],
    accounts: list[Account],
) -> None:
    write_xaf(
        path,
        header={"fiscal_year": fiscal_year, "company_name": f"Gemeente {municipality.name}"},
        accounts=[(a.code, a.name, a.account_type) for a in accounts],
        transactions=(
            XafTransaction(
                t.journal,
                t.number,
                t.booking_date,
                t.description,
                [
                    XafLine(x.account, x.amount, x.cost_centre or None, x.description)
                    for x in t.lines
                ],
            )
            for t in transactions
        ),
    )


def demo_municipalities() -> list[Municipality]:
    municipalities = []
    for m in MUNICIPALITIES:
        if m.code in XAF_MUNICIPALITIES:
            m = replace(m, ledger_format="xaf")
        if OWN_LAYOUTS.get(m.code) == "ledger":
            m = replace(m, csv_dialect="key2_own")
        municipalities.append(m)
    return municipalities


def write_profile(out_dir: Path, code: str, kind: str) -> None:
    """The delivery profile of a municipality that exports `kind` in a layout of its own."""
    section = OWN_LEDGER_PROFILE if kind == "ledger" else OWN_PROFILE[kind]
    path = Path(out_dir) / "deliveries" / code / PROFILE_FILE
    text = yaml.safe_dump({kind: section}, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(
        f"# Delivery profile of {code}: what our own export's headers and words mean.\n" + text,
        encoding="utf-8",
    )


def write_demo(out_dir: Path, *, seed: int = 2024, volume: float = 1.0) -> dict:
    """Write the whole demo drop zone; the same seed gives the same bytes."""
    municipalities = demo_municipalities()
    summary = write_demo_data(
        Path(out_dir),
        seed=seed,
        volume=volume,
        municipalities=municipalities,
        ledger_writers={"xaf": write_ledger_xaf},
    )
    registers = 0
    for index, municipality in enumerate(municipalities):
        centres = cost_centres(municipality)
        for year in sorted(municipality.inhabitants):
            if municipality.inhabitants_on(year) > PEOPLE_AND_ASSETS_MAX_INHABITANTS:
                continue
            write_assets_and_training(
                Path(out_dir),
                municipality.code,
                year,
                municipality.inhabitants_on(year),
                # its own stream, so that ledgers stay byte-identical when this changes
                np.random.default_rng([seed, int(municipality.cbs_number), year, 1]),
                style=index + year,
                volume=volume,
                max_employees=100_000,  # no cap: every employee, so that per-FTE figures are real
                cost_centres=(centres.ict, *centres.departments),
                own_layouts=frozenset({OWN_LAYOUTS.get(municipality.code)} - {None, "ledger"}),
                roles=role_mix(seed, municipality, year),
            )
            registers += 1
    portfolios = [write_applications(Path(out_dir), m, seed) for m in municipalities]
    for code, kind in OWN_LAYOUTS.items():
        write_profile(Path(out_dir), code, kind)
    return {
        **{key: summary[key] for key in ("files", "bytes", "ledger_lines")},
        "asset_and_training_deliveries": registers,
        "application_portfolios": sum(len(years) for years in portfolios),
        "applications": sum(sum(years.values()) for years in portfolios),
    }
