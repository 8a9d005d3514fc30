"""The `ictbench` command; `ictbench run` works under a supervisor, so that Ctrl-C stops it in one
line.

The terminal sends Ctrl-C's SIGINT to every process of its foreground group: Dagster's log
tailers and orphan watchers, the dbt server and the dbt build it runs, the checking workers. Each
then dies its own way: tracebacks, a failed Dagster run printed in full, now and then DuckDB
aborting inside dbt. So the run works in a process group of its own, which the terminal does not
signal, while this small process (standard library only) waits in the foreground. On Ctrl-C or
SIGTERM it stops the whole group and says in one line what that means. A run may be stopped at
any moment: every write is atomic or replayed, and the next run sweeps what is left
(storage/litter.py; tests/test_recovery.py kills runs at every stage).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SUPERVISED = "ICTBENCH_SUPERVISED"
GRACE_SECONDS = 10.0
SHOW_CURSOR = "\x1b[?25h"  # the progress bars hide it; the stopped run cannot show it again


class Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] != ["run"] or os.environ.get(SUPERVISED) or "--help" in arguments:
        from pipelines.cli.app import main as run_command

        run_command()
        return
    sys.exit(supervise([sys.executable, "-m", "pipelines.cli.app", *arguments], arguments))


def supervise(command: list[str], arguments: list[str]) -> int:
    """Run command in a process group of its own; on SIGINT or SIGTERM stop all of it."""

    def stop(signum: int, frame: object) -> None:
        raise Stopped(signum)

    published = published_file(arguments)
    before = _identity(published)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    child = None
    try:
        child = subprocess.Popen(command, env={**os.environ, SUPERVISED: "1"}, process_group=0)
        return child.wait()
    except Stopped as stopped:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if child is not None:
            stop_group(child)
        if sys.stderr.isatty():
            sys.stderr.write(SHOW_CURSOR)
        print(interrupted(published, changed=_identity(published) != before), file=sys.stderr)
        return 128 + stopped.signum


def interrupted(published: Path, *, changed: bool) -> str:
    if changed:
        return (
            f"Interrupted after the mart was published ({published}); run `ictbench run` "
            "again to finish (the Parquet export may still be the previous one)."
        )
    return (
        "Interrupted: nothing was published, the published mart is as it was. "
        "Run `ictbench run` again to continue."
    )


def stop_group(child: subprocess.Popen) -> None:
    """SIGTERM to the run's process group, SIGKILL to whatever of it is left after the grace."""
    _signal_group(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=GRACE_SECONDS)
    while _group_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    _signal_group(child.pid, signal.SIGKILL)
    child.wait()


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def published_file(arguments: list[str]) -> Path:
    """The published mart of the warehouse the run writes: --warehouse, or the default."""
    from pipelines.settings import default_paths

    warehouse = None
    for position, argument in enumerate(arguments):
        if argument == "--warehouse" and position + 1 < len(arguments):
            warehouse = arguments[position + 1]
        elif argument.startswith("--warehouse="):
            warehouse = argument.partition("=")[2]
    folder = Path(warehouse).resolve() if warehouse else default_paths().warehouse
    return folder / "benchmark.duckdb"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns
