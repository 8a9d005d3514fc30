"""Bring a copy of the published mart up to the build: only what differs is written.

Writing every BI table into a new file costs time in proportion to the history kept (23 million
ledger lines after ten years: 25 seconds), while a re-delivery changes one municipality-year. So a
copy of the published file is updated instead: a table whose rows differ from the build's is
replaced, and of the ledger-line table only the municipality-years whose rows differ are deleted
and inserted again. Rows are compared by content (a hash of every column), never by delivery ids:
a change of the dbt project changes rows without changing where they came from. The build keeps
the digests of its ledger lines per municipality-year as dbt writes them (models/publishing), and
the publish that made the published file kept that file's, so neither side's rows are read.

The copy starts from the published file, which holds BI tables only, and reads live rows from the
build, so nothing of the build's other schemas nor rows deleted there reach it. What it may hold
in freed space is rows an earlier version published; publish.py writes a new file instead when
that space grows past a share of the file, and `ictbench run --full` always does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.publish.sql import literal, name

# tables of ledger lines: replaced per (municipality, fiscal year) instead of whole
PER_SLOT = {"fct_ict_cost_line": ("municipality_code", "fiscal_year")}
# the build's digests of a PER_SLOT table's slots (line_count, digest), kept by dbt
SLOT_DIGESTS = {"fct_ict_cost_line": ("publishing", "fct_ict_cost_line_slot_digests")}
# past this share of free blocks, the file is written fresh
MAX_FREE_SHARE = 0.25


@dataclass(frozen=True)
class Updated:
    tables: dict[str, int]  # rows per table, as in the build
    replaced: list[str]  # tables written whole
    slots: dict[str, list[tuple]]  # per PER_SLOT table, the (municipality, year) written again
    free_share: float
    # the new file's fingerprints, kept for the next update: per PER_SLOT table [*slot, rows,
    # digest] of every slot, per other table one [rows, digest]
    fingerprints: dict[str, list[list]] = field(default_factory=dict)


def schema_of(connection: duckdb.DuckDBPyConnection, database: str, schema: str) -> list:
    """Tables and views with their DDL and comments, and the column comments: what must be equal
    for rows alone to be updated."""
    return [
        connection.execute(
            "SELECT table_name, sql, comment FROM duckdb_tables() "
            "WHERE database_name = ? AND schema_name = ? ORDER BY table_name",
            [database, schema],
        ).fetchall(),
        connection.execute(
            "SELECT view_name, sql, comment FROM duckdb_views() "
            "WHERE database_name = ? AND schema_name = ? AND NOT internal ORDER BY view_name",
            [database, schema],
        ).fetchall(),
        connection.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = ? AND comment IS NOT NULL "
            "ORDER BY table_name, column_index",
            [database, schema],
        ).fetchall(),
    ]


def update_to_build(
    target: Path,
    build_db: Path,
    schema: str,
    config: dict,
    known: dict[str, list[list]] | None = None,
) -> Updated | None:
    """Update `target` (a copy of the published file) to the BI schema of `build_db`; None, and
    `target` left for the caller to remove, when the tables, views or comments differ (a new
    file is written then).

    known: the fingerprints of the published file's tables (Updated.fingerprints of the publish
    that made it), so that its rows need not be read to compare them."""
    with duckdb.connect(str(target), config=config) as connection:
        connection.execute(f"ATTACH {literal(str(build_db))} AS build (READ_ONLY)")
        if schema_of(connection, "build", schema) != schema_of(
            connection, current(connection), "main"
        ):
            return None
        tables = [row[0] for row in schema_of(connection, "build", schema)[0]]
        source = f"build.{name(schema)}"
        replaced: list[str] = []
        slots: dict[str, list[tuple]] = {}
        fingerprints: dict[str, list[list]] = {}
        connection.execute("BEGIN")
        for table in tables:
            if table in PER_SLOT:
                slots[table], fingerprints[table] = _update_slots(
                    connection, table, source, PER_SLOT[table], (known or {}).get(table)
                )
                continue
            built = _fingerprint(connection, f"{source}.{name(table)}")
            fingerprints[table] = [built]
            published = (known or {}).get(table) or [
                _fingerprint(connection, f"main.{name(table)}")
            ]
            if published != [built]:
                connection.execute(f"DELETE FROM main.{name(table)}")
                connection.execute(
                    f"INSERT INTO main.{name(table)} SELECT * FROM {source}.{name(table)}"
                )
                replaced.append(table)
        connection.execute("COMMIT")
        connection.execute("DETACH build")
        connection.execute("CHECKPOINT")
        counts = {
            table: connection.execute(f"SELECT count(*) FROM main.{name(table)}").fetchone()[0]
            for table in tables
        }
        free, total = connection.execute(
            "SELECT free_blocks, total_blocks FROM pragma_database_size()"
        ).fetchone()
    return Updated(counts, replaced, slots, free / total if total else 0.0, fingerprints)


def current(connection: duckdb.DuckDBPyConnection) -> str:
    return connection.execute("SELECT current_database()").fetchone()[0]


def _fingerprint(connection: duckdb.DuckDBPyConnection, table: str) -> list:
    """[rows, digest]: as JSON keeps it."""
    return list(
        connection.execute(
            f"SELECT count(*), CAST(sum(hash(*COLUMNS(*))) AS VARCHAR) FROM {table}"
        ).fetchone()
    )


def _update_slots(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    keys: tuple[str, ...],
    known: list[list] | None,
) -> tuple[list[tuple], list[list]]:
    """Delete and insert again the rows of every slot whose rows differ; the slots written, and
    the fingerprint of every slot of the build (rows and a hash of their content).

    known: the fingerprints of the published file's slots, when they were kept from the publish
    that made it; else they are computed from its rows."""
    columns = ", ".join(name(key) for key in keys)
    fingerprints = (
        f"SELECT {columns}, count(*) AS n, CAST(sum(hash(*COLUMNS(*))) AS VARCHAR) AS digest "
        "FROM {} GROUP BY ALL"
    )
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE build_slots AS "
        + (
            _kept_digests(connection, table, source, keys)
            or fingerprints.format(f"{source}.{name(table)}")
        )
    )
    if not known:
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE published_slots AS "
            + fingerprints.format(f"main.{name(table)}")
        )
    else:
        given = pa.table(list(zip(*known, strict=True)), names=[*keys, "n", "digest"])
        connection.register("known_slots", given)
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE published_slots AS SELECT * FROM known_slots"
        )
        connection.unregister("known_slots")
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE changed_slots AS SELECT DISTINCT {columns} FROM ("
        "(SELECT * FROM published_slots EXCEPT SELECT * FROM build_slots) UNION ALL "
        "(SELECT * FROM build_slots EXCEPT SELECT * FROM published_slots))"
    )
    changed = connection.execute("SELECT * FROM changed_slots ORDER BY ALL").fetchall()
    if changed:
        connection.execute(
            f"DELETE FROM main.{name(table)} WHERE ({columns}) IN (SELECT * FROM changed_slots)"
        )
        connection.execute(
            f"INSERT INTO main.{name(table)} SELECT * FROM {source}.{name(table)} "
            f"WHERE ({columns}) IN (SELECT * FROM changed_slots)"
        )
    built = [
        list(row) for row in connection.execute("SELECT * FROM build_slots ORDER BY ALL").fetchall()
    ]
    connection.execute(
        "DROP TABLE changed_slots; DROP TABLE build_slots; DROP TABLE published_slots"
    )
    return changed, built


def _kept_digests(
    connection: duckdb.DuckDBPyConnection, table: str, source: str, keys: tuple[str, ...]
) -> str | None:
    """A query for the slot fingerprints of the build's `table` from the digests dbt kept beside
    it, or None when there are none, or when they do not count the table's rows (then its rows
    are read)."""
    if table not in SLOT_DIGESTS:
        return None
    digest_schema, digest_table = SLOT_DIGESTS[table]
    database = source.split(".")[0]
    [exists] = connection.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [database, digest_schema, digest_table],
    ).fetchone()
    if not exists:
        return None
    digests = f"{database}.{name(digest_schema)}.{name(digest_table)}"
    [counted, rows] = connection.execute(
        f"SELECT (SELECT sum(line_count) FROM {digests}), "
        f"(SELECT count(*) FROM {source}.{name(table)})"
    ).fetchone()
    if counted != rows:
        return None
    columns = ", ".join(name(key) for key in keys)
    return f"SELECT {columns}, line_count AS n, digest FROM {digests} WHERE line_count > 0"
