"""What `ictbench report` and `ictbench status` do; cli.py only wraps these in typer commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipelines.report.labels import LANGUAGES
from pipelines.report.queries import open_mart
from pipelines.report.site import write_page, write_site


class ReportError(Exception):
    """A report cannot be made (no mart, unknown municipality, bad option)."""


def report(
    published_db: Path,
    code: str | None,
    year: int | None,
    out: Path | None,
    out_dir: Path | None,
    lang: str,
    console: Console,
) -> list[Path]:
    """One page (with a municipality code) or the whole site (without one)."""
    if lang not in LANGUAGES:
        raise ReportError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if not published_db.exists():
        raise ReportError(f"No published mart at {published_db}: run `ictbench run` first.")
    try:
        if code:
            code = code.upper()
            target = out or (out_dir or Path.cwd()) / f"{code}-{year or 'latest'}.html"
            written = [write_page(published_db, code, year, target, lang)]
        else:
            if out is not None:
                raise ReportError("-o writes one page: give a municipality code, or use --out.")
            target_dir = out_dir or published_db.parent / "report"
            with console.status(f"Writing the report site to {target_dir}"):
                written = write_site(published_db, target_dir, lang)
    except LookupError as error:
        raise ReportError(str(error.args[0])) from error
    console.print(f"Wrote {written[0]}" + (f" and {len(written) - 1} pages" if not code else ""))
    return written


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "–"
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _last_run(dagster_home: Path | None) -> str:
    if dagster_home is None or not (dagster_home / "dagster.yaml").exists():
        return "no local Dagster instance"
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(
            filters=dg.RunsFilter(tags={"ictbench/writes": "warehouse"}), limit=1
        )
    if not records:
        return "no benchmark run yet"
    record = records[0]
    return (
        f"{record.dagster_run.status.value.lower()}, started {_when(record.start_time)}, "
        f"ended {_when(record.end_time)} (run {record.dagster_run.run_id[:8]})"
    )


def status(published_db: Path, dagster_home: Path | None, console: Console) -> dict[str, int]:
    """Last run, deliveries by load status, and the published version with the kept ones."""
    console.print(f"[bold]Last run[/bold]: {_last_run(dagster_home)}")
    if not published_db.exists():
        console.print(f"[bold]Published[/bold]: nothing at {published_db}")
        return {}
    console.print(
        f"[bold]Published[/bold]: {published_db} (version of {_when(published_db.stat().st_mtime)})"
    )
    versions = sorted((published_db.parent / "versions").glob("benchmark-*.duckdb"), reverse=True)
    for version in versions:
        console.print(f"  kept for rollback: {version.name} ({_when(version.stat().st_mtime)})")
    mart = open_mart(published_db)
    try:
        counts = dict(
            mart.connection.execute(
                "select status, count(*) from load_quality group by status order by status"
            ).fetchall()
        )
        problems = mart.rows(
            "select municipality_code, fiscal_year, kind, status, rows_quarantined, message "
            "from load_quality where status <> 'accepted' "
            "order by municipality_code, fiscal_year, kind"
        )
    finally:
        mart.connection.close()
    summary = ", ".join(
        f"{counts.get(s, 0)} {s.replace('_', ' ')}"
        for s in ("accepted", "partially_accepted", "rejected")
    )
    console.print(f"[bold]Deliveries[/bold]: {summary}")
    if problems:
        table = Table("Municipality", "Year", "Kind", "Status", "Quarantined", "Message")
        for p in problems:
            table.add_row(
                p["municipality_code"],
                str(p["fiscal_year"] or ""),
                p["kind"],
                p["status"],
                str(p["rows_quarantined"] or 0),
                (p["message"] or "")[:120],
            )
        console.print(table)
    return counts
