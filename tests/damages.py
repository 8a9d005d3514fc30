"""Damage done to a good delivery that the warehouse already holds, and a drop zone to do it in.

Each `Damage` gets a slot of its own (a municipality and fiscal year) in a drop zone of good,
balanced ledgers; `tests/test_last_good_data.py` runs the pipeline, damages every slot at once,
runs it again, and checks that each slot says what is wrong while the published mart keeps the
slot's last good figures. Add a case by appending to DAMAGES.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "data_raw" / "reference"
FIRST_YEAR, YEARS = 2022, 3  # the demo reference holds inhabitants for 2022-2024

LEDGER_HEADER = "boekdatum;dagboek;boekstuk;rekening;kostenplaats;omschrijving;bedrag"
MAPPING = (
    "rekening_van;rekening_tot;kostenplaats;categorie;toelichting\n"
    "4300;4309;;software_licences;Licenties\n"
    "4310;;;saas_cloud;Clouddiensten\n"
    "4100;;7100;own_personnel;Salarissen I&A\n"
    ";;7100;ict_cost_centre;Afdeling I&A\n"
    "4500;4899;;not_ict;Overig\n"
)
# (account, cost centre, description) of the cost side of a voucher; the other side is 1600
COST_LINES = (
    ("4301", "", "Licentie zaaksysteem"),
    ("4310", "", "Microsoft 365"),
    ("4100", "7100", "Salaris I&A"),
    ("4500", "", "Groenonderhoud"),
)


@dataclass(frozen=True)
class Damage:
    """One thing done to a slot's good `ledger.csv`, after which the run must refuse the slot's
    delivery, say so with `says` in the slot's load result, and keep its last good figures."""

    name: str
    apply: Callable[[Path], None]  # gets the good ledger.csv in its slot folder
    says: str


def good_ledger(seed: int, vouchers: int = 120) -> str:
    """A ledger that closes: every voucher (journal + number) sums to zero, every month has lines.

    Amounts differ per seed, so every slot has its own figures."""
    rng = random.Random(seed)
    lines = [LEDGER_HEADER]
    for number in range(1, vouchers + 1):
        month = 1 + (number - 1) % 12
        day = 1 + rng.randrange(28)
        account, cost_centre, description = COST_LINES[number % len(COST_LINES)]
        cents = rng.randrange(1_000, 5_000_000)
        amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
        date = f"{day:02d}-{month:02d}-{{year}}"
        lines.append(f"{date};INK;{number};{account};{cost_centre};{description} {number};{amount}")
        lines.append(f"{date};INK;{number};1600;;Crediteuren;{amount}-")
    return "\n".join(lines) + "\n"


def slots(count: int) -> list[tuple[str, int]]:
    """`count` (municipality, fiscal year) slots of the demo reference, a municipality per slot
    before any municipality gets a second year."""
    with (REFERENCE / "gemeenten.csv").open(encoding="utf-8-sig") as handle:
        codes = [row["GemeentecodeGM"] for row in csv.DictReader(handle)]
    if count > len(codes) * YEARS:
        raise ValueError(f"{count} slots: the demo reference has room for {len(codes) * YEARS}")
    return [(codes[i % len(codes)], FIRST_YEAR + i // len(codes)) for i in range(count)]


def drop_zone_of_good_ledgers(data_raw: Path, count: int) -> dict[tuple[str, int], Path]:
    """`data_raw` with the demo reference and a good ledger in each of `count` slots (and the
    municipalities' account mappings); returns each slot's ledger path."""
    shutil.copytree(REFERENCE, data_raw / "reference")
    ledgers = {}
    for seed, (code, year) in enumerate(slots(count)):
        folder = data_raw / "deliveries" / code
        (folder / str(year)).mkdir(parents=True)
        (folder / "account_mapping.csv").write_text(MAPPING, encoding="utf-8")
        path = folder / str(year) / "ledger.csv"
        path.write_text(good_ledger(seed).replace("{year}", str(year)), encoding="utf-8")
        ledgers[code, year] = path
    return ledgers


# -- the damages ------------------------------------------------------------------------------


def _replace(content: bytes) -> Callable[[Path], None]:
    def apply(ledger: Path) -> None:
        ledger.write_bytes(content)

    return apply


def _comma_separated(ledger: Path) -> None:
    ledger.write_text(ledger.read_text(encoding="utf-8").replace(";", ","), encoding="utf-8")


DAMAGES: list[Damage] = [
    Damage("empty file", _replace(b""), "the file is empty"),
    Damage("binary file", _replace(b"\x00\x01\x02" * 100), "UTF-16 or binary"),
    Damage("comma separated", _comma_separated, "separated by a comma"),
]


# -- readers: lines, limits (one physical line is one row; a line over 1 MiB is no row) -------


def _one_line_of_5_mb(ledger: Path) -> None:
    ledger.write_text(f"{LEDGER_HEADER}\n01-03-2024;INK;1;4301;;{'x' * 5_000_000};10,00\n")


def _every_description_opens_a_quote(ledger: Path) -> None:
    """An export that opens a quote before each description and never closes it: once, this
    folded the whole file into one quarantined row."""
    lines = ledger.read_text(encoding="utf-8").splitlines()
    damaged = [lines[0]]
    for line in lines[1:]:
        fields = line.split(";")
        fields[5] = '"' + fields[5]
        damaged.append(";".join(fields))
    ledger.write_text("\n".join(damaged) + "\n", encoding="utf-8")


DAMAGES += [
    Damage("a 5 MB line", _one_line_of_5_mb, "the limit is 1 048 576 bytes (1 MiB) per line"),
    Damage(
        "quotes that never close",
        _every_description_opens_a_quote,
        "unbalanced double quote: field 6 starts with a double quote that does not close",
    ),
]


# -- the ledger closes: a good ledger cut short or altered is refused, its last good data stays


def _cut_to_a_third(*, mid_line: bool) -> Callable[[Path], None]:
    def apply(ledger: Path) -> None:
        content = ledger.read_bytes()
        boundary = content.index(b"\n", len(content) // 3) + 1
        if not mid_line and content[:boundary].count(b"\n") % 2:  # vouchers are two lines
            boundary = content.index(b"\n", boundary) + 1  # cut inside the next voucher
        ledger.write_bytes(content[: boundary + 12] if mid_line else content[:boundary])

    return apply


def _one_voucher_off(ledger: Path) -> None:
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    *fields, _amount = lines[40].rstrip("\n").split(";")
    lines[40] = ";".join([*fields, "1,00-"]) + "\n"  # a creditor line: its voucher is now off
    ledger.write_text("".join(lines), encoding="utf-8")


DAMAGES += [
    Damage(
        "truncated at a line boundary",
        _cut_to_a_third(mid_line=False),
        "the ledger does not balance",
    ),
    Damage(
        "truncated mid-line",
        _cut_to_a_third(mid_line=True),
        "the file ends in the middle of a line",
    ),
    Damage("one voucher off", _one_voucher_off, "1 voucher does not balance, with its sum"),
]
