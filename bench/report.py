"""The bench's results as JSON and Markdown: the side-by-side table with its targets, the growth
over the years kept, the re-delivery checks and where the project's time went."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

from bench.history import SERIES_LABELS, growth_markdown, growth_table, series_targets

PEER_QUERY_RUNS = 200

TARGETS = {
    "project_vs_floor": ("(c)/(a) wall time, full build / floor (CSV + XAF)", "<=", 2.0),
    "naive_vs_project": ("(b)/(c) wall time", ">=", 3.0),
    "floor_xaf_lines_per_core_s": ("(a) XAF floor parse, lines/s per core", ">=", 150_000.0),
    "project_xaf_lines_per_core_s": ("project XAF reader, lines/s per core", ">=", 150_000.0),
    "project_peak_pss_mb": ("(c) peak memory, MB (process tree, PSS)", "<=", 2048.0),
    "rss_growth_sf2": ("(c) peak memory at SF 2 / SF 1", "<=", 1.25),
}


# --- the report ----------------------------------------------------------------------------------------


def build_report(
    scale: float, summary: dict, generated_s: float | None, results: dict, results_dir: Path
) -> dict:
    series = results["series"]
    first = min(series)
    m = series[first]["measurements"]
    floor_wall = m["floor_csv"]["wall_s"] + m["floor_xaf"]["wall_s"]
    floor_xaf = m["floor_xaf"]["details"]
    reader = m["project_xaf_reader"]["details"]
    figures = {
        "project_vs_floor": round(m["project_full"]["wall_s"] / floor_wall, 2),
        "naive_vs_project": round(m["naive"]["wall_s"] / m["project_full"]["wall_s"], 2),
        "floor_xaf_lines_per_core_s": _per_core(
            floor_xaf["xaf_lines"], floor_xaf["xaf_parse_cpu_s"]
        ),
        "project_xaf_lines_per_core_s": _per_core(reader["xaf_lines"], reader["cpu_s"]),
        "project_peak_pss_mb": memory_mb(m["project_full"]),
        "rss_growth_sf2": _memory_growth(scale, m["project_full"], results_dir),
    }
    growth = growth_table(series)
    return {
        "date": dt.date.today().isoformat(),
        "scale": scale,
        "years_kept": sorted(series),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": _memory_gb(),
            "python": sys.version.split()[0],
        },
        "data": summary,
        "generation_s": None if generated_s is None else round(generated_s, 1),
        "side_by_side_years": results["side_by_side_years"],
        "floor_wall_s": round(floor_wall, 2),
        "ratios": figures,
        "targets": {name: _target(name, figures[name]) for name in TARGETS},
        "series": {str(n): run for n, run in series.items()},
        "growth": {
            name: {**row, "values": {str(k): v for k, v in row["values"].items()}}
            for name, row in growth.items()
        },
        "series_targets": series_targets(series, growth),
        "agreement": results["agreement"],
        "profile": results.get("profile"),
    }


def _per_core(lines: int, cpu_s: float) -> float | None:
    return round(lines / cpu_s) if cpu_s else None


def memory_mb(measurement: dict) -> float:
    """The tree's PSS where measured, else its RSS sum, else the largest process."""
    return (
        measurement.get("tree_peak_pss_mb")
        or measurement.get("tree_peak_rss_mb")
        or measurement["peak_rss_mb"]
    )


def _memory_growth(scale: float, project: dict, results_dir: Path) -> float | None:
    """SF 2 against the latest SF 1 result, on the same kind of figure (PSS or RSS sum)."""
    if scale != 2:
        return None
    earlier = sorted(results_dir.glob("*-sf1.json"))
    if not earlier:
        return None
    stored = json.loads(earlier[-1].read_text())
    sf1 = (
        stored["measurements"]["project_full"]
        if "measurements" in stored
        else stored["series"][min(stored["series"], key=int)]["measurements"]["project_full"]
    )
    current = dict(project)
    if not sf1.get("tree_peak_pss_mb"):
        current["tree_peak_pss_mb"] = None
    return round(memory_mb(current) / memory_mb(sf1), 2)


