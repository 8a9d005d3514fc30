"""The local Dagster instance writes its run history to sqlite without an fsync per event.

A national run materialises more than a thousand partitions, each a few events, and sqlite's
default commits every event to disk: about 50 ms each here, two minutes per run. Without the
fsync an application crash (even SIGKILL) still loses nothing; only a power cut can damage the
run history, never the warehouse. Set ICTBENCH_DAGSTER_FSYNC=1 to keep sqlite's default, or point
dagster.yaml at PostgreSQL for a shared deployment.
"""

from __future__ import annotations

import os
import sqlite3
from functools import cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

FSYNC_ENV = "ICTBENCH_DAGSTER_FSYNC"


@cache
def _resolved(path: str) -> Path:
    return Path(path).resolve()


def _in_dagster_home(connection: sqlite3.Connection) -> bool:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return False
    files = [row[2] for row in connection.execute("PRAGMA database_list") if row[2]]
    return any(_resolved(file).is_relative_to(_resolved(home)) for file in files)


def _without_fsync(dbapi_connection, _connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection) and _in_dagster_home(dbapi_connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def relax_event_log_durability() -> None:
    """Install once per process, before the instance opens its storage."""
    if os.environ.get(FSYNC_ENV) == "1" or event.contains(Engine, "connect", _without_fsync):
        return
    event.listen(Engine, "connect", _without_fsync)
