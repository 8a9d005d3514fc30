"""The published file is written fresh, or updated from a copy of the published one: its bytes hold
its tables, never the build's other schemas nor rows deleted there."""

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.publish import keep_previous_version, publish
from pipelines.storage.duckdb_format import STORAGE_VERSION, storage_version
from pipelines.storage.files import read_json, write_json_atomic

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


@pytest.mark.parametrize("path", ["fresh", "update"])
def test_a_failed_write_leaves_the_published_file_and_no_staging_file(
    build: Path, monkeypatch, path: str
):
    published = build.parent.parent / "benchmark.duckdb"
    publish(build, published)
    before = published.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    broken_step = "_write_fresh" if path == "fresh" else "update_to_build"
    monkeypatch.setattr(f"pipelines.publish.publish.{broken_step}", broken)
    with pytest.raises(RuntimeError):
        publish(build, published, fresh=path == "fresh")
    assert published.read_bytes() == before
    assert not [p for p in os.listdir(published.parent) if p.endswith(".new")]


# --- a copy of the published file, updated -------------------------------------------------------

RETRACTED = "retracted-description"


def make_ledger_build(path: Path) -> None:
    """A build with ledger lines of three municipality-years and a small table."""
    with duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION}) as c:
        c.execute("CREATE SCHEMA intermediate")
        c.execute(f"CREATE TABLE intermediate.employees AS SELECT '{SECRET}' AS employee_key")
        c.execute(
            "CREATE TABLE fct_ict_cost_line AS SELECT code AS municipality_code, year AS "
            "fiscal_year, i AS source_row, 'line ' || i AS description, i * 1.5 AS amount "
            "FROM (VALUES ('GM0363', 2023), ('GM0363', 2024), ('GM0599', 2024)) s(code, year), "
            "range(2000) r(i)"
        )
        c.execute("CREATE TABLE ict_benchmark AS SELECT 'GM0363' AS municipality_code, 1.0 AS x")
        c.execute("COMMENT ON TABLE ict_benchmark IS 'The benchmark'")
        c.execute("CHECKPOINT")


