"""A national drop zone over several fiscal years: what a warehouse holds after years of deliveries.

`write_history(out, scale=..., years=10)` writes the fiscal years up to `last_year` for every
municipality that existed on 1 January of each year. Municipal mergers follow the project's own
seed `municipality_successors.csv` (real CBS codes and dates): before a merger its predecessors
deliver under their own codes, after it the successor does. Spending drifts year on year as the
demo's ICT level grows; a twentieth of the earlier years' ledgers are re-delivered (a second
version with late bookings, written later), and a tenth of all deliveries are files the contract
rejects, as a real drop zone holds. `history_manifest.json` lists what was rejected, re-delivered
and merged.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipelines.demo.ledgers import BEVOLKING_HEADER, BEVOLKING_TITLE, write_gemeenten_csv
from pipelines.demo.municipalities import Municipality
from pipelines.demo.national import (
    LINES_PER_INHABITANT,
    YEARLY_GROWTH,
    _summary,
    _Task,
    _write_municipality,
    national_municipalities,
    write_municipality_mapping,
)
from pipelines.settings import MUNICIPALITY_SUCCESSORS_SEED

REJECTED_SHARE = 0.10
REDELIVERED_SHARE = 0.05
REDELIVERY_EXTRA_LINES = 1.02  # the second version adds late bookings
# what a rejected delivery holds: an export that is not the one asked for
REJECTED_EXPORT = b"Rapport;Periode;Omschrijving;Saldo\r\nBalans;12;Totaal activa;1.234.567,89\r\n"
NEW_CODE_KINDS = ("merged_into_new", "renamed")
MANIFEST = "history_manifest.json"


@dataclass(frozen=True)
class Merger:
    predecessor_code: str
    predecessor_name: str
    province_code: str
    successor_code: str
    effective_date: dt.date
    kind: str


def read_mergers(path: Path = MUNICIPALITY_SUCCESSORS_SEED) -> list[Merger]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [
            Merger(
                row["predecessor_code"],
                row["predecessor_name"],
                row["predecessor_province_code"].removeprefix("PV"),
                row["successor_code"],
                dt.date.fromisoformat(row["effective_date"]),
                row["merger_kind"],
            )
            for row in csv.DictReader(handle)
        ]


class Boundaries:
    """Which codes existed on 1 January of a year, and which current municipality each is part of."""

    def __init__(self, current: Sequence[Municipality], mergers: Sequence[Merger]) -> None:
        self.current = {m.code: m for m in current}
        self.mergers = {m.predecessor_code: m for m in mergers}
        self.began: dict[str, dt.date] = {}
        for merger in mergers:
            if merger.kind in NEW_CODE_KINDS:
                known = self.began.get(merger.successor_code, merger.effective_date)
                self.began[merger.successor_code] = min(known, merger.effective_date)

    def existed(self, code: str, year: int) -> bool:
        day = dt.date(year, 1, 1)
        ended = self.mergers[code].effective_date if code in self.mergers else dt.date.max
        return self.began.get(code, dt.date.min) <= day < ended

    def current_code(self, code: str) -> str:
        seen = {code}
        while code in self.mergers:
            code = self.mergers[code].successor_code
            if code in seen:
                raise ValueError(f"municipality_successors has a cycle through {code}")
            seen.add(code)
        return code

    def codes_in(self, year: int) -> list[str]:
        every = set(self.current) | set(self.mergers)
        return sorted(
            c for c in every if self.existed(c, year) and self.current_code(c) in self.current
        )


def _uniform(*parts: object) -> float:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def inhabitants_before(municipality: Municipality, year: int) -> int:
    """Inhabitants of a year before the table's first: its first figure, shrunk by the growth."""
    first = min(municipality.inhabitants)
    if year >= first:
        return municipality.inhabitants_on(year)
    return round(municipality.inhabitants[first] / (1 + YEARLY_GROWTH) ** (first - year))


