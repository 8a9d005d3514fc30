"""The benchmark as a readable table in the terminal, read from the published mart only."""

from __future__ import annotations

import sys
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
order by b.municipality_name, b.municipality_code, b.fiscal_year
"""


def read_benchmark(published_db: Path) -> list[tuple]:
    with duckdb.connect(str(published_db), read_only=True) as connection:
        return connection.execute(BENCHMARK_QUERY).fetchall()


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ")


def _share(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def print_benchmark(published_db: Path, console: Console | None = None) -> int:
    # a pipe or CI log is not 80 columns wide; do not wrap the table into a tower
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    rows = read_benchmark(published_db)
    table = Table(title=f"ICT benchmark ({published_db})", title_justify="left")
    for header, justify in (
        ("Municipality", "left"),
        ("Code", "left"),
        ("Year", "right"),
        ("Inhabitants", "right"),
        ("ICT €/inh.", "right"),
        ("Personnel", "right"),
        ("SaaS of sw", "right"),
        ("Top categories (€/inh.)", "left"),
        ("Ledger", "left"),
    ):
        table.add_column(header, justify=justify, no_wrap=True)
    for name, code, year, inhabitants, per_inhabitant, personnel, saas, top, status in rows:
        table.add_row(
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
    console.print(table)
    return len(rows)
