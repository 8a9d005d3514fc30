"""`ictbench status`: the last run, the deliveries by load status, the published version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipelines.ingest.delivery_pages import page_name
from pipelines.report.queries import open_mart
from pipelines.settings import Paths


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "–"
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _last_run(dagster_home: Path | None, warehouse: Path | None = None) -> str:
    """The latest run that wrote this warehouse (every such run, when warehouse is None)."""
    if dagster_home is None or not (dagster_home / "dagster.yaml").exists():
        return "no run yet (no Dagster instance for this warehouse)"
    import dagster as dg

    from pipelines.run_history.instance import WAREHOUSE_TAG
    from pipelines.run_history.interrupted import mark_interrupted

    tags = {"ictbench/writes": "warehouse"}
    if warehouse is not None:
        tags[WAREHOUSE_TAG] = str(warehouse)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        mark_interrupted(instance)
        records = instance.get_run_records(filters=dg.RunsFilter(tags=tags), limit=1)
    if not records:
        return "no benchmark run of this warehouse yet"
    record = records[0]
    run = record.dagster_run
    state = run.status.value.lower()
    if run.status == dg.DagsterRunStatus.CANCELED:
        state = "interrupted"
    return (
        f"{state}, started {_when(record.start_time)}, "
        f"ended {_when(record.end_time)} (run {run.run_id[:8]})"
    )


def _page(paths: Paths, delivery_key: str) -> str:
    page = paths.data_docs / page_name(delivery_key)
    return f"\n{page}" if page.exists() else ""


def status(paths: Paths, dagster_home: Path | None, console: Console) -> dict[str, int]:
    """Last run, deliveries by load status with their Data Docs pages, and the published version
    with the kept ones."""
    published_db = paths.published_db
    console.print(f"[bold]Last run[/bold]: {_last_run(dagster_home, paths.warehouse)}")
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
            "select delivery_key, municipality_code, fiscal_year, kind, status, rows_quarantined, "
            "message "
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
                # whole: a refused file's reason comes after its path
                (p["message"] or "") + _page(paths, p["delivery_key"]),
            )
        console.print(table)
    index = paths.data_docs / "index.html"
    if index.exists():
        console.print(f"[bold]Data Docs[/bold]: {index} (a page per delivery)", highlight=False)
    return counts
