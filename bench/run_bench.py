"""National-scale benchmark: the hardware floor, a naive pandas peer and this project, side by side,
and the project again over 1, 5, 10 fiscal years kept.

`python -m bench.run_bench --scale 1 --years 1,5,10` (or `make bench SF=1 YEARS=10`) generates (or
reuses) a national drop zone of that many years outside the repository (pipelines/demo/history.py:
mergers on their real dates, re-deliveries of earlier years, a tenth of the deliveries rejected);
`--data DIR` (`make bench DATA=DIR`) measures an existing drop zone instead. Each measurement runs
in its own child process, on the same files:

  (a) floor     no checks at all, measured apart for the two kinds of ledger (bench/floor.py):
                CSV straight into DuckDB (cp1252 through iconv), XAF by a regex pass to Parquet;
  (b) naive     pandas.read_csv / read_xml per file, the GX ledger suite on each whole frame,
                insert into DuckDB, the same SQL (bench/naive.py);
  (c) project   `ictbench run` from an empty warehouse: Dagster, ingest, GX, dbt build, publish;
  (d0) unchanged `ictbench run` again with nothing re-delivered: what the orchestration costs;
  (d) redeliver a real accepted CSV ledger of the current year comes back with one ICT amount
                100 euro higher (bench/redelivery.py), `ictbench run` again;
  (d') the same for a ledger five years back;
  (e) peer      a peer-comparison query on the published mart, repeated, p50 and p95.

(a) and (b) run at the fewest years kept and read only the ledgers the project accepted whole;
they must agree with (c) on the ICT total of every municipality and year to the cent. (c)-(e) run
at every number of years kept (bench/history.py: the growth table). Wall time, CPU time, peak RSS
and the PSS of the whole process tree (bench/measure.py), the load average before and after, and
where each project run spent its time (bench/stages.py, from the run's own event log) are recorded.
Results go to bench/results/<date>-sf<SF>-<N>y.md and .json.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from decimal import Decimal
from pathlib import Path

from bench.history import (
    back_year,
    cut_to_years,
    fiscal_years,
)
from bench.measure import Measurement, measure, tree_memory
from bench.redelivery import NoRedeliveryCandidate, redeliver, redelivery_check
from bench.report import (
    LABELS,
    PEER_QUERY_RUNS,
    TARGETS,
    build_report,
    memory_mb,
    render,
    write_report,
)
from pipelines.cli.exit_codes import ExitCode

__all__ = ["LABELS", "TARGETS", "run_bench", "tree_memory"]

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
DATA_FORMAT = 2  # bump when the generator writes different bytes for the same arguments
LAST_YEAR = 2024


# --- the data -------------------------------------------------------------------------------------


def data_key(
    scale: float, seed: int, codes: Sequence[str] | None, years: int, assets: bool
) -> dict:
    table = REPO_ROOT / "pipelines" / "demo" / "national_municipalities.csv"
    seed_file = REPO_ROOT / "dbt_project" / "seeds" / "municipality_successors.csv"
    return {
        "scale": scale,
        "seed": seed,
        "last_year": LAST_YEAR,
        "years": years,
        "codes": sorted(codes) if codes else None,
        "assets_training": assets,
        "data_format": DATA_FORMAT,
        "table_sha256": hashlib.sha256(table.read_bytes()).hexdigest(),
        "successors_sha256": hashlib.sha256(seed_file.read_bytes()).hexdigest(),
    }


def default_data_dir(key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / "ictbench-bench" / f"sf{key['scale']:g}-{digest}"


def ensure_data(data_dir: Path, key: dict) -> tuple[dict, float | None]:
    """Reuse data_dir when its manifest matches key, else generate; (summary, generation seconds)."""
    from pipelines.demo.history import write_history

    manifest = data_dir / "bench_manifest.json"
    if manifest.exists():
        stored = json.loads(manifest.read_text())
        if stored.get("key") == key:
            return stored["summary"], stored.get("generation_s")
    if data_dir.exists():
        shutil.rmtree(data_dir)
    started = time.perf_counter()
    summary = write_history(
        data_dir,
        scale=key["scale"],
        years=key["years"],
        last_year=key["last_year"],
        seed=key["seed"],
        codes=key["codes"],
        assets_training=key["assets_training"],
    )
    seconds = time.perf_counter() - started
    summary = {k: v for k, v in summary.items() if k != "deliveries"}
    record = {"key": key, "summary": summary, "generation_s": round(seconds, 1)}
    manifest.write_text(json.dumps(record, indent=1))
    return summary, seconds


def describe_existing(data_dir: Path) -> dict:
    """What an existing drop zone holds, counted from its files (lines come from the project's
    load results later)."""
    deliveries = data_dir / "deliveries"
    ledgers = [p for p in deliveries.glob("GM*/*/ledger.*") if p.suffix in (".csv", ".xaf")]
    formats: dict[str, dict[str, int]] = {}
    for path in ledgers:
        counts = formats.setdefault(path.suffix[1:], {"files": 0, "lines": 0})
        counts["files"] += 1
    return {
        "out_dir": str(data_dir),
        "municipalities": len({p.parent.parent.name for p in ledgers}),
        "ledger_lines": 0,
        "ledger_bytes": sum(p.stat().st_size for p in ledgers),
        "by_format": formats,
        "years": fiscal_years(data_dir),
        "existing_drop_zone": True,
    }


# --- reading the warehouse back -------------------------------------------------------------------


def published_totals(database: Path) -> dict[str, str]:
    """`GMxxxx/year` -> ICT cost total of every municipality-year the mart has a total for."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select municipality_code || '/' || fiscal_year, cast(ict_cost_total as varchar) "
            "from ict_benchmark where ict_cost_total is not null order by 1"
        ).fetchall()
    return dict(rows)


