"""The benchmark as a readable table in the terminal, read from the published mart only."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

BENCHMARK_QUERY = """
with top as (
    select
        municipality_code,
        fiscal_year,
        string_agg(replace(category, '_', ' ') || ' ' || cast(round(cost_per_inhabitant) as integer), ', '
                   order by cost desc) filter (where rank <= 3) as top_categories
    from (
        select *, row_number() over (
            partition by municipality_code, fiscal_year order by cost desc) as rank
        from ict_cost_by_category
    )
    group by all
)
select
    b.municipality_name,
    b.municipality_code,
    b.fiscal_year,
    b.inhabitants,
    b.ict_cost_per_inhabitant,
    b.personnel_share,
    b.saas_share_of_software,
    top.top_categories,
    b.ledger_status
from ict_benchmark as b
left join top using (municipality_code, fiscal_year)
where ($code is null or b.municipality_code = $code) and ($year is null or b.fiscal_year = $year)
order by b.municipality_name, b.municipality_code, b.fiscal_year
"""

# the query's columns, as scripts get them (--format csv|json)
FIELDS = (
    "municipality_name",
    "municipality_code",
    "fiscal_year",
    "inhabitants",
    "ict_cost_per_inhabitant",
    "personnel_share",
    "saas_share_of_software",
    "top_categories",
    "ledger_status",
)


@dataclass(frozen=True)
class Column:
    header: str
    justify: str
    drop: int  # in a narrow terminal the highest goes first; 0: never dropped
    wraps: bool = False  # may wrap to WRAP_WIDTH instead of being dropped at once


WRAP_WIDTH = 16
COLUMNS = (
    Column("Municipality", "left", 0, wraps=True),
    Column("Code", "left", 0),
    Column("Year", "right", 0),
    Column("Inhabitants", "right", 3),
    Column("ICT €/inh.", "right", 0),
    Column("Personnel", "right", 4),
    Column("SaaS of sw", "right", 5),
    Column("Top categories (€/inh.)", "left", 7, wraps=True),
    Column("Ledger", "left", 6),
)


def read_benchmark(
    published_db: Path, code: str | None = None, year: int | None = None
) -> list[tuple]:
    with duckdb.connect(str(published_db), read_only=True) as connection:
        return connection.execute(BENCHMARK_QUERY, {"code": code, "year": year}).fetchall()


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ")


def _share(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _cells(row: tuple) -> tuple[str, ...]:
    name, code, year, inhabitants, per_inhabitant, personnel, saas, top, status = row
    return (
        name or "?",
        code,
        str(year),
        _number(inhabitants),
        _number(per_inhabitant, 2),
        _share(personnel),
        _share(saas),
        top or "",
        status or "",
    )


def _table_width(widths: dict[int, int]) -> int:
    return sum(width + 3 for width in widths.values()) + 1  # padding and a border per column


def fit(rows: list[tuple[str, ...]], width: int) -> dict[int, int]:
    """Column index -> width for a table at most `width` wide: wrapping columns narrow first,
    then columns are left out by priority; a figure is never cut (the table may stay wider)."""
    natural = {
        index: max([len(column.header), *(len(row[index]) for row in rows)])
        for index, column in enumerate(COLUMNS)
    }
    widths = dict(natural)

    def narrowest(index: int) -> int:
        longest_word = max((len(w) for row in rows for w in row[index].split()), default=0)
        return min(natural[index], max(WRAP_WIDTH, longest_word))

    by_priority = sorted(
        (i for i, c in enumerate(COLUMNS) if c.drop), key=lambda i: -COLUMNS[i].drop
    )
    for index in by_priority:
        if COLUMNS[index].wraps and _table_width(widths) > width:
            widths[index] = narrowest(index)
    for index in by_priority:
        if _table_width(widths) > width:
            del widths[index]
    for index, column in enumerate(COLUMNS):
        if column.wraps and index in widths and _table_width(widths) > width:
            widths[index] = narrowest(index)
    return widths


def print_benchmark(
    published_db: Path,
    console: Console | None = None,
    code: str | None = None,
    year: int | None = None,
) -> int:
    # a pipe or CI log is not 80 columns wide; do not wrap the table into a tower
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    rows = [_cells(row) for row in read_benchmark(published_db, code, year)]
    if not rows and (code or year):
        return 0
    widths = fit(rows, console.width)
    table = Table(title=f"ICT benchmark ({published_db})", title_justify="left")
    for index, width in widths.items():
        column = COLUMNS[index]
        table.add_column(
            column.header,
            justify=column.justify,
            width=width,
            no_wrap=not column.wraps,
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(row[index] for index in widths))
    console.print(table, width=max(console.width, _table_width(widths)))
    if left_out := [c.header for i, c in enumerate(COLUMNS) if i not in widths]:
        console.print(
            f"Left out for the terminal's width: {', '.join(left_out)} "
            "(a wider terminal or `ictbench show --format csv` has them).",
            highlight=False,
        )
    return len(rows)


def print_latest_year(published_db: Path, console: Console) -> int:
    """What `ictbench run` ends with: the benchmark of the latest fiscal year, and how to see the
    others. With ten years kept the whole mart is thousands of rows, too many to read (and
    seconds to lay out). Returns the municipality-years published."""
    with duckdb.connect(str(published_db), read_only=True) as connection:
        latest, total = connection.execute(
            "SELECT max(fiscal_year), count(*) FROM ict_benchmark"
        ).fetchone()
    if latest is None:
        return 0
    shown = print_benchmark(published_db, console, year=latest)
    if total > shown:
        console.print(
            f"Fiscal year {latest} above; the mart holds {total:,} municipality-years: "
            "`ictbench show GMxxxx` prints one municipality's years, `ictbench show --year YYYY` "
            "another year.",
            highlight=False,
        )
    return total


def _plain(value):
    return float(value) if isinstance(value, Decimal) else str(value)


def write_benchmark(
    published_db: Path, out, output_format: str, code: str | None = None, year: int | None = None
) -> int:
    """The benchmark for scripts: every column, raw values, as CSV or JSON."""
    import csv
    import json

    records = [
        dict(zip(FIELDS, row, strict=True)) for row in read_benchmark(published_db, code, year)
    ]
    if output_format == "json":
        out.write(json.dumps(records, indent=2, ensure_ascii=False, default=_plain) + "\n")
    else:
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    return len(records)
