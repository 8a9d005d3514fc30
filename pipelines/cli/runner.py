"""Run the whole benchmark headless, as `ictbench run`, the tests and the benchmark do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.ingest.discovery import DropZone
from pipelines.run_history.instance import run_tags
from pipelines.run_history.interrupted import mark_interrupted
from pipelines.settings import Paths
from pipelines.storage.litter import sweep


@dataclass(frozen=True)
class RunPlan:
    """Which delivery partitions one run ingests: a range in partition order, as the sensor asks.

    Partitions whose deliveries the warehouse already holds are left out, so a night in which one
    municipality re-delivers writes a handful of events instead of thousands. Inside the range,
    unchanged partitions load as `unchanged`. dbt models that no source the run may change feeds
    (the hardware models when no asset register changed, say) are left out too.
    """

    partition_keys: list[str]
    drop_zone: DropZone
    models_left_out: frozenset[str] = frozenset()
    # what the run put right before it started: damaged landed files, a killed run's leftovers
    repairs: tuple[str, ...] = ()

    def tags(self) -> dict[str, str]:
        from pipelines.defs.ingest.partitions import range_tags

        return range_tags(self.partition_keys) if self.partition_keys else {}

    @property
    def job_name(self) -> str:
        """With nothing to ingest, the job that leaves the partitioned ingest assets out."""
        return "benchmark" if self.partition_keys else "rebuild_benchmark"

    def asset_selection(self, job: dg.JobDefinition) -> set[dg.AssetKey] | None:
        if not self.models_left_out:
            return None
        return job.asset_layer.selected_asset_keys - {
            dg.AssetKey(name) for name in self.models_left_out
        }


def plan_run(
    paths: Paths, instance: dg.DagsterInstance, *, every_partition: bool = False
) -> RunPlan:
    """List the drop zone (once: the run gets the listing), register the delivered partitions,
    then pick the range that holds every one that changed."""
    from pipelines.defs.ingest.partitions import partition_key, register_partitions
    from pipelines.ingest.deliveries import slots_to_ingest
    from pipelines.ingest.repair import repair_landing
    from pipelines.transform.selection import models_left_out

    repairs = (
        tuple(cleared(sweep(paths.warehouse), paths))
        + tuple(repair_landing(paths))
        + tuple(
            f"marked the stopped run {run[:8]} as interrupted" for run in mark_interrupted(instance)
        )
    )
    drop_zone = DropZone.listed(paths.deliveries)
    changes = slots_to_ingest(paths, drop_zone)
    changed = {partition_key(code, year) for code, year in changes}
    # a slot no longer delivered needs its partition even in a new Dagster instance
    keys = register_partitions(instance, drop_zone, also=changed)
    if not keys:
        raise ValueError(f"no deliveries under {paths.deliveries}")
    if every_partition:
        return RunPlan(keys, drop_zone, repairs=repairs)
    ingested = {kind for kinds in changes.values() for kind in kinds}
    left_out = models_left_out(paths, ingested, landed_as_they_are(paths, drop_zone))
    positions = [index for index, key in enumerate(keys) if key in changed]
    if not positions:
        return RunPlan([], drop_zone, left_out, repairs)
    return RunPlan(keys[positions[0] : positions[-1] + 1], drop_zone, left_out, repairs)


def landed_as_they_are(paths: Paths, drop_zone: DropZone) -> set[str]:
    """The dbt sources landed by every run that this run will land as they are: the reference
    data and the account mappings, when nothing of theirs changed."""
    from pipelines.contract.kinds import KINDS
    from pipelines.ingest.deliveries import standing_kinds_unchanged
    from pipelines.ingest.reference import REFERENCE_SOURCES, reference_unchanged

    sources = {KINDS[kind].dbt_source for kind in standing_kinds_unchanged(paths, drop_zone)}
    if reference_unchanged(paths):
        sources.update(REFERENCE_SOURCES)
    return sources


def cleared(removed: list[Path], paths: Paths) -> list[str]:
    if not removed:
        return []
    names = ", ".join(
        str(p.relative_to(paths.warehouse)) if p.is_relative_to(paths.warehouse) else str(p)
        for p in removed[:5]
    )
    more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
    return [f"removed what an earlier run that was stopped left behind: {names}{more}"]


def run_benchmark_job(
    paths: Paths,
    instance: dg.DagsterInstance,
    *,
    log_level: str = "WARNING",
    raise_on_error: bool = False,
    run_config: dict | None = None,
    run_id: str | None = None,
    plan: RunPlan | None = None,
) -> dg.ExecuteInProcessResult:
    """Ingest what changed (plan_run), build the mart with dbt and publish it, in ONE in-process run."""
    from pipelines.definitions import defs
    from pipelines.defs.resources import build_resources

    plan = plan or plan_run(paths, instance)
    job = defs.resolve_job_def(plan.job_name)
    if selection := plan.asset_selection(job):
        # subset before the run's resources are given: execute_in_process(asset_selection=...)
        # rebuilds the job and rejects them as a conflict with those the assets were loaded with
        job = job.get_subset(asset_selection=selection)
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    return job.execute_in_process(
        resources=build_resources(paths, plan.drop_zone),
        instance=instance,
        tags={**plan.tags(), **run_tags(paths)},
        run_config=config,
        raise_on_error=raise_on_error,
        run_id=run_id,
    )