def load_statuses(warehouse: Path) -> dict[str, dict]:
    """source file (under deliveries/) -> its load result, for every ledger delivery."""
    results = {}
    for path in (warehouse / "load_results").glob("*/*.json"):
        result = json.loads(path.read_text())
        if result.get("kind") == "ledger" and result.get("source_file"):
            results[result["source_file"]] = result
    return results


# --- (e) the peer query ---------------------------------------------------------------------------

PEER_QUERY = """
with benchmark as (
    select municipality_code, municipality_name, size_band, ict_cost_per_inhabitant
    from ict_benchmark
    where fiscal_year = ?
)
select
    municipality_code,
    municipality_name,
    size_band,
    ict_cost_per_inhabitant,
    median(ict_cost_per_inhabitant) over band as peer_median,
    quantile_cont(ict_cost_per_inhabitant, 0.25) over band as peer_p25,
    quantile_cont(ict_cost_per_inhabitant, 0.75) over band as peer_p75,
    round(100 * ict_cost_per_inhabitant / median(ict_cost_per_inhabitant) over band, 1)
        as index_vs_peer_median,
    rank() over (partition by size_band order by ict_cost_per_inhabitant desc) as rank_in_band,
    median(ict_cost_per_inhabitant) over () as national_median
from benchmark
window band as (partition by size_band)
order by size_band, rank_in_band
"""


def run_peer(database: Path, fiscal_year: int, runs: int = PEER_QUERY_RUNS) -> dict:
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect(str(database), read_only=True)
    opened = time.perf_counter() - started
    latencies, rows = [], 0
    for _ in range(runs):
        tick = time.perf_counter()
        rows = len(connection.execute(PEER_QUERY, [fiscal_year]).fetchall())
        latencies.append((time.perf_counter() - tick) * 1000)
    connection.close()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "runs": runs,
        "rows": rows,
        "fiscal_year": fiscal_year,
        "open_ms": round(opened * 1000, 2),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(max(latencies), 2),
    }


# --- the project's own XAF reader, alone in one process ----------------------------------------------