def municipalities_by_year(
    years: Sequence[int],
    seed: int,
    mergers: Sequence[Merger] | None = None,
    codes: Sequence[str] | None = None,
) -> dict[int, list[Municipality]]:
    """Every municipality that delivers in each year, with its inhabitants of that year.

    A current municipality that absorbed others keeps its own figure; predecessors of an absorbing
    one get a share on top of it. Where a merger made a new code, the predecessors share the new
    municipality's figure between them.
    """
    current = national_municipalities(seed)
    boundaries = Boundaries(current, read_mergers() if mergers is None else mergers)
    by_year: dict[int, list[Municipality]] = {}
    for year in years:
        groups: dict[str, list[str]] = {}
        for code in boundaries.codes_in(year):
            groups.setdefault(boundaries.current_code(code), []).append(code)
        delivering = []
        for parent_code, members in sorted(groups.items()):
            if codes is not None and parent_code not in codes:
                continue
            parent = boundaries.current[parent_code]
            total = inhabitants_before(parent, year)
            predecessors = [c for c in members if c != parent_code]
            if parent_code in members:
                delivering.append(_for_year(parent, year, total))
                shares = {c: total * (0.05 + 0.3 * _uniform(seed, c)) for c in predecessors}
            else:
                weights = {c: 0.5 + _uniform(seed, c) for c in predecessors}
                shares = {c: total * w / sum(weights.values()) for c, w in weights.items()}
            for code in predecessors:
                merger = boundaries.mergers[code]
                delivering.append(_predecessor(parent, merger, year, round(shares[code])))
        by_year[year] = delivering
    return by_year


def _for_year(municipality: Municipality, year: int, inhabitants: int) -> Municipality:
    return replace(municipality, inhabitants={**municipality.inhabitants, year: inhabitants})


def _predecessor(parent: Municipality, merger: Merger, year: int, inhabitants: int) -> Municipality:
    """A predecessor exports as the municipality it became part of does (its ledger system
    usually went along), under its own code and name."""
    return replace(
        parent,
        code=merger.predecessor_code,
        name=merger.predecessor_name,
        statline_name=merger.predecessor_name,
        province_code=merger.province_code,
        inhabitants={year: inhabitants},
    )


def write_history(
    out_dir: Path,
    *,
    scale: float,
    years: int,
    last_year: int = 2024,
    seed: int = 2024,
    codes: Sequence[str] | None = None,
    assets_training: bool = True,
    processes: int | None = None,
) -> dict:
    """Write `years` fiscal years up to `last_year`; scale 1 is about 10 million lines a year.

    codes: only these current municipalities (and their predecessors) deliver.
    """
    if years < 1:
        raise ValueError("years must be 1 or more")
    out_dir = Path(out_dir)
    fiscal_years = list(range(last_year - years + 1, last_year + 1))
    by_year = municipalities_by_year(fiscal_years, seed, codes=codes)
    _write_reference(out_dir, by_year, seed)
    tasks = []
    redelivered = []
    for year, municipalities in by_year.items():
        for municipality in municipalities:
            again = year < last_year and _uniform(seed, "redelivered", municipality.code, year) < (
                REDELIVERED_SHARE
            )
            lines = scale * LINES_PER_INHABITANT * municipality.inhabitants_on(year)
            tasks.append(
                _Task(
                    out_dir,
                    municipality,
                    year,
                    seed,
                    lines * (REDELIVERY_EXTRA_LINES if again else 1.0),
                    scale if assets_training else 0.0,
                    write_mapping=False,
                )
            )
            if again:
                redelivered.append((municipality.code, year))
    tasks.sort(key=lambda t: -t.lines_wanted)
    workers = processes or min(2, os.cpu_count() or 1)
    # spawn: the caller may run threads (a test runner, Dagster), and fork would copy their locks
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        deliveries = sorted(
            pool.imap_unordered(_write_municipality, tasks, chunksize=1),
            key=lambda d: (str(d["code"]), int(d["fiscal_year"])),
        )
        pool.close()  # let the workers finish on their own: terminate() needs a working SIGTERM
        pool.join()
    redelivered_files = _date_redeliveries(out_dir, redelivered)
    rejected = reject_share(out_dir, seed)
    summary = _summary(out_dir, scale, seed, last_year, deliveries)
    summary.update(
        {
            "municipalities": len({d["code"] for d in deliveries}),
            "deliveries": deliveries,
            "years": fiscal_years,
            "per_year": _per_year(deliveries),
            "rejected": rejected,
            "redelivered": redelivered_files,
            "mergers": _mergers_shown(by_year),
        }
    )
    listed = {k: v for k, v in summary.items() if k != "deliveries"}
    (out_dir / MANIFEST).write_text(json.dumps(listed, indent=1))
    return summary


