"""National-scale demo drop zone: all 342 municipalities of 2023, volumes proportional to inhabitants.

`national_municipalities.csv` beside this module holds the CBS code, name, StatLine name and
province of every municipality on the CBS list "gemeenten alfabetisch" 2023, and inhabitants on
1 January 2022-2024. The 20 demo municipalities carry the figures of municipalities.py (`source` =
demo; which of them are checked against CBS: data_raw/reference/README.md). CBS figures
for the other 322 are not available offline, so theirs are synthetic (`source` = synthetic): a
log-normal draw (median 26 000, sigma 0.95, between 900 and 300 000) keyed by the SHA-256 of the
CBS code, scaled so that the national total on 1 January 2024 is 17 942 942 (CBS), and shrunk by
0.7 % a year for 2023 and 2022. `python -m pipelines.demo.national table GEMEENTEN STATLINE`
rebuilds the file from the CBS list and any StatLine export by municipality (for the names).

`write_national` writes every municipality's account mapping and ledger (a third XAF, a third
Windows-1252 CSV, a third UTF-8 CSV, spread evenly over the size range), and asset register and
training records, in parallel over municipalities; the same scale and seed give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import multiprocessing
import os
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import openpyxl

from pipelines.demo.assets_training import write_assets_and_training
from pipelines.demo.generate import write_ledger_xaf
from pipelines.demo.ledgers import (
    CHART_STYLES,
    COST_CENTRE_STYLES,
    CSV_DIALECTS,
    Transaction,
    chart_of_accounts,
    cost_centres,
    generate_account_mapping,
    iter_transactions,
    ledger_rng,
    mapping_rng,
    write_account_mapping,
    write_bevolking_csv,
    write_gemeenten_csv,
    write_ledger_csv,
)
from pipelines.demo.municipalities import MUNICIPALITIES, PROVINCES, TABLE_YEARS, Municipality

TABLE_FILE = Path(__file__).with_name("national_municipalities.csv")
TABLE_COLUMNS = (
    "code",
    "name",
    "statline_name",
    "province_code",
    *(f"inhabitants_{year}" for year in TABLE_YEARS),
    "source",
)
NATIONAL_TOTAL_2024 = 17_942_942
YEARLY_GROWTH = 0.007
LINES_PER_INHABITANT = 10_000_000 / NATIONAL_TOTAL_2024  # scale 1: about 10 million lines
FORMATS = ("xaf", "cp1252", "utf8")
_DIALECTS = {
    family: tuple(
        name
        for name, dialect in CSV_DIALECTS.items()
        if (dialect.encoding == "cp1252") == (family == "cp1252")
    )
    for family in FORMATS[1:]
}
_PROBE_VOLUMES = (2.0, 4.0)


# --- the municipality table ---------------------------------------------------------------------


def _synthetic_count(code: str) -> float:
    digest = hashlib.sha256(code.encode()).digest()
    uniform = (int.from_bytes(digest[:8], "big") + 0.5) / 2**64
    z = statistics.NormalDist().inv_cdf(uniform)
    return min(max(26_000 * np.exp(0.95 * z), 900), 300_000)


def derive_table(gemeenten_csv: Path, statline_csv: Path) -> list[dict[str, str]]:
    """Rows of national_municipalities.csv from the CBS list and a StatLine export (for names)."""
    with Path(gemeenten_csv).open(encoding="utf-8-sig", newline="") as handle:
        listed = list(csv.DictReader(handle))
    statline = _statline_names(statline_csv)
    known = {m.code: m for m in MUNICIPALITIES}
    synthetic = {r["GemeentecodeGM"]: _synthetic_count(r["GemeentecodeGM"]) for r in listed}
    for code in known:
        synthetic.pop(code, None)
    remaining = NATIONAL_TOTAL_2024 - sum(m.inhabitants_on(2024) for m in known.values())
    factor = remaining / sum(synthetic.values())
    rows = []
    for record in sorted(listed, key=lambda r: r["GemeentecodeGM"]):
        code = record["GemeentecodeGM"]
        if code in known:
            counts = [known[code].inhabitants_on(year) for year in TABLE_YEARS]
        else:
            latest = synthetic[code] * factor
            counts = [round(latest / (1 + YEARLY_GROWTH) ** (2024 - y)) for y in TABLE_YEARS]
        rows.append(
            dict(
                zip(
                    TABLE_COLUMNS,
                    [
                        code,
                        record["Gemeentenaam"],
                        statline.get(code, record["Gemeentenaam"]),
                        record["Provinciecode"].zfill(2),
                        *map(str, counts),
                        "demo" if code in known else "synthetic",
                    ],
                    strict=True,
                )
            )
        )
    return rows


def _statline_names(path: Path) -> dict[str, str]:
    names = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle, delimiter=";"):
            if len(row) >= 2 and row[1].startswith("GM"):
                names[row[1]] = row[0]
    return names


def write_table(rows: Sequence[dict[str, str]], path: Path = TABLE_FILE) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, TABLE_COLUMNS, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def national_municipalities(seed: int = 2024) -> tuple[Municipality, ...]:
    """All 342 municipalities with demo knobs; the 20 demo ones keep theirs, except the format."""
    with TABLE_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    known = {m.code: m for m in MUNICIPALITIES}
    municipalities = [_municipality(row, known.get(row["code"]), seed) for row in rows]
    return tuple(_assign_formats(municipalities, seed))


def _municipality(row: dict[str, str], known: Municipality | None, seed: int) -> Municipality:
    inhabitants = {year: int(row[f"inhabitants_{year}"]) for year in TABLE_YEARS}
    if known is not None:
        return replace(known, statline_name=row["statline_name"], inhabitants=inhabitants)
    rng = np.random.default_rng([seed, int(row["code"][2:]), 1])
    return Municipality(
        code=row["code"],
        name=row["name"],
        statline_name=row["statline_name"],
        province_code=row["province_code"],
        province_name=PROVINCES[row["province_code"]],
        inhabitants=inhabitants,
        ict_eur_per_inhabitant=float(np.clip(rng.lognormal(np.log(95), 0.18), 60, 160)),
        ict_growth=float(rng.uniform(0.03, 0.05)),
        chart_style=str(rng.choice(sorted(CHART_STYLES))),
        cost_centre_style=str(rng.choice(sorted(COST_CENTRE_STYLES))),
        csv_dialect="",  # chosen with the ledger format
    )


def _assign_formats(municipalities: list[Municipality], seed: int) -> Iterator[Municipality]:
    """Each run of three by size gets XAF, Windows-1252 CSV and UTF-8 CSV in a seeded order."""
    demo = {m.code for m in MUNICIPALITIES}
    by_size = sorted(municipalities, key=lambda m: (-m.inhabitants_on(2024), m.code))
    family: dict[str, str] = {}
    for start in range(0, len(by_size), 3):
        order = np.random.default_rng([seed, start, 2]).permutation(len(FORMATS))
        for municipality, pick in zip(by_size[start : start + 3], order, strict=False):
            family[municipality.code] = FORMATS[pick]
    for municipality in municipalities:
        chosen = family[municipality.code]
        if chosen == "xaf":
            yield replace(municipality, ledger_format="xaf")
            continue
        dialects = _DIALECTS[chosen]
        rng = np.random.default_rng([seed, int(municipality.cbs_number), 3])
        dialect = municipality.csv_dialect
        if municipality.code not in demo or dialect not in dialects:
            dialect = dialects[int(rng.integers(len(dialects)))]
        yield replace(municipality, ledger_format="csv", csv_dialect=dialect)


# --- one municipality's deliveries ----------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    out_dir: Path
    municipality: Municipality
    fiscal_year: int
    seed: int
    lines_wanted: float
    asset_volume: float
    # a history writes each municipality's mapping once, not once per year
    write_mapping: bool = True


def _ledger_lines(municipality: Municipality, year: int, seed: int, volume: float) -> int:
    rng = ledger_rng(seed, municipality, year)
    return sum(len(tx.lines) for tx in iter_transactions(municipality, year, rng, volume=volume))


def ledger_volume(municipality: Municipality, year: int, seed: int, lines_wanted: float) -> float:
    """The `volume` that gives about `lines_wanted` lines: line counts are linear in volume."""
    low, high = _PROBE_VOLUMES
    at_low = _ledger_lines(municipality, year, seed, low)
    at_high = _ledger_lines(municipality, year, seed, high)
    per_volume = max((at_high - at_low) / (high - low), 1e-9)
    fixed = at_low - low * per_volume
    return max((lines_wanted - fixed) / per_volume, 0.01)


class _Counted:
    def __init__(self, transactions: Iterable[Transaction]) -> None:
        self._transactions = transactions
        self.lines = 0

    def __iter__(self) -> Iterator[Transaction]:
        for tx in self._transactions:
            self.lines += len(tx.lines)
            yield tx


def _write_municipality(task: _Task) -> dict[str, object]:
    municipality, year, seed = task.municipality, task.fiscal_year, task.seed
    folder = task.out_dir / "deliveries" / municipality.code
    (folder / str(year)).mkdir(parents=True, exist_ok=True)
    if task.write_mapping:
        write_municipality_mapping(task.out_dir, municipality, seed)
    volume = ledger_volume(municipality, year, seed, task.lines_wanted)
    transactions = _Counted(
        iter_transactions(municipality, year, ledger_rng(seed, municipality, year), volume=volume)
    )
    fmt = municipality.ledger_format
    path = folder / str(year) / f"ledger.{fmt}"
    writer = write_ledger_xaf if fmt == "xaf" else write_ledger_csv
    writer(path, municipality, year, transactions, chart_of_accounts(municipality))
    summary: dict[str, object] = {
        "code": municipality.code,
        "inhabitants": municipality.inhabitants_on(year),
        "format": _format_family(municipality),
        "encoding": "utf-8" if fmt == "xaf" else CSV_DIALECTS[municipality.csv_dialect].encoding,
        "fiscal_year": year,
        "ledger_file": str(path.relative_to(task.out_dir)),
        "ledger_lines": transactions.lines,
        "ledger_bytes": path.stat().st_size,
    }
    if task.asset_volume > 0:
        summary.update(_write_assets_training(task))
    return summary


def write_municipality_mapping(out_dir: Path, municipality: Municipality, seed: int) -> None:
    rules = generate_account_mapping(municipality, mapping_rng(seed, municipality))
    folder = Path(out_dir) / "deliveries" / municipality.code
    folder.mkdir(parents=True, exist_ok=True)
    write_account_mapping(folder / "account_mapping.csv", rules)


def _format_family(municipality: Municipality) -> str:
    if municipality.ledger_format == "xaf":
        return "xaf"
    return "cp1252" if CSV_DIALECTS[municipality.csv_dialect].encoding == "cp1252" else "utf8"


def _write_assets_training(task: _Task) -> dict[str, int]:
    municipality, year = task.municipality, task.fiscal_year
    rng = np.random.default_rng([task.seed, int(municipality.cbs_number), year, 4])
    centres = cost_centres(municipality)
    write_assets_and_training(
        task.out_dir,
        municipality.code,
        year,
        municipality.inhabitants_on(year),
        rng,
        style=int(rng.integers(4)),
        volume=task.asset_volume,
        max_employees=10**9,
        cost_centres=(centres.ict, *centres.departments),
    )
    folder = task.out_dir / "deliveries" / municipality.code / str(year)
    register = next(folder.glob("assets.*"))
    return {
        "asset_rows": _xlsx_rows(register) if register.suffix == ".xlsx" else _data_lines(register),
        "training_rows": _data_lines(folder / "training.csv"),
    }


def _data_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def _xlsx_rows(path: Path) -> int:
    """Rows under the header (the first row with three or more filled cells)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        for row in rows:
            if sum(value is not None for value in row) >= 3:
                break
        return sum(1 for row in rows if any(value is not None for value in row))
    finally:
        workbook.close()