def published_rows(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as c:
        return {
            table: sorted(c.execute(f'SELECT * FROM "{table}"').fetchall())
            for (table,) in c.execute("SHOW TABLES").fetchall()
        }


@pytest.fixture
def ledger_build(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "build").mkdir()
    path = tmp_path / "build" / "benchmark.duckdb"
    make_ledger_build(path)
    published = tmp_path / "benchmark.duckdb"
    assert publish(path, published).how == "written fresh"  # the first file
    return path, published


def test_a_changed_municipality_year_is_written_again_and_nothing_else(ledger_build):
    build, published = ledger_build
    exported = published.parent / "export" / "fct_ict_cost_line"
    inodes = {p.name: p.stat().st_ino for p in exported.glob("GM*.parquet")}
    with duckdb.connect(str(build)) as c:
        c.execute(
            f"UPDATE fct_ict_cost_line SET description = '{RETRACTED}' "
            "WHERE municipality_code = 'GM0599'"
        )
        c.execute("UPDATE ict_benchmark SET x = 2.0")
    result = publish(build, published)
    assert result.how.startswith("updated")
    assert result.changes.slots == {"fct_ict_cost_line": [("GM0599", 2024)]}
    assert result.changes.tables == {"ict_benchmark"}
    assert published_rows(published) == published_rows_of_build(build)
    assert SECRET.encode() not in published.read_bytes()
    # the export: GM0363's files kept as they were (the same files), GM0599's written again
    after = {p.name: p.stat().st_ino for p in exported.glob("GM*.parquet")}
    assert sorted(after) == ["GM0363_2023.parquet", "GM0363_2024.parquet", "GM0599_2024.parquet"]
    assert after["GM0363_2023.parquet"] == inodes["GM0363_2023.parquet"]
    assert after["GM0363_2024.parquet"] == inodes["GM0363_2024.parquet"]
    assert after["GM0599_2024.parquet"] != inodes["GM0599_2024.parquet"]
    with duckdb.connect() as c:
        assert c.execute(
            f"SELECT count(*) FROM '{exported}/GM0599_2024.parquet' "
            f"WHERE description = '{RETRACTED}'"
        ).fetchone() == (2000,)
        assert (
            c.execute(f"SELECT max(x) FROM '{exported.parent}/ict_benchmark.parquet'").fetchone()[0]
            == 2
        )

    # the fingerprints of the published file are kept for the next update to compare with: per
    # municipality-year of the ledger lines, one for each other table
    kept = read_json(published.parent / "versions" / ".table_fingerprints.json")
    stat = published.stat()
    assert kept["file"] == [stat.st_ino, stat.st_size, stat.st_mtime_ns]
    assert [row[:3] for row in kept["tables"]["fct_ict_cost_line"]] == [
        ["GM0363", 2023, 2000],
        ["GM0363", 2024, 2000],
        ["GM0599", 2024, 2000],
    ]
    [[rows, _]] = kept["tables"]["ict_benchmark"]
    assert rows == 1

    # the description put back: an update; `--full` then makes a new file with nothing of
    # earlier versions in its bytes
    with duckdb.connect(str(build)) as c:
        c.execute("UPDATE fct_ict_cost_line SET description = 'line ' || source_row")
    assert publish(build, published).how.startswith("updated")
    assert published_rows(published) == published_rows_of_build(build)
    assert publish(build, published, fresh=True).how == "written fresh"
    assert RETRACTED.encode() not in published.read_bytes()
    assert published_rows(published) == published_rows_of_build(build)

    # a municipality gone: its rows and its export file
    with duckdb.connect(str(build)) as c:
        c.execute("DELETE FROM fct_ict_cost_line WHERE municipality_code = 'GM0599'")
    publish(build, published)
    assert published_rows(published) == published_rows_of_build(build)
    assert not (exported / "GM0599_2024.parquet").exists()
    assert (exported / "GM0363_2024.parquet").exists()


def test_a_copy_with_too_much_freed_space_is_not_published(ledger_build, monkeypatch):
    build, published = ledger_build
    monkeypatch.setattr("pipelines.publish.publish.MAX_FREE_SHARE", -1.0)
    assert publish(build, published).how == "written fresh"


def published_rows_of_build(build: Path) -> dict[str, list]:
    with duckdb.connect(str(build), read_only=True) as c:
        return {
            table: sorted(c.execute(f'SELECT * FROM main."{table}"').fetchall())
            for (table,) in c.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }


def test_a_new_column_comment_or_table_makes_a_new_file(ledger_build):
    build, published = ledger_build
    with duckdb.connect(str(build)) as c:
        c.execute("COMMENT ON COLUMN ict_benchmark.x IS 'A figure'")
    assert publish(build, published).how == "written fresh"
    with duckdb.connect(str(build)) as c:
        c.execute("CREATE TABLE dim_new AS SELECT 1 AS y")
    assert publish(build, published).how == "written fresh"
    assert published_rows(published)["dim_new"] == [(1,)]
    assert publish(build, published).how.startswith("updated")


def test_versions_made_here_are_not_written_again(ledger_build):
    build, published = ledger_build
    for _ in range(3):
        publish(build, published)
    versions = sorted((published.parent / "versions").glob("benchmark-*.duckdb"))
    inodes = [v.stat().st_ino for v in versions]
    publish(build, published)
    kept = {v.stat().st_ino for v in (published.parent / "versions").glob("benchmark-*.duckdb")}
    assert set(inodes[1:]) <= kept  # the oldest went, the others are the same files


def test_a_rolled_back_file_is_compared_by_its_rows(ledger_build):
    """The kept fingerprints belong to the file they were made with; after a rollback the
    published file's own rows are compared."""
    from pipelines.publish.publish import rollback

    build, published = ledger_build
    with duckdb.connect(str(build)) as c:
        c.execute("UPDATE fct_ict_cost_line SET amount = amount + 1 WHERE fiscal_year = 2023")
    exported = published.parent / "export" / "fct_ict_cost_line"
    year_before = (exported / "GM0363_2024.parquet").stat().st_ino
    publish(build, published)
    # a changed year of a municipality rewrites that year's file only
    assert (exported / "GM0363_2024.parquet").stat().st_ino == year_before
    with duckdb.connect() as c:
        assert c.execute(
            f"SELECT fiscal_year, sum(amount) FROM '{exported}/GM0363_2023.parquet' GROUP BY ALL"
        ).fetchall() == [(2023, sum(i * 1.5 + 1 for i in range(2000)))]
    rollback(published)  # the first file again: 2023 as it was before
    result = publish(build, published)
    assert result.changes.slots == {"fct_ict_cost_line": [("GM0363", 2023)]}
    assert published_rows(published) == published_rows_of_build(build)


def keep_slot_digests(build: Path) -> None:
    """What the dbt model models/publishing/fct_ict_cost_line_slot_digests keeps in a real build."""
    with duckdb.connect(str(build)) as c:
        c.execute("CREATE SCHEMA IF NOT EXISTS publishing")
        c.execute(
            "CREATE OR REPLACE TABLE publishing.fct_ict_cost_line_slot_digests AS "
            "SELECT municipality_code, fiscal_year, count(*) AS line_count, "
            "CAST(sum(hash(*COLUMNS(*))) AS VARCHAR) AS digest FROM main.fct_ict_cost_line "
            "GROUP BY ALL"
        )


def test_the_slots_are_compared_by_the_digests_the_build_keeps(ledger_build):
    """Publishing reads the build's digests instead of hashing its ledger lines: a slot whose kept
    digest differs is written again even though its rows did not change."""
    build, published = ledger_build
    keep_slot_digests(build)
    assert publish(build, published).changes.slots == {"fct_ict_cost_line": []}
    with duckdb.connect(str(build)) as c:
        c.execute(
            "UPDATE publishing.fct_ict_cost_line_slot_digests SET digest = 'other' "
            "WHERE fiscal_year = 2023"
        )
    assert publish(build, published).changes.slots == {"fct_ict_cost_line": [("GM0363", 2023)]}
    assert published_rows(published) == published_rows_of_build(build)


def test_digests_that_do_not_count_the_rows_are_not_used(ledger_build):
    """Digests out of step with the table (rows added without them) are left for its rows."""
    build, published = ledger_build
    keep_slot_digests(build)
    with duckdb.connect(str(build)) as c:
        c.execute("INSERT INTO fct_ict_cost_line SELECT 'GM0599', 2024, 9999, 'late line', 1.5")
    result = publish(build, published)
    assert result.changes.slots == {"fct_ict_cost_line": [("GM0599", 2024)]}
    assert published_rows(published) == published_rows_of_build(build)


def test_a_table_is_compared_with_the_fingerprint_kept_for_the_published_file(ledger_build):
    """The published file's rows of a whole table are not read again: its kept fingerprint
    stands for them (and a kept fingerprint that differs from the build's has the table written)."""
    build, published = ledger_build
    assert publish(build, published).changes.tables == frozenset()
    record = published.parent / "versions" / ".table_fingerprints.json"
    kept = read_json(record)
    kept["tables"]["ict_benchmark"] = [[1, "not the build's"]]
    write_json_atomic(kept, record)
    assert publish(build, published).changes.tables == {"ict_benchmark"}
    assert published_rows(published) == published_rows_of_build(build)


# --- the copy started ahead -----------------------------------------------------------------------


def leftover_copies(published: Path) -> list[str]:
    return [p.name for p in published.parent.iterdir() if p.name.endswith((".copy", ".new"))]


def test_a_copy_started_ahead_is_the_one_updated(ledger_build):
    from pipelines.publish.published_copy import PublishedCopy

    build, published = ledger_build
    with duckdb.connect(str(build)) as c:
        c.execute("UPDATE ict_benchmark SET x = 3.0")
    copied = PublishedCopy.started(published)
    before = published.stat().st_ino
    result = publish(build, published, copied=copied)
    assert result.how.startswith("updated")
    assert published.stat().st_ino != before
    assert published_rows(published) == published_rows_of_build(build)
    assert copied.take() is None  # taken once
    assert leftover_copies(published) == []


def test_a_copy_of_a_file_replaced_since_is_not_used(ledger_build):
    """A rollback between the start of the run and its publish step: the copy is of a file no
    longer published, so the file published now is copied and updated instead."""
    from pipelines.publish.publish import rollback
    from pipelines.publish.published_copy import PublishedCopy

    build, published = ledger_build
    with duckdb.connect(str(build)) as c:
        c.execute("UPDATE fct_ict_cost_line SET amount = amount + 1 WHERE fiscal_year = 2023")
    publish(build, published)
    copied = PublishedCopy.started(published)
    rollback(published)  # 2023 as it was before
    result = publish(build, published, copied=copied)
    assert result.changes.slots == {"fct_ict_cost_line": [("GM0363", 2023)]}
    assert published_rows(published) == published_rows_of_build(build)
    assert leftover_copies(published) == []


def test_a_copy_nobody_took_is_removed(ledger_build, tmp_path):
    from pipelines.publish.published_copy import PublishedCopy

    _, published = ledger_build
    copied = PublishedCopy.started(published)
    copied.discard()
    assert leftover_copies(published) == []
    assert PublishedCopy.started(tmp_path / "none.duckdb").take() is None  # nothing published yet


def test_an_export_file_gone_from_the_previous_export_is_written_again(ledger_build):
    """A municipality-year the update did not touch, whose file someone removed from the export,
    is written again from the published rows instead of linked."""
    build, published = ledger_build
    exported = published.parent / "export" / "fct_ict_cost_line"
    (exported / "GM0363_2023.parquet").unlink()
    with duckdb.connect(str(build)) as c:
        c.execute(
            "UPDATE fct_ict_cost_line SET amount = amount + 1 WHERE municipality_code = 'GM0599'"
        )
    assert publish(build, published).changes.slots == {"fct_ict_cost_line": [("GM0599", 2024)]}
    with duckdb.connect() as c:
        assert c.execute(
            f"SELECT fiscal_year, count(*) FROM '{exported}/GM0363_2023.parquet' GROUP BY ALL"
        ).fetchall() == [(2023, 2000)]


def test_a_copy_that_failed_is_reported_by_the_step_that_takes_it(ledger_build, monkeypatch):
    from pipelines.publish import published_copy

    build, published = ledger_build
    before = published.read_bytes()

    def full_disk(source, target):
        Path(target).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(published_copy.shutil, "copyfile", full_disk)
    with pytest.raises(OSError, match="No space left"):
        publish(build, published, copied=published_copy.PublishedCopy.started(published))
    assert published.read_bytes() == before
    assert leftover_copies(published) == []
