"""Progress bars for `ictbench run`: the job runs in a worker thread while the main thread follows
the run's materialisations in the instance's event log, one bar per phase."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.cli.runner import RunPlan, plan_run, run_benchmark_job
from pipelines.ingest.workers import default_workers, start_workers_early
from pipelines.settings import Paths

INGEST = "Ingest and validate"
DBT = "dbt build"
PHASES = {"reference": "Reference data", "ingest": INGEST, "publish": "Publish"}
PIPELINE_ORDER = ("Reference data", INGEST, DBT, "Publish")


def phase_of(graph, key: dg.AssetKey) -> str:
    return PHASES.get(graph.get(key).group_name, DBT)


def deliveries_per_materialisation(plan: RunPlan) -> Counter:
    """(ingest asset, partition or None) -> the deliveries its materialisation stands for, so that
    the ingest bar counts deliveries, not asset partitions."""
    from pipelines.contract.kinds import KINDS
    from pipelines.defs.ingest.partitions import delivery_partition

    planned = set(plan.partition_keys)
    counts: Counter = Counter()
    for delivery in plan.drop_zone.deliveries:
        partition = delivery_partition(delivery)
        if partition is None or partition in planned:
            counts[(KINDS[delivery.kind].asset_name, partition)] += 1
    return counts


def expected(graph, keys, partitions: int, deliveries: Counter) -> dict[str, int]:
    """What each phase's bar counts: deliveries for the ingest, else materialisations (a
    partitioned asset once per partition)."""
    totals: dict[str, int] = {}
    for key in keys:
        node = graph.get(key)
        if not node.is_materializable:
            continue
        phase = phase_of(graph, key)
        if phase == INGEST:
            count = sum(n for (a, _), n in deliveries.items() if a == key.to_user_string())
        else:
            count = partitions if node.partitions_def else 1
        totals[phase] = totals.get(phase, 0) + count
    return totals


def step(graph, record, deliveries: Counter) -> tuple[str, int]:
    """The bar a materialisation advances, and by how much."""
    phase = phase_of(graph, record.asset_key)
    if phase == INGEST:
        return phase, deliveries.get((record.asset_key.to_user_string(), record.partition_key), 0)
    return phase, 1


def run_with_progress(
    paths: Paths,
    instance: dg.DagsterInstance,
    console: Console,
    *,
    every_partition: bool = False,
    show_output: bool = True,
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
    deliveries = deliveries_per_materialisation(plan)
    totals = expected(graph, selected, partitions, deliveries)
    # what dbt prints goes above the bars, or (quiet) to the run log the caller opened
    with Progress(
        *columns, console=console, redirect_stdout=show_output, redirect_stderr=show_output
    ) as progress:
        tasks = {
            phase: progress.add_task(phase, total=totals[phase])
            for phase in PIPELINE_ORDER
            if phase in totals
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
                    phase, count = step(graph, record, deliveries)
                    if phase in tasks:
                        progress.advance(tasks[phase], count)
            if finished:
                break
            worker.join(timeout=1.0)  # wakes as soon as the run ends
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