# --- everything at once ---------------------------------------------------------------------------


def write_national(
    out_dir: Path,
    *,
    scale: float,
    seed: int = 2024,
    fiscal_year: int = 2024,
    codes: Sequence[str] | None = None,
    assets_training: bool = True,
    processes: int | None = None,
) -> dict:
    """Write the national drop zone; scale 1 is about 10 million ledger lines.

    codes: only these municipalities deliver (the reference files still list all 342).
    """
    out_dir = Path(out_dir)
    everyone = national_municipalities(seed)
    chosen = [m for m in everyone if codes is None or m.code in set(codes)]
    if codes is not None and len(chosen) != len(set(codes)):
        unknown = sorted(set(codes) - {m.code for m in chosen})
        raise ValueError(f"not municipalities of 2023: {', '.join(unknown)}")
    reference = out_dir / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    write_gemeenten_csv(reference / "gemeenten.csv", everyone)
    write_bevolking_csv(reference / "bevolking.csv", everyone, TABLE_YEARS)
    tasks = [
        _Task(
            out_dir,
            m,
            fiscal_year,
            seed,
            scale * LINES_PER_INHABITANT * m.inhabitants_on(fiscal_year),
            scale if assets_training else 0.0,
        )
        for m in sorted(chosen, key=lambda m: -m.inhabitants_on(fiscal_year))
    ]
    workers = processes or min(2, os.cpu_count() or 1)
    # spawn: the caller may run threads (a test runner, Dagster), and fork would copy their locks
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        deliveries = sorted(
            pool.imap_unordered(_write_municipality, tasks), key=lambda d: str(d["code"])
        )
        pool.close()  # let the workers finish on their own: terminate() needs a working SIGTERM
        pool.join()
    return _summary(out_dir, scale, seed, fiscal_year, deliveries)


