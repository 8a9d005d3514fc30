"""Damage done to a good delivery that the warehouse already holds, and a drop zone to do it in.

Each `Damage` gets a slot of its own (a municipality and fiscal year) in a drop zone of good,
balanced ledgers; `tests/test_last_good_data.py` runs the pipeline, damages every slot at once,
runs it again, and checks that each slot says what is wrong while the published mart keeps the
slot's last good figures. Add a case by appending to DAMAGES.
"""

from __future__ import annotations

import csv
import os
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


# the application portfolio exported into the ledger's slot by mistake
APPLICATIONS = (
    b"Applicatie;Leverancier;Versie;GEMMA referentiecomponent;Hosting;Licentiekosten per jaar;"
    b"Aantal gebruikers;Afdeling;Einddatum contract;Status\n"
    b"Zaaksysteem;Centric;5.2;Zaaksysteem;SaaS;12.345,67;250;Dienstverlening;31-12-2025;In gebruik\n"
)

DAMAGES: list[Damage] = [
    Damage("empty file", _replace(b""), "the file is empty"),
    Damage(
        "the application portfolio as ledger.csv",
        _replace(APPLICATIONS),
        "this is not a general-ledger export",
    ),
    Damage("binary file", _replace(b"\x00\x01\x02" * 100), "UTF-16 or binary"),
    Damage("comma separated", _comma_separated, "separated by a comma"),
]


# -- the drop zone: refused means kept ----------------------------------------------------------
# A file refused before it is read (a link, a folder, a hidden, unreadable or unknown file, a
# second file for the slot) keeps the slot's last good version, as a rejected delivery does.


def _link_to(target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def apply(ledger: Path) -> None:
        pointed_at = target(ledger)
        ledger.unlink()
        ledger.symlink_to(pointed_at)

    return apply


def _other_municipalitys_ledger(ledger: Path) -> Path:
    """A relative link to another municipality's ledger: inside the drop zone, and still refused."""
    deliveries = ledger.parents[2]
    other = next(
        p for p in sorted(deliveries.glob("*/*/ledger.csv")) if p.parents[1] != ledger.parents[1]
    )
    return Path("..") / ".." / other.relative_to(deliveries)


def _renamed(name: str) -> Callable[[Path], None]:
    def apply(ledger: Path) -> None:
        ledger.rename(ledger.with_name(name))

    return apply


def _moved_into(folder: str) -> Callable[[Path], None]:
    """The ledger moved into a folder in the year folder (`<folder>/ledger.csv`)."""

    def apply(ledger: Path) -> None:
        aside = ledger.with_name("aside")
        ledger.rename(aside)
        (ledger.parent / folder).mkdir()
        aside.rename(ledger.parent / folder / "ledger.csv")

    return apply


def _folder_in_its_place(ledger: Path) -> None:
    ledger.unlink()
    ledger.mkdir()


def _second_file(ledger: Path) -> None:
    ledger.with_suffix(".xaf").write_bytes(ledger.read_bytes())


def _moved_to_municipality_folder(ledger: Path) -> None:
    ledger.rename(ledger.parents[1] / ledger.name)


def _year_folder_renamed(ledger: Path) -> None:
    ledger.parent.rename(ledger.parent.with_name(f"{ledger.parent.name} oud"))


def _year_folder_linked(ledger: Path) -> None:
    """The year folder moved out of the drop zone, a link to it left in its place."""
    year = ledger.parent
    outside = ledger.parents[4] / "elsewhere" / year.parent.name / year.name
    outside.parent.mkdir(parents=True)
    year.rename(outside)
    year.symlink_to(outside, target_is_directory=True)


def _pipe_in_its_place(ledger: Path) -> None:
    ledger.unlink()
    os.mkfifo(ledger)


def _unreadable(path: Callable[[Path], Path]) -> Callable[[Path], None]:
    def apply(ledger: Path) -> None:
        path(ledger).chmod(0)

    return apply


DROP_ZONE_DAMAGES = [
    Damage(
        "link to /etc/passwd",
        _link_to(lambda _: Path("/etc/passwd")),
        "symbolic links are not accepted",
    ),
    Damage(
        "link to another municipality's ledger",
        _link_to(_other_municipalitys_ledger),
        "symbolic links are not accepted",
    ),
    Damage(
        "empty folder in its place",
        _folder_in_its_place,
        "'ledger.csv' is a folder where a file was expected",
    ),
    Damage(
        "folder holding it in its place",
        _moved_into("ledger.csv"),
        "'ledger.csv' is a folder where a file was expected",
    ),
    Damage(
        "moved into a subfolder",
        _moved_into("oud"),
        "'oud' is a folder inside the fiscal-year folder",
    ),
    Damage(
        "renamed grootboek.csv",
        _renamed("grootboek.csv"),
        "'grootboek.csv' is not a known delivery file",
    ),
    Damage(
        "renamed ledger.txt", _renamed("ledger.txt"), "'ledger.txt' is not a known delivery file"
    ),
    Damage(
        "hidden ..ledger.csv",
        _renamed("..ledger.csv"),
        "the name starts with a dot, which hides the file",
    ),
    Damage(
        "hidden .ledger.csv",
        _renamed(".ledger.csv"),
        "the name starts with a dot, which hides the file",
    ),
    Damage("second file ledger.xaf", _second_file, "more than one file for the same delivery"),
    Damage(
        "moved to the municipality folder",
        _moved_to_municipality_folder,
        "lies in the municipality folder without a fiscal-year folder",
    ),
    Damage("year folder renamed", _year_folder_renamed, "is not a fiscal year"),
    Damage("year folder a link", _year_folder_linked, "symbolic links are not accepted"),
    Damage("pipe in its place", _pipe_in_its_place, "not a regular file"),
]
if os.geteuid() != 0:  # root reads a file without read permission: nothing to refuse
    DROP_ZONE_DAMAGES += [
        Damage("unreadable file", _unreadable(lambda ledger: ledger), "no read permission"),
        Damage(
            "unreadable year folder", _unreadable(lambda ledger: ledger.parent), "cannot be opened"
        ),
    ]
DAMAGES += DROP_ZONE_DAMAGES


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
