"""Runs whose process was stopped (Ctrl-C, SIGTERM, kill -9) stay STARTED in the run history: an
in-process run has no run worker that Dagster's monitoring could find dead. The next run or
`ictbench status` marks them canceled, saying so."""

from __future__ import annotations

import dagster as dg

from pipelines.run_history.instance import PROCESS_TAG
from pipelines.storage.litter import is_alive

INTERRUPTED = "Interrupted: the process running it was stopped (Ctrl-C, SIGTERM or killed)."


def mark_interrupted(instance: dg.DagsterInstance) -> list[str]:
    """Mark canceled every started run of a process that is gone; the ids of those marked."""
    marked = []
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    for record in records:
        run = record.dagster_run
        pid = run.tags.get(PROCESS_TAG)
        if pid and pid.isdigit() and not is_alive(int(pid)):
            instance.report_run_canceled(run, message=INTERRUPTED)
            marked.append(run.run_id)
    return marked
