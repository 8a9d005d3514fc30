"""The instance's sqlite run history skips the fsync per event; nothing else does."""

from pathlib import Path

import sqlalchemy as sa

from pipelines.event_log import relax_event_log_durability


def synchronous(database: Path) -> int:
    with sa.create_engine(f"sqlite:///{database}").connect() as connection:
        return connection.exec_driver_sql("PRAGMA synchronous").scalar()


def test_only_the_dagster_home_storage_skips_fsync(tmp_path: Path, monkeypatch):
    home = tmp_path / "dagster_home"
    (home / "history").mkdir(parents=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    relax_event_log_durability()
    relax_event_log_durability()  # idempotent

    assert synchronous(home / "history" / "runs.db") == 0  # OFF
    assert synchronous(tmp_path / "elsewhere.db") == 2  # FULL, sqlite's default
