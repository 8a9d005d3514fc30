"""Where a run's time goes, from what the run records anyway: the Dagster run and step timings of
its event log and dagster-dbt's per-model execution duration. Nothing is instrumented for it.

`python -m bench.stages DAGSTER_HOME WALL_S STARTED` prints the stages of the latest run as JSON, or
says that no run was started after STARTED (a run with nothing new starts none); the bench calls it
in a child after each project run (the instance is the run's own).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# step keys -> the stage they belong to (the rest are "other steps")
STAGES = (
    ("reference", ("reference_data",)),
    (
        "reading, checking, landing",
        ("ingest", "ledger", "asset", "training", "mapping", "application"),
    ),
    ("load results", ("load_results",)),
    ("dbt build", ("benchmark_models", "dbt")),
    ("publishing", ("published_benchmark", "publish")),
    ("export", ("export",)),
)
SLOWEST_MODELS = 5


def stage_of(step_key: str) -> str:
    for stage, words in STAGES:
        if any(word in step_key for word in words):
            return stage
    return "other steps"


NO_RUN = "no Dagster run (nothing changed since the last run)"


def latest_run_stages(dagster_home: Path, wall_s: float, started: float = 0.0) -> dict:
    """Seconds per stage of the instance's latest run, if it started after `started` (epoch
    seconds); start-up is the process's wall time outside the run (imports, planning, the summary
    printed after it)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(limit=1)
        if not records or (records[0].start_time or 0) < started:
            return {"job": NO_RUN, "start-up and summary (outside the run)": round(wall_s, 2)}
        record = records[0]
        run_s = (record.end_time or 0) - (record.start_time or 0)
        steps = instance.get_run_step_stats(record.dagster_run.run_id)
        stages: dict[str, float] = {}
        for step in steps:
            if step.start_time is None or step.end_time is None:
                continue
            stage = stage_of(step.step_key)
            stages[stage] = stages.get(stage, 0.0) + step.end_time - step.start_time
        models = _model_durations(instance, record.dagster_run.run_id)
    in_steps = sum(stages.values())
    result = {
        "job": record.dagster_run.job_name,
        "start-up and summary (outside the run)": round(max(wall_s - run_s, 0.0), 2),
        **{stage: round(seconds, 2) for stage, seconds in stages.items()},
        "Dagster between steps": round(max(run_s - in_steps, 0.0), 2),
        "run_s": round(run_s, 2),
        "steps": len(steps),
        "slowest_models": models[:SLOWEST_MODELS],
    }
    return result


def _model_durations(instance, run_id: str) -> list[tuple[str, float]]:
    """dagster-dbt's "Execution Duration" of each model materialised in the run, slowest first."""
    import dagster as dg

    found = []
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
    ).records
    for record in records:
        materialization = record.event_log_entry.asset_materialization
        if materialization is None:
            continue
        duration = materialization.metadata.get("Execution Duration")
        if duration is not None:
            found.append((materialization.asset_key.to_user_string(), round(duration.value, 2)))
    return sorted(found, key=lambda item: -item[1])


if __name__ == "__main__":
    print(json.dumps(latest_run_stages(Path(sys.argv[1]), *map(float, sys.argv[2:4]))))
