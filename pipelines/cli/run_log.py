"""Quiet by default: what dbt and the libraries print during a run goes to the warehouse's run log,
the terminal keeps the progress bars and the summary; `--verbose` shows it all."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console


@contextlib.contextmanager
def to_run_log(log: Path, console: Console, *, verbose: bool) -> Iterator[None]:
    """Send this process's stdout to `log` (written afresh) while the run works; console keeps
    writing to the terminal."""
    if verbose:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    console.file = sys.stdout  # pinned: the redirect below must not take the bars with it
    with log.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        yield
