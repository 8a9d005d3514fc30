"""The local Dagster instance's sqlite run history: no fsync per event, asset events in batches.

A national run materialises more than a thousand partitions, each a few events, and sqlite's
default commits every event to disk: about 50 ms each here, two minutes per run. Without the
fsync an application crash (even SIGKILL) still loses nothing; only a power cut can damage the
run history, never the warehouse. Set ICTBENCH_DAGSTER_FSYNC=1 to keep sqlite's default, or point
dagster.yaml at PostgreSQL for a shared deployment.

Dagster hands the storage a run's planned events, and a partitioned step's materialisations, as
batches when DAGSTER_EVENT_BATCH_SIZE is set. Its sqlite storage still writes them one at a time,
and each event over two to four fresh connections (an asset check event: the run's database, the
index twice, and a new engine to ask whether the checks table exists). `BatchedSqliteEventLogStorage`
runs Dagster's own `store_event` with each database opened once for the event, or for the batch: the
same rows in the same order, one transaction per database. No public storage or instance setting
does this, so the subclass builds on Dagster's private storage internals (`_connect`, `_db_lock`),
for these measured gains: a run of 3 x 342 partition materialisations took 3.7-8.3 s instead of
19.9-34.6 s (4 s of CPU instead of 19), a full build of all 342 municipalities (demo data at scale
0.05) 90-99 s of CPU instead of 102-111 s; the 107 planned events of a run that re-delivers one
ledger (71 of them for dbt tests) are stored in 0.16-0.19 s instead of 0.69-0.79 s.
tests/test_event_log.py fails when the rows differ from Dagster's own, when Dagster stops handing
over batches, or when its sqlite storage writes batches itself (then this can go).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from functools import cache
from pathlib import Path

from dagster import Field, StringSource
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy import event
from sqlalchemy.engine import Engine

FSYNC_ENV = "ICTBENCH_DAGSTER_FSYNC"
EVENT_BATCH_SIZE_ENV = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = 2000  # a national run's 342 partitions per asset fit in one batch


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


def configure_event_log() -> None:
    """No fsync for the sqlite files under DAGSTER_HOME, and Dagster's event batches switched on.

    Once per process, before the instance opens its storage."""
    os.environ.setdefault(EVENT_BATCH_SIZE_ENV, str(EVENT_BATCH_SIZE))
    if os.environ.get(FSYNC_ENV) == "1" or event.contains(Engine, "connect", _without_fsync):
        return
    event.listen(Engine, "connect", _without_fsync)


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's per-run sqlite event log; without `base_dir`, $DAGSTER_HOME/history/runs."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._shared = threading.local()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)
        # inside a shared transaction, one database is open while the next one opens
        self._db_lock = threading.RLock()

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        base_dir = config_value.get("base_dir") or os.path.join(
            os.environ["DAGSTER_HOME"], "history", "runs"
        )
        return cls(base_dir=base_dir, inst_data=inst_data)

    def store_event(self, event: EventLogEntry) -> None:
        with self._one_transaction_per_database():
            super().store_event(event)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        with self._one_transaction_per_database():
            for entry in events:
                super().store_event(entry)

    @contextmanager
    def _one_transaction_per_database(self) -> Iterator[None]:
        """Dagster's own `store_event`, with each database it opens opened once for the lot."""
        if getattr(self._shared, "connections", None) is not None:
            yield  # already inside one
            return
        with self._db_lock, ExitStack() as opened:
            self._shared.connections = {}
            self._shared.opened = opened
            try:
                yield
            finally:
                self._shared.connections = None

    def _connect(self, shard: str):
        connections = getattr(self._shared, "connections", None)
        if connections is None:
            return super()._connect(shard)
        if shard not in connections:
            connections[shard] = self._shared.opened.enter_context(super()._connect(shard))
        return nullcontext(connections[shard])

    def has_table(self, table_name: str) -> bool:
        """Asked at every asset check event, each time over a new engine; a table stays."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables
