"""The published file is written fresh: its bytes hold its tables and nothing freed or dropped."""

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.publish import keep_previous_version, publish
from pipelines.storage.duckdb_format import STORAGE_VERSION, storage_version

SECRET = "pseudonym-0f3c9a1b7e5d4c2a"  # only in the intermediate schema and in deleted rows
GONE = "overwritten-department-text"


def make_build(path: Path) -> None:
    with duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION}) as c:
        c.execute("CREATE SCHEMA intermediate")
        c.execute(
            "CREATE TABLE intermediate.employees AS "
            f"SELECT '{SECRET}-' || i AS employee_key, i AS n FROM range(5000) t(i)"
        )
        c.execute(
            "CREATE TABLE fct_training (department VARCHAR NOT NULL, employees BIGINT, "
            "CHECK (employees >= 0))"
        )
        c.execute(f"INSERT INTO fct_training SELECT '{GONE}-' || i, i FROM range(5000) t(i)")
        c.execute("CHECKPOINT")
        c.execute("DELETE FROM fct_training")
        c.execute("INSERT INTO fct_training VALUES ('Dienstverlening', 6), ('Kabinet', 1)")
        c.execute("COMMENT ON TABLE fct_training IS 'Training per department'")
        c.execute("COMMENT ON COLUMN fct_training.employees IS 'Employees in it'")
        c.execute("CREATE VIEW trained AS SELECT * FROM fct_training WHERE employees >= 5")
        c.execute("COMMENT ON VIEW trained IS 'Departments shown'")
        c.execute("CHECKPOINT")


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "build").mkdir()
    path = tmp_path / "build" / "benchmark.duckdb"
    make_build(path)
    assert SECRET.encode() in path.read_bytes()  # the check below can see it
    return path


def describe(path: Path) -> list:
    with duckdb.connect(str(path), read_only=True) as c:
        return [
            c.execute("SELECT * FROM fct_training").fetchall(),
            c.execute("SELECT * FROM trained").fetchall(),
            c.execute("SELECT table_name, sql, comment FROM duckdb_tables()").fetchall(),
            c.execute(
                "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"
            ).fetchall(),
            c.execute(
                "SELECT table_name, column_name, data_type, is_nullable, comment "
                "FROM duckdb_columns() ORDER BY ALL"
            ).fetchall(),
            c.execute(
                "SELECT constraint_type, expression FROM duckdb_constraints() ORDER BY ALL"
            ).fetchall(),
        ]


def test_the_published_file_has_the_bi_tables_and_none_of_the_freed_bytes(build: Path):
    published = build.parent.parent / "benchmark.duckdb"
    result = publish(build, published)
    assert result.tables == {"fct_training": 2}
    data = published.read_bytes()
    assert SECRET.encode() not in data
    assert GONE.encode() not in data
    assert storage_version(published) == f"{STORAGE_VERSION}+"
    [rows, shown, tables, views, columns, constraints] = describe(published)
    assert rows == [("Dienstverlening", 6), ("Kabinet", 1)]
    assert shown == [("Dienstverlening", 6)]
    assert [(name, comment) for name, _, comment in tables] == [
        ("fct_training", "Training per department")
    ]
    assert views == [("trained", "Departments shown")]
    assert ("fct_training", "employees", "BIGINT", True, "Employees in it") in columns
    assert {kind for kind, _ in constraints} == {"NOT NULL", "CHECK"}
    with duckdb.connect(str(build), read_only=True) as c:
        expected = c.execute(
            "SELECT table_name, sql FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    assert [(name, sql) for name, sql, _ in tables] == expected


def test_a_version_published_by_a_copy_is_written_fresh_once(build: Path):
    """A file published before publishing wrote fresh files (a copy of the build with the other
    schemas dropped) still holds them in free blocks; kept as a version, it is rewritten."""
    published = build.parent.parent / "benchmark.duckdb"
    shutil.copyfile(build, published)
    with duckdb.connect(str(published)) as c:
        c.execute("DROP SCHEMA intermediate CASCADE")
        c.execute("CHECKPOINT")
    assert SECRET.encode() in published.read_bytes()
    publish(build, published)
    [version] = (published.parent / "versions").glob("benchmark-*.duckdb")
    assert SECRET.encode() not in version.read_bytes()
    assert describe(version)[0] == [("Dienstverlening", 6), ("Kabinet", 1)]
    assert not list(version.parent.glob(".*.new"))
    # a fresh version is left as it is: the same file, not rewritten at every publish
    inode = version.stat().st_ino
    keep_previous_version(published)
    assert version.stat().st_ino == inode


def test_a_failed_write_leaves_the_published_file_and_no_staging_file(build: Path, monkeypatch):
    published = build.parent.parent / "benchmark.duckdb"
    publish(build, published)
    before = published.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("pipelines.publish.publish._write_fresh", broken)
    with pytest.raises(RuntimeError):
        publish(build, published)
    assert published.read_bytes() == before
    assert not [p for p in os.listdir(published.parent) if p.endswith(".new")]