def _write_reference(out_dir: Path, by_year: dict[int, list[Municipality]], seed: int) -> None:
    """The current CBS list, inhabitants of every delivering code and year, mappings once each."""
    reference = out_dir / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    current = national_municipalities(seed)
    write_gemeenten_csv(reference / "gemeenten.csv", current)
    every: dict[str, Municipality] = {}
    for _, municipalities in sorted(by_year.items()):
        for municipality in municipalities:
            known = every.get(municipality.code)
            inhabitants = {**(known.inhabitants if known else {}), **municipality.inhabitants}
            every[municipality.code] = replace(municipality, inhabitants=inhabitants)
            if known is None:
                write_municipality_mapping(out_dir, municipality, seed)
    _write_bevolking(reference / "bevolking.csv", every.values())


def _write_bevolking(path: Path, municipalities) -> None:
    """Each code's figures for the years it existed (predecessors: until their merger)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(f"{BEVOLKING_TITLE}\r\n;;;\r\n")
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(BEVOLKING_HEADER)
        for m in sorted(municipalities, key=lambda m: m.code):
            for year in sorted(m.inhabitants):
                writer.writerow([m.statline_name, m.code, str(year), str(m.inhabitants[year])])
        handle.write(";;;\r\nBron: CBS;;;\r\n")


def _date_redeliveries(out_dir: Path, redelivered: list[tuple[str, int]]) -> list[str]:
    """A re-delivered ledger arrived in the summer after its year closed: its file says so."""
    files = []
    for code, year in redelivered:
        for path in (out_dir / "deliveries" / code / str(year)).glob("ledger.*"):
            stamp = dt.datetime(year + 1, 7, 1, tzinfo=dt.UTC).timestamp()
            os.utime(path, (stamp, stamp))
            files.append(str(path.relative_to(out_dir / "deliveries")))
    return sorted(files)


def reject_share(out_dir: Path, seed: int, share: float = REJECTED_SHARE) -> list[str]:
    """Replace about `share` of the delivery files (every kind) by an export the contract rejects."""
    deliveries = Path(out_dir) / "deliveries"
    files = sorted(p for p in deliveries.glob("GM*/*/*.*") if p.parent.name.isdigit())
    chosen = [p for p in files if _uniform(seed, "rejected", p.relative_to(deliveries)) < share]
    for path in chosen:
        path.unlink()  # may be a hard link to another copy: replace it, never write through it
        path.write_bytes(REJECTED_EXPORT)
    return [str(p.relative_to(deliveries)) for p in chosen]


def _per_year(deliveries: list[dict]) -> dict[str, dict[str, int]]:
    years: dict[str, dict[str, int]] = {}
    for delivery in deliveries:
        year = years.setdefault(str(delivery["fiscal_year"]), {"municipalities": 0, "lines": 0})
        year["municipalities"] += 1
        year["lines"] += int(delivery["ledger_lines"])
    return years


def _mergers_shown(by_year: dict[int, list[Municipality]]) -> list[dict]:
    """Codes that deliver in some years and not in others: the mergers the history spans."""
    present: dict[str, list[int]] = {}
    for year, municipalities in by_year.items():
        for municipality in municipalities:
            present.setdefault(municipality.code, []).append(year)
    every = set(by_year)
    return [
        {"code": code, "years": f"{min(years)}-{max(years)}"}
        for code, years in sorted(present.items())
        if set(years) != every
    ]
