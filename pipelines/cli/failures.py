"""What a quiet run still says: the cause of a failure in one line (the innermost error of each
failed step, without the layers Dagster wraps around it and without the traceback: `--debug`
shows those), and the warnings the steps logged (what a run mended, a full refresh and why)."""

from __future__ import annotations

import logging
from collections.abc import Iterable


def root_message(error) -> str:
    """The first line of the innermost cause of a Dagster SerializableErrorInfo."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = [line.strip() for line in (error.message or "").splitlines() if line.strip()]
    if not lines:
        return error.cls_name or "unknown error"
    # Dagster spells the class in front: "pipelines.contract.errors.UnreadableFile: ..."
    marker = f"{error.cls_name}: "
    return lines[0].split(marker, 1)[1] if error.cls_name and marker in lines[0] else lines[0]


def step_failures(events: Iterable) -> list[tuple[str, str]]:
    """(step, cause) of every failed step of a run, in the order they failed."""
    return [
        (event.step_key, root_message(event.event_specific_data.error))
        for event in events
        if event.event_type_value == "STEP_FAILURE"
    ]


def run_warnings(instance, run_id: str) -> list[str]:
    """The warnings the run's own code logged (`context.log.warning`), in order."""
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is None and entry.level == logging.WARNING
    ]