def run_xaf_reader(data_dir: Path, skip: frozenset[str]) -> dict:
    """Every accepted audit file through pipelines.readers.xaf.read_xaf, one after another."""
    from bench.sql import ledger_files
    from pipelines.contract.delivery import Delivery
    from pipelines.readers.xaf import read_xaf

    deliveries = data_dir / "deliveries"
    lines, started = 0, time.process_time()
    files = ledger_files(data_dir, ".xaf", skip)
    for path in files:
        relative = str(path.relative_to(deliveries))
        delivery = Delivery(
            path, path.parent.parent.name, int(path.parent.name), "ledger", relative
        )
        lines += read_xaf(delivery).rows.num_rows
    return {
        "files": len(files),
        "xaf_lines": lines,
        "cpu_s": round(time.process_time() - started, 2),
    }


# --- profiling (c) with cProfile, outside the measurements -----------------------------------------

PROFILE_PARTS = {
    "dbt manifest (dbt parse subprocess)": ("pipelines/transform/manifest.py", "prepare_manifest"),
    "import the Dagster definitions": ("pipelines/definitions.py", "<module>"),
    "Dagster job, in process": (
        "dagster/_core/definitions/job_definition.py",
        "execute_in_process",
    ),
    "  Dagster event log writes (sqlite)": (
        "dagster/_core/storage/event_log/sqlite/sqlite_event_log.py",
        "store_event",
    ),
    "  ingest: reference data": ("pipelines/defs/ingest/assets.py", "reference_data"),
    "  ingest: mappings, ledgers, assets, training": ("pipelines/defs/ingest/assets.py", "ingest"),
    "    hash deliveries (sha256)": ("pipelines/contract/delivery.py", "file_sha256"),
    "    parse (all kinds)": ("pipelines/ingest/check.py", "parse"),
    "      parse CSV ledgers": ("pipelines/readers/ledger_csv.py", "read_ledger_csv"),
    "      parse XAF ledgers": ("pipelines/readers/xaf.py", "read_xaf"),
    "      parse asset registers": ("pipelines/readers/asset_register.py", "read_asset_register"),
    "      parse training records": ("pipelines/readers/training.py", "read_training"),
    "    GX suites (run_suite_batch)": ("pipelines/ingest/validation.py", "run_suite_batch"),
    "      GX validate": ("pipelines/ingest/validation.py", "_validate"),
    "      Arrow to pandas for GX": ("pipelines/ingest/validation.py", "validation_frame"),
    "    write landing Parquet": ("pipelines/storage/files.py", "write_parquet_atomic"),
    "  dbt build (dagster-dbt asset)": ("pipelines/defs/transform/assets.py", "benchmark_models"),
    "    waiting for dbt output": ("dagster_dbt/core/dbt_cli_invocation.py", "_stream_stdout"),
    "  publish": ("pipelines/defs/publish/assets.py", "published_benchmark"),
    "print the benchmark": ("pipelines/report/console.py", "print_benchmark"),
}


def run_profile(dropzone: Path, warehouse: Path, out: Path) -> dict:
    """What `ictbench run` does, with the job in the main thread so cProfile sees all of it.

    `ictbench run` runs the job in a worker thread and polls the event log for progress bars;
    cProfile only follows the thread it was enabled in.
    """
    import dagster as dg

    from pipelines.cli.runner import run_benchmark_job
    from pipelines.report.console import print_benchmark
    from pipelines.run_history.instance import ensure_dagster_home
    from pipelines.settings import Paths
    from pipelines.transform.manifest import prepare_manifest

    paths = Paths(data_raw=dropzone.resolve(), warehouse=warehouse.resolve())
    ensure_dagster_home()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        prepare_manifest()
        with dg.DagsterInstance.get() as instance:
            result = run_benchmark_job(paths, instance)
        print_benchmark(paths.published_db)
    finally:
        profiler.disable()
    wall = time.perf_counter() - started
    profiler.dump_stats(out.with_suffix(".prof"))
    stats = pstats.Stats(profiler).stats
    parts = {label: _cumulative(stats, *where) for label, where in PROFILE_PARTS.items()}
    return {
        "success": result.success,
        "wall_s": round(wall, 2),
        "parts_s": parts,
        "pstats": str(out.with_suffix(".prof")),
    }


