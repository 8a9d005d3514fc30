"""Progress bars for `ictbench run`: the job runs in a worker thread while the main thread follows
the run's materialisations in the instance's event log, one bar per phase."""

from __future__ import annotations

import threading
import uuid

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.cli.runner import plan_run, run_benchmark_job
from pipelines.ingest.workers import default_workers, start_workers_early
from pipelines.settings import Paths

PHASES = {"reference": "Reference data", "ingest": "Ingest and validate", "publish": "Publish"}
DBT = "dbt build"


def phase_of(graph, key: dg.AssetKey) -> str:
    return PHASES.get(graph.get(key).group_name, DBT)


def expected(graph, keys, partitions: int) -> dict[str, int]:
    """Materialisations to expect per phase: a partitioned asset once per partition."""
    totals: dict[str, int] = {}
    for key in keys:
        node = graph.get(key)
        if node.is_materializable:
            phase = phase_of(graph, key)
            totals[phase] = totals.get(phase, 0) + (partitions if node.partitions_def else 1)
    return totals


def run_with_progress(
    paths: Paths,
    instance: dg.DagsterInstance,
    console: Console,
    *,
    every_partition: bool = False,
    **options,
) -> dg.ExecuteInProcessResult:
    plan = plan_run(paths, instance, every_partition=every_partition)
    for repair in plan.repairs:
        console.print(f"[yellow]{repair}[/yellow]")
    if plan.partition_keys and default_workers() > 1:
        # the workers import the checking code while this process imports the definitions
        start_workers_early()
    from pipelines.definitions import defs

    partitions = len(plan.partition_keys)
    job = defs.resolve_job_def(plan.job_name)
    graph = job.asset_layer.asset_graph
    selected = plan.asset_selection(job) or job.asset_layer.selected_asset_keys
    run_id = str(uuid.uuid4())
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = run_benchmark_job(
                paths, instance, run_id=run_id, plan=plan, **options
            )
        except BaseException as error:  # raised again in the main thread
            outcome["error"] = error

    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks = {
            phase: progress.add_task(phase, total=total)
            for phase, total in expected(graph, selected, partitions).items()
        }
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        cursor = None
        while True:
            finished = not worker.is_alive()
            if instance.has_run(run_id):
                page = instance.get_records_for_run(
                    run_id, cursor=cursor, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                )
                cursor = page.cursor
                for record in page.records:
                    progress.advance(tasks[phase_of(graph, record.asset_key)])
            if finished:
                break
            worker.join(timeout=1.0)  # wakes as soon as the run ends
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
