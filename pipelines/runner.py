"""Run the whole benchmark headless, as `ictbench run`, the tests and the benchmark do."""

from __future__ import annotations

import dagster as dg

from pipelines.settings import Paths


def run_benchmark_job(
    paths: Paths,
    instance: dg.DagsterInstance,
    *,
    log_level: str = "WARNING",
    raise_on_error: bool = False,
    run_config: dict | None = None,
    run_id: str | None = None,
) -> dg.ExecuteInProcessResult:
    """Register the delivered partitions, then materialise every asset in ONE in-process run."""
    from pipelines.definitions import defs
    from pipelines.defs.ingest.partitions import range_tags, register_partitions
    from pipelines.defs.resources import build_resources

    keys = register_partitions(instance, paths.deliveries)
    if not keys:
        raise ValueError(f"no deliveries under {paths.deliveries}")
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    return defs.resolve_job_def("benchmark").execute_in_process(
        resources=build_resources(paths),
        instance=instance,
        tags=range_tags(keys),
        run_config=config,
        raise_on_error=raise_on_error,
        run_id=run_id,
    )