def _cumulative(stats: dict, file_part: str, function: str) -> float | None:
    found = [
        value[3]
        for (file, _, name), value in stats.items()
        if name == function and file.endswith(file_part)
    ]
    return round(max(found), 2) if found else None


# --- orchestration -----------------------------------------------------------------------------------


def child_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_HOME": str(work / "dagster_home"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.setdefault("ICTBENCH_PSEUDONYM_KEY", secrets.token_hex(32))
    return env


def dagster_home(env: dict[str, str], home: Path) -> dict[str, str]:
    """env with its own Dagster instance: each number of years kept starts from nothing.
    `ictbench run` writes the instance's dagster.yaml there, as on a developer's machine (one
    written by hand would be kept as it is)."""
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "DAGSTER_HOME": str(home)}


def python_child(mode: str, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "bench.run_bench", "--measure", mode, "--out", str(out), *options]


def ictbench(dropzone: Path, warehouse: Path) -> list[str]:
    script = Path(sys.executable).with_name("ictbench")
    return [str(script), "run", "--data-raw", str(dropzone), "--warehouse", str(warehouse)]


def _child_result(measurement: Measurement, out: Path | None) -> dict:
    # `ictbench run` exits 3 for "published, with refusals": a drop zone with rejected deliveries
    if measurement.exit_code not in (ExitCode.ACCEPTED, ExitCode.WITH_REFUSALS):
        tail = Path(measurement.log).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{measurement.name} failed ({measurement.exit_code}):\n{tail}")
    return json.loads(out.read_text()) if out else {}