def _target(name: str, value: float | None) -> dict:
    label, operator, limit = TARGETS[name]
    if value is None:
        return {"label": label, "target": f"{operator} {limit:g}", "value": None, "met": None}
    met = value <= limit if operator == "<=" else value >= limit
    return {"label": label, "target": f"{operator} {limit:g}", "value": value, "met": met}


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (ValueError, OSError):
        return None


def results_stem(report: dict) -> str:
    most = max(report["years_kept"])
    years = f"-{most}y"
    source = "-data" if report["data"].get("existing_drop_zone") else ""
    return f"{report['date']}-sf{report['scale']:g}{years}{source}"


def write_report(report: dict, results_dir: Path) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = results_stem(report)
    json_path, md_path = results_dir / f"{stem}.json", results_dir / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(markdown(report))
    return md_path, json_path


LABELS = {
    "floor_csv": "(a) floor, CSV ledgers: DuckDB read_csv (iconv for cp1252)",
    "floor_xaf": "(a) floor, XAF ledgers: regex pass to Parquet, DuckDB",
    "naive": "(b) naive: pandas + GX + DuckDB",
    "project_full": "(c) project: full build",
    "project_unchanged": "(d0) project: a run with nothing new",
    "project_redelivery": "(d) project: one re-delivery of the current year",
    "project_redelivery_back": "(d') project: one re-delivery five years back",
    "project_xaf_reader": "project XAF reader alone (one process, accepted XAF files)",
    "peer_query": f"(e) peer query x{PEER_QUERY_RUNS}",
}


def markdown(report: dict) -> str:
    data = report["data"]
    series = {int(n): run for n, run in report["series"].items()}
    first = min(series)
    kept = ", ".join(str(n) for n in sorted(series))
    source = (
        f"an existing drop zone ({data['out_dir']})"
        if data.get("existing_drop_zone")
        else f"generated in {report['generation_s']} s (2 processes)"
    )
    lines = [
        f"# National benchmark, scale {report['scale']:g}, years kept {kept} ({report['date']})",
        "",
        f"Machine: {report['machine']['cpus']} CPUs, {report['machine']['memory_gb']} GB, "
        f"Python {report['machine']['python']}. Data: {source}: fiscal years "
        f"{data['years'][0]}-{data['years'][-1]}, {data['municipalities']} municipality codes, "
        f"{_ledger_lines(data, series):,} ledger lines, {data['ledger_bytes'] / 1e9:.2f} GB of ledger "
        f"files ({_formats(data)}){_generated(data)}.",
        "",
        f"## Side by side, {first} year(s) kept ({_span(report['side_by_side_years'])})",
        "",
        "(a) and (b) read only the ledgers the project accepted whole "
        f"({series[first]['ledger_files'] - series[first]['ledger_files_rejected']:,} of "
        f"{series[first]['ledger_files']:,}); the rejected ones cost the project its checks.",
        "",
        *_measurement_table(series[first]["measurements"]),
        "",
        "| target | value | target | met |",
        "|---|---:|---:|---|",
    ]
    lines += [_target_row(t) for t in report["targets"].values()]
    agreement = report["agreement"]
    lines += [
        "",
        f"Floor = CSV floor + XAF floor = {report['floor_wall_s']:g} s wall. "
        + _cpu_ratios(series[first]["measurements"]),
        "",
        f"Agreement: (a), (b) and (c) give the same ICT total for each of the "
        f"{agreement['municipality_years']:,} municipality-years ({agreement['municipalities']} "
        f"municipalities) whose ledger was accepted whole: "
        f"**{'yes' if agreement['agree'] else 'NO'}** (ICT total EUR "
        f"{Decimal(agreement['ict_total_eur']):,.2f}; {agreement['not_compared']} ledger "
        "deliveries not accepted whole, not compared).",
        "",
        "Phases: "
        + "; ".join(
            f"{name} {x['details'].get('phases')}"
            for name, x in series[first]["measurements"].items()
            if x["details"].get("phases")
        ),
        "",
        "## Over the years kept",
        "",
        *growth_markdown(series, {k: _int_keys(v) for k, v in report["growth"].items()}),
        "",
        "| target | value | target | met |",
        "|---|---:|---:|---|",
        *[_target_row(t) for t in report["series_targets"]],
        "",
        "Every run of the project in the series publishes with the rejected deliveries refused "
        "(exit code 3).",
        "",
    ]
    for n in sorted(series):
        lines += _redeliveries(n, series[n])
    lines += ["", "## Where the project's time goes (from each run's own event log)", ""]
    lines += _stage_table(series)
    for n in sorted(series):
        run = series[n]["measurements"].get("project_full", {})
        slowest = run.get("details", {}).get("stages", {}).get("slowest_models")
        if slowest:
            shown = ", ".join(f"{name} {seconds:g} s" for name, seconds in slowest)
            lines.append(f"- {n} year(s), (c) slowest dbt models: {shown}")
    lines += ["", "## Where the memory is at the peak (PSS per process at the sampled peak)", ""]
    lines += _peak_memory(series)
    if len(series) > 1:
        lines += ["", "## Every measurement at each number of years kept", ""]
        for n in sorted(series)[1:]:
            lines += [f"### {n} years kept ({_span(series[n]['years'])})", ""]
            lines += [*_measurement_table(series[n]["measurements"]), ""]
    if report.get("profile"):
        lines += ["", "## Profile of (c) (cProfile, cumulative seconds, separate run)", ""]
        lines += ["| part | s |", "|---|---:|"]
        for part, seconds in report["profile"]["parts_s"].items():
            lines.append(f"| {part} | {'n/a' if seconds is None else seconds} |")
        lines.append(f"| whole run under the profiler | {report['profile']['wall_s']} |")
    return "\n".join(lines) + "\n"