def _summary(
    out_dir: Path, scale: float, seed: int, fiscal_year: int, deliveries: list[dict]
) -> dict:
    by_format: dict[str, dict[str, int]] = {}
    for delivery in deliveries:
        counts = by_format.setdefault(str(delivery["format"]), {"files": 0, "lines": 0})
        counts["files"] += 1
        counts["lines"] += int(delivery["ledger_lines"])
    return {
        "out_dir": str(out_dir),
        "scale": scale,
        "seed": seed,
        "fiscal_year": fiscal_year,
        "municipalities": len(deliveries),
        "ledger_lines": sum(int(d["ledger_lines"]) for d in deliveries),
        "ledger_bytes": sum(int(d["ledger_bytes"]) for d in deliveries),
        "asset_rows": sum(int(d.get("asset_rows", 0)) for d in deliveries),
        "training_rows": sum(int(d.get("training_rows", 0)) for d in deliveries),
        "by_format": by_format,
        "deliveries": deliveries,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    table = commands.add_parser("table", help="rebuild national_municipalities.csv")
    table.add_argument("gemeenten", type=Path, help="CBS gemeenten-alfabetisch-2023.csv")
    table.add_argument("statline", type=Path, help="a StatLine CSV export by municipality")
    data = commands.add_parser("data", help="write a national drop zone")
    data.add_argument("--scale", type=float, required=True)
    data.add_argument("--out", type=Path, required=True)
    data.add_argument("--seed", type=int, default=2024)
    arguments = parser.parse_args(argv)
    if arguments.command == "table":
        write_table(derive_table(arguments.gemeenten, arguments.statline))
        return
    summary = write_national(arguments.out, scale=arguments.scale, seed=arguments.seed)
    print(json.dumps({k: v for k, v in summary.items() if k != "deliveries"}, indent=2))


if __name__ == "__main__":
    main()