class Steps:
    """Runs measurements one after another, each in a child process, and keeps what they gave."""

    def __init__(self, work: Path, env: dict[str, str], log: Callable[[str], None]) -> None:
        self.work, self.env, self.log = work, env, log
        self.measurements: dict[str, Measurement] = {}
        self.outputs: dict[str, dict] = {}
        self.others: list[Measurement] = []  # repeated runs not kept as the measurement

    def run(self, name: str, argv: list[str], out: Path | None = None, rows: int = 0) -> dict:
        self.log(f"measuring {name} ...")
        started = time.time()
        measurement = measure(name, argv, self.work / "logs" / f"{name}.log", self.env)
        output = _child_result(measurement, out)
        measurement.rows = rows
        measurement.details.update({k: v for k, v in output.items() if k != "ict_total"})
        if argv[0].endswith("ictbench"):
            measurement.details["stages"] = run_stages(self.env, measurement.wall_s, started)
        self.measurements[name], self.outputs[name] = measurement, output
        self.log(
            f"  {name}: {measurement.wall_s} s wall, {measurement.cpu_s} s CPU, "
            f"{measurement.tree_peak_pss_mb or measurement.peak_rss_mb} MB"
        )
        return output

    def keep_median(self, name: str, runs: list[tuple[Measurement, dict, dict]]) -> dict:
        """The run of median wall time stands for `name` (one run of a few seconds says little on
        a machine whose seconds vary); every run's wall time and mart check are kept with it, and
        the other runs' memory counts in the peak. Returns the runs' combined check."""
        median = sorted(runs, key=lambda run: run[0].wall_s)[(len(runs) - 1) // 2]
        measurement, output, check = median
        self.others.extend(run[0] for run in runs if run is not median)
        measurement = replace(measurement, name=name)
        measurement.details["repeats_wall_s"] = [run[0].wall_s for run in runs]
        self.measurements[name], self.outputs[name] = measurement, output
        return {
            **check,
            "mart_correct": all(run[2]["mart_correct"] for run in runs),
            "repeats": [run[2] for run in runs],
        }


def run_stages(env: dict[str, str], wall_s: float, started: float) -> dict:
    """The stages of the run started after `started`, read from its Dagster instance in a child
    (bench/stages.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.stages", env["DAGSTER_HOME"], str(wall_s), str(started)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_bench(
    scale: float,
    *,
    years: Sequence[int] = (1,),
    data: Path | None = None,
    existing: bool = False,
    keep: bool = False,
    seed: int = 2024,
    codes: Sequence[str] | None = None,
    assets_training: bool = True,
    results_dir: Path = RESULTS_DIR,
    profile: bool = False,
    repeats: int = 3,
    log: Callable[[str], None] = print,
) -> dict:
    """existing: `data` is a drop zone to measure as it is (nothing is generated); repeats: how
    many times each re-delivery is measured (the median is kept)."""
    kept = sorted(set(years))
    if existing:
        data_dir = Path(data).resolve()
        summary, generated_s = describe_existing(data_dir), None
        kept = [n for n in kept if n <= len(summary["years"])] or [len(summary["years"])]
    else:
        key = data_key(scale, seed, codes, max(kept), assets_training)
        data_dir = (data or default_data_dir(key)).resolve()
        log(f"data: {data_dir}")
        summary, generated_s = ensure_data(data_dir, key)
    log(f"data: {summary['ledger_lines']:,} ledger lines (generation took {generated_s} s)")
    work = Path(tempfile.mkdtemp(prefix="ictbench-bench-run-"))
    env = child_env(work)
    try:
        results = _measure_all(data_dir, work, env, kept, profile, repeats, log)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    report = build_report(scale, summary, generated_s, results, results_dir)
    report["work_dir"] = str(work) if keep else None
    report["data_dir"] = str(data_dir)
    paths = write_report(report, results_dir)
    log(f"results: {paths[0]} and {paths[1]}")
    return report


def _measure_all(
    data_dir: Path,
    work: Path,
    env: dict[str, str],
    kept: list[int],
    profile: bool,
    repeats: int,
    log: Callable[[str], None],
) -> dict:
    every_year = fiscal_years(data_dir)
    series: dict[int, dict] = {}
    side_by_side: dict = {}
    for n in kept:
        zone_years = every_year[-n:]
        log(f"--- {n} year(s) kept: {zone_years[0]}-{zone_years[-1]}")
        folder = work / f"years{n}"
        zone = cut_to_years(data_dir, folder / "dropzone", zone_years)
        log(
            f"reading the drop zone once ({warm_page_cache(zone) / 1e9:.1f} GB): every measurement starts warm"
        )
        steps = Steps(folder, dagster_home(env, folder / "dagster_home"), log)
        first = n == kept[0]
        series[n] = _measure_years(
            zone, folder, steps, zone_years, side_by_side=first, repeats=repeats
        )
        if first:
            side_by_side = series[n].pop("side_by_side")
            if profile:
                side_by_side["profile"] = _profile(zone, folder, steps)
        series[n]["measurements"] = {k: asdict(v) for k, v in steps.measurements.items()}
        # the project's own runs: (c), (d0), (d), (d')
        project_runs = [
            asdict(m)
            for m in [*steps.measurements.values(), *steps.others]
            if m.name.startswith("project_")
        ]
        series[n]["peak_pss_mb"] = max(map(memory_mb, project_runs), default=None)
        shutil.rmtree(folder / "dropzone", ignore_errors=True)
    return {"series": series, **side_by_side}


def warm_page_cache(zone: Path) -> int:
    """Read every file of the drop zone once, so that (c), which runs first, does not read them
    from disk while the floor and the naive pipeline after it find them in memory; bytes read."""
    read = 0
    for folder, _, names in os.walk(zone):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                while chunk := handle.read(1 << 24):
                    read += len(chunk)
    return read


def _measure_years(
    zone: Path,
    folder: Path,
    steps: Steps,
    zone_years: list[int],
    *,
    side_by_side: bool,
    repeats: int = 1,
) -> dict:
    """(c), (d0), (d), (d') and (e) on one drop zone; with side_by_side also (a) and (b), right
    after (c) on the same files; each re-delivery `repeats` times, the median kept."""
    warehouse = folder / "warehouse"
    database = warehouse / "benchmark.duckdb"
    statuses: dict[str, dict] = {}

    def accepted() -> set[str]:
        return {f for f, r in statuses.items() if r.get("status") == "accepted"}

    steps.run("project_full", ictbench(zone, warehouse))
    statuses.update(load_statuses(warehouse))
    lines = sum(int(r.get("rows_read") or 0) for r in statuses.values())
    steps.measurements["project_full"].rows = lines
    totals = published_totals(database)
    compared = _side_by_side(zone, folder, steps, statuses, totals) if side_by_side else None
    steps.run("project_unchanged", ictbench(zone, warehouse))
    checks: dict[str, dict] = {}
    for name, year in (
        ("project_redelivery", zone_years[-1]),
        ("project_redelivery_back", back_year(zone_years)),
    ):
        if year is None:
            continue
        runs: list[tuple[Measurement, dict, dict]] = []
        for attempt in range(1, repeats + 1):
            try:
                change = redeliver(zone, database, year, accepted())
            except NoRedeliveryCandidate as error:
                checks[name] = {"skipped": str(error)}
                break
            key = f"{name}_{attempt}"
            steps.run(key, ictbench(zone, warehouse), rows=change.lines)
            after = published_totals(database)
            check = {**asdict(change), **redelivery_check(totals, after, change)}
            runs.append((steps.measurements.pop(key), steps.outputs.pop(key), check))
            totals = after
        if runs:
            checks[name] = steps.keep_median(name, runs)
    out = warehouse.parent / "peer.json"
    peer = steps.run(
        "peer_query",
        python_child("peer", out, "--db", str(database), "--year", str(zone_years[-1])),
        out,
    )
    return {
        "years": zone_years,
        "ledger_lines": lines,
        "ledger_files": len(statuses),
        "ledger_files_rejected": sum(1 for r in statuses.values() if r["status"] == "rejected"),
        "redeliveries": checks,
        "peer": peer,
        **({"side_by_side": compared} if compared is not None else {}),
    }


def _side_by_side(
    zone: Path, folder: Path, steps: Steps, statuses: dict[str, dict], project: dict[str, str]
) -> dict:
    """(a) and (b) on the ledgers the project accepted whole, and the project's XAF reader alone."""
    skip = sorted(f for f, r in statuses.items() if r.get("status") != "accepted")
    skip_file = folder / "skip.json"
    skip_file.write_text(json.dumps(skip))
    common = ("--data", str(zone), "--skip", str(skip_file))
    xaf_lines = sum(
        int(r.get("rows_read") or 0)
        for f, r in statuses.items()
        if f.endswith(".xaf") and r.get("status") == "accepted"
    )
    csv_lines = sum(
        int(r.get("rows_read") or 0)
        for f, r in statuses.items()
        if f.endswith(".csv") and r.get("status") == "accepted"
    )
    for kind, rows in (("csv", csv_lines), ("xaf", xaf_lines)):
        out = folder / f"floor_{kind}.json"
        steps.run(f"floor_{kind}", python_child(f"floor_{kind}", out, *common), out, rows)
    out = folder / "naive.json"
    steps.run("naive", python_child("naive", out, *common), out, csv_lines + xaf_lines)
    out = folder / "xaf_reader.json"
    steps.run("project_xaf_reader", python_child("xaf_reader", out, *common), out, xaf_lines)
    floor = {**steps.outputs["floor_csv"]["ict_total"], **steps.outputs["floor_xaf"]["ict_total"]}
    return {
        "agreement": agreement(floor, steps.outputs["naive"]["ict_total"], project, statuses),
        "side_by_side_years": fiscal_years(zone),
    }


def _profile(zone: Path, folder: Path, steps: Steps) -> dict:
    steps.log("profiling (c) with cProfile (not part of the measurements) ...")
    out = folder / "profile.json"
    argv = python_child(
        "profile", out, "--data", str(zone), "--warehouse", str(folder / "profiled_warehouse")
    )
    run = measure("profile", argv, folder / "logs" / "profile.log", steps.env)
    return {**_child_result(run, out), "measured_wall_s": run.wall_s}


def agreement(floor: dict, naive: dict, project: dict, statuses: dict[str, dict]) -> dict:
    """(a), (b) and (c) on every municipality-year whose ledger the project accepted whole."""
    compared = sorted(
        f"{r['municipality_code']}/{r['fiscal_year']}"
        for r in statuses.values()
        if r.get("status") == "accepted"
    )
    differences = []
    for key in compared:
        values = {"floor": floor.get(key), "naive": naive.get(key), "project": project.get(key)}
        known = {name: Decimal(v) for name, v in values.items() if v is not None}
        if len(known) != 3 or len(set(known.values())) != 1:
            differences.append({"municipality_year": key, **values})
    not_compared = len(statuses) - len(compared)
    return {
        "municipalities": len({key.split("/")[0] for key in compared}),
        "municipality_years": len(compared),
        "not_compared": not_compared,
        "ict_total_eur": str(sum(Decimal(floor[k]) for k in compared if k in floor)),
        "agree": not differences and bool(compared),
        "differences": differences[:20],
    }


# --- command line ------------------------------------------------------------------------------------


def child_main(arguments: argparse.Namespace) -> None:
    from bench.floor import run_floor
    from bench.naive import run_naive

    out = Path(arguments.out)
    skip = (
        frozenset(json.loads(Path(arguments.skip).read_text())) if arguments.skip else frozenset()
    )
    if arguments.measure in ("floor_csv", "floor_xaf"):
        kind = arguments.measure.removeprefix("floor_")
        result = run_floor(Path(arguments.data), out, kind, skip)
    elif arguments.measure == "naive":
        result = run_naive(Path(arguments.data), out, skip)
    elif arguments.measure == "xaf_reader":
        result = run_xaf_reader(Path(arguments.data), skip)
    elif arguments.measure == "peer":
        result = run_peer(Path(arguments.db), int(arguments.year))
    else:
        result = run_profile(Path(arguments.data), Path(arguments.warehouse), out)
    out.write_text(json.dumps(result, default=str))


def _years(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1 = about 10 million ledger lines a year"
    )
    parser.add_argument(
        "--years",
        type=_years,
        default=[1],
        help="numbers of fiscal years kept to measure, e.g. 1,5,10 (the data holds the most)",
    )
    parser.add_argument("--data", type=Path, help="where to write the generated drop zone")
    parser.add_argument(
        "--existing",
        type=Path,
        help="measure this existing drop zone (deliveries/, reference/) instead of generating",
    )
    parser.add_argument("--keep", action="store_true", help="keep the working copy and warehouse")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--codes", help="only these municipalities deliver, e.g. GM0363,GM0599")
    parser.add_argument(
        "--no-assets-training",
        dest="assets_training",
        action="store_false",
        help="ledgers and mappings only, no asset registers and training records",
    )
    parser.add_argument("--profile", action="store_true", help="also profile (c) with cProfile")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each re-delivery; the median is reported"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--render", type=Path, help="rewrite the markdown of a results JSON")
    parser.add_argument(
        "--measure",
        choices=("floor_csv", "floor_xaf", "naive", "xaf_reader", "peer", "profile"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--year", help=argparse.SUPPRESS)
    parser.add_argument("--skip", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.measure:
        child_main(arguments)
        return
    if arguments.render:
        print(render(arguments.render))
        return
    run_bench(
        arguments.scale,
        years=arguments.years,
        data=arguments.existing or arguments.data,
        existing=arguments.existing is not None,
        keep=arguments.keep,
        seed=arguments.seed,
        codes=arguments.codes.split(",") if arguments.codes else None,
        assets_training=arguments.assets_training,
        results_dir=arguments.results_dir,
        profile=arguments.profile,
        repeats=arguments.repeats,
    )


if __name__ == "__main__":
    main()