def _generated(data: dict) -> str:
    """What the generator put in on purpose; an existing drop zone holds what it holds."""
    if data.get("existing_drop_zone"):
        return ""
    return (
        f", {data.get('asset_rows', 0):,} asset rows, {data.get('training_rows', 0):,} training "
        f"rows; {len(data.get('rejected', [])):,} delivery files rejected by design, "
        f"{len(data.get('redelivered', [])):,} earlier-year ledgers re-delivered, "
        f"{len(data.get('mergers', [])):,} codes that exist in only part of the years (mergers)"
    )


def _ledger_lines(data: dict, series: dict[int, dict]) -> int:
    """Generated data counts its lines; an existing drop zone's are what the project read."""
    return data["ledger_lines"] or max(run.get("ledger_lines", 0) for run in series.values())


def _int_keys(row: dict) -> dict:
    return {**row, "values": {int(k): v for k, v in row["values"].items()}}


def _span(years: list[int]) -> str:
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])


def _measurement_table(measurements: dict) -> list[str]:
    lines = [
        "| measurement | wall s | CPU s | peak RSS MB (largest process) "
        "| peak PSS MB (process tree) | rows/s | load avg before/after |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, x in measurements.items():
        pss = "n/a" if x.get("tree_peak_pss_mb") is None else f"{x['tree_peak_pss_mb']:,.0f}"
        rate = f"{round(x['rows'] / x['wall_s']):,}" if x["rows"] and x["wall_s"] else "n/a"
        load = " / ".join(f"{value:g}" for value in x.get("load_average") or ())
        lines.append(
            f"| {LABELS[name]} | {x['wall_s']:,.2f} | {x['cpu_s']:,.2f} | "
            f"{x['peak_rss_mb']:,.0f} | {pss} | {rate} | {load} |"
        )
    return lines


def _target_row(target: dict) -> str:
    met = {True: "met", False: "NOT met", None: "n/a"}[target["met"]]
    value = "n/a" if target["value"] is None else f"{target['value']:g}"
    return f"| {target['label']} | {value} | {target['target']} | {met} |"


def _cpu_ratios(measurements: dict) -> str:
    """The ratios on CPU time, which other load on the machine disturbs less than wall time."""
    cpu = {name: x["cpu_s"] for name, x in measurements.items()}
    floor = cpu["floor_csv"] + cpu["floor_xaf"]
    return (
        f"On CPU time: (c)/(a) = {cpu['project_full'] / floor:.2f}, "
        f"(b)/(c) = {cpu['naive'] / cpu['project_full']:.2f}."
    )


def _redeliveries(n: int, run: dict) -> list[str]:
    lines = []
    for name, check in run["redeliveries"].items():
        label = SERIES_LABELS[name]
        if "skipped" in check:
            lines.append(f"- {n} year(s), {label}: not measured: {check['skipped']}")
            continue
        lines.append(
            f"- {n} year(s), {label}: {check['file']} row {check['source_row']} changed from "
            f"{check['old']} to {check['new']}; the mart moved by exactly EUR "
            f"{check['expected_delta_eur']} for {check['municipality_code']} "
            f"{check['fiscal_year']} and nothing else: "
            f"**{'yes' if check['mart_correct'] else 'NO'}**"
        )
        walls = run["measurements"].get(name, {}).get("details", {}).get("repeats_wall_s")
        if walls and len(walls) > 1:
            lines[-1] += (
                f" (re-delivered {len(walls)} times, each checked: "
                + ", ".join(f"{wall:g}" for wall in walls)
                + " s; the median is reported)"
            )
    return lines


def _peak_memory(series: dict[int, dict]) -> list[str]:
    lines = []
    for n in sorted(series):
        for name, run in series[n]["measurements"].items():
            details = run.get("details", {})
            processes = details.get("peak_pss_by_process_mb")
            if not name.startswith("project_") or not processes:
                continue
            shown = ", ".join(
                f"{label.split(' ', 1)[1]} {mb:,.0f}" for label, mb in processes.items()
            )
            lines.append(
                f"- {n} year(s), {LABELS.get(name, name)}: {memory_mb(run):,.0f} MB at "
                f"{details.get('peak_pss_at_s')} s: {shown}"
            )
    return lines or ["(not sampled)"]


def _stage_table(series: dict[int, dict]) -> list[str]:
    """Seconds per stage for (c), (d0) and (d) at each number of years kept."""
    columns = []
    for n in sorted(series):
        for name in ("project_full", "project_unchanged", "project_redelivery"):
            run = series[n]["measurements"].get(name)
            if run and isinstance(run["details"].get("stages"), dict):
                columns.append((f"{n}y {name.removeprefix('project_')}", run))
    stages: list[str] = []
    for _, run in columns:
        for stage, value in run["details"]["stages"].items():
            if isinstance(value, (int, float)) and stage not in stages and stage != "steps":
                stages.append(stage)
    lines = [
        "| stage, s | " + " | ".join(label for label, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for stage in stages:
        cells = [run["details"]["stages"].get(stage) for _, run in columns]
        shown = ["" if c is None else f"{c:g}" for c in cells]
        lines.append(f"| {stage} | " + " | ".join(shown) + " |")
    lines.append(
        "| wall of the measurement | "
        + " | ".join(f"{run['wall_s']:g}" for _, run in columns)
        + " |"
    )
    return lines


def render(json_path: Path) -> Path:
    """Rewrite the markdown of a stored result from its JSON."""
    md_path = json_path.with_name(json_path.name.removesuffix(".json") + ".md")
    md_path.write_text(markdown(json.loads(json_path.read_text())))
    return md_path


def _formats(data: dict) -> str:
    parts = data.get("by_format", {})
    return ", ".join(
        f"{name} {v['files']} files" + (f" / {v['lines']:,} lines" if v.get("lines") else "")
        for name, v in parts.items()
    )
