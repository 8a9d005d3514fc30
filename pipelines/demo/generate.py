"""The bundled demo drop zone: reference data, mappings, ledgers (CSV and XAF), assets and training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipelines.demo.ledgers import Account, Transaction, write_demo_data
from pipelines.demo.municipalities import MUNICIPALITIES, Municipality
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf

# These municipalities deliver their ledger as an XAF 3.2 auditfile instead of a CSV.
XAF_MUNICIPALITIES = ("GM0014", "GM0687", "GM0088")


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
    return [
        replace(m, ledger_format="xaf") if m.code in XAF_MUNICIPALITIES else m
        for m in MUNICIPALITIES
    ]


def write_demo(out_dir: Path, *, seed: int = 2024, volume: float = 1.0) -> dict:
    """Write the whole demo drop zone; the same seed gives the same bytes."""
    summary = write_demo_data(
        Path(out_dir),
        seed=seed,
        volume=volume,
        municipalities=demo_municipalities(),
        ledger_writers={"xaf": write_ledger_xaf},
    )
    return {key: summary[key] for key in ("files", "bytes", "ledger_lines")}
