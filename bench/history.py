"""The bench over years kept: the same drop zone cut to its last 1, 5, 10 fiscal years, and for each
the full build (c), a run with nothing new (d0), a re-delivery of the current year (d) and of a
year five years back (d'), and the peer query (e); then how each grows with the years.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

GROWTH_LIMIT = 1.5  # each run with 10 years kept at most 1.5 x its value with one year kept
YEARS_BACK = 5
SERIES_TARGETS = {
    "project_unchanged": 5.0,
    "project_redelivery": 10.0,
    "project_redelivery_back": 15.0,
}
PEER_P50_MS = 20.0
SERIES_LABELS = {
    "project_full": "(c) full build",
    "project_unchanged": "(d0) nothing new",
    "project_redelivery": "(d) re-delivery, current year",
    "project_redelivery_back": "(d') re-delivery, five years back",
    "peer_query": "(e) peer query x200",
}


def fiscal_years(data_dir: Path) -> list[int]:
    found = {
        int(p.name)
        for p in (data_dir / "deliveries").glob("GM*/*")
        if p.is_dir() and p.name.isdigit()
    }
    return sorted(found)


def cut_to_years(data_dir: Path, target: Path, years: list[int]) -> Path:
    """A drop zone of hard links holding only `years`: the pipeline never writes into a drop zone,
    and a re-delivery replaces a link instead of writing through it."""
    keep = {str(y) for y in years}

    def ignore(folder: str, names: list[str]) -> list[str]:
        inside_municipality = Path(folder).parent.name == "deliveries"
        return [n for n in names if inside_municipality and n.isdigit() and n not in keep]

    shutil.copytree(data_dir, target, copy_function=os.link, ignore=ignore)
    return target


def back_year(years: list[int]) -> int | None:
    """The year five years before the current one, or the oldest kept; None with one year."""
    if len(years) < 2:
        return None
    return max(years[0], years[-1] - YEARS_BACK)


def growth_table(series: dict[int, dict]) -> dict[str, dict]:
    """Per measurement: wall seconds (p50 ms for the peer query) at each number of years kept,
    and the last over the first."""
    table: dict[str, dict] = {}
    for name in SERIES_LABELS:
        values = {n: _value(run, name) for n, run in sorted(series.items())}
        values = {n: v for n, v in values.items() if v is not None}
        if not values:
            continue
        first_n, last_n = min(values), max(values)
        base = values[first_n]
        if name == "project_redelivery_back" and first_n != min(series):
            # one year kept has no year five back: the current-year re-delivery is its baseline
            base = _value(series[min(series)], "project_redelivery")
            first_n = min(series)
        growth = round(values[last_n] / base, 2) if base and last_n != first_n else None
        table[name] = {"values": values, "growth": growth, "baseline_years": first_n}
    return table


def _value(run: dict, name: str) -> float | None:
    if name == "peer_query":
        return (run.get("peer") or {}).get("p50_ms")
    measurement = run["measurements"].get(name)
    return None if measurement is None else measurement["wall_s"]


def series_targets(series: dict[int, dict], growth: dict[str, dict]) -> list[dict]:
    """The targets at the most years kept: absolute seconds and growth against one year kept."""
    most = max(series)
    rows = []
    for name, limit in SERIES_TARGETS.items():
        value = _value(series[most], name)
        rows.append(_row(f"{SERIES_LABELS[name]}, {most} years kept, s", value, "<=", limit))
        factor = growth.get(name, {}).get("growth")
        rows.append(
            _row(
                f"{SERIES_LABELS[name]}, {most} years / 1 year",
                factor if len(series) > 1 else None,
                "<=",
                GROWTH_LIMIT,
            )
        )
    p50 = _value(series[most], "peer_query")
    rows.append(_row(f"(e) peer query p50, {most} years kept, ms", p50, "<=", PEER_P50_MS))
    return rows


def _row(label: str, value: float | None, operator: str, limit: float) -> dict:
    met = None if value is None else (value <= limit if operator == "<=" else value >= limit)
    return {"label": label, "value": value, "target": f"{operator} {limit:g}", "met": met}


def growth_markdown(series: dict[int, dict], growth: dict[str, dict]) -> list[str]:
    kept = sorted(series)
    lines = [
        "| measurement | "
        + " | ".join(f"{n} year{'s' if n > 1 else ''}" for n in kept)
        + f" | {kept[-1]} / {kept[0]} |",
        "|---|" + "---:|" * (len(kept) + 1),
    ]
    for name, label in SERIES_LABELS.items():
        row = growth.get(name)
        if row is None:
            continue
        unit = " ms p50" if name == "peer_query" else " s"
        cells = ["n/a" if n not in row["values"] else f"{row['values'][n]:g}{unit}" for n in kept]
        factor = "n/a" if row["growth"] is None else f"{row['growth']:g}x"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {factor} |")
    memory = [
        f"{run['peak_pss_mb']:,.0f}" if run.get("peak_pss_mb") else "n/a"
        for run in (series[n] for n in kept)
    ]
    lines.append(
        "| peak PSS MB (process tree, largest of these runs) | " + " | ".join(memory) + " | |"
    )
    lines.append(
        "| ledger lines kept | "
        + " | ".join(f"{series[n].get('ledger_lines', 0):,}" for n in kept)
        + " | |"
    )
    return lines
