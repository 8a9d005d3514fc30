"""One writer at a time per warehouse, across processes.

A kernel file lock rather than a Dagster pool slot: when a run is killed (SIGKILL, a crash, a
reboot) the kernel releases the lock with the process, where a claimed pool slot would stay taken
until someone frees it by hand.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def warehouse_writer(warehouse: Path) -> Iterator[None]:
    warehouse.mkdir(parents=True, exist_ok=True)
    with (warehouse / ".writer.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits for a running writer, never fails on it
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
