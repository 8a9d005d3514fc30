"""The benchmark in a terminal: it fits 80 columns without cutting a figure, `show` filters by
municipality and year, and scripts get every column as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from pipelines.report.console import FIELDS, print_benchmark, write_benchmark


@pytest.fixture(scope="module")
def mart(tmp_path_factory) -> Path:
    """A published mart with only what the console table reads."""
    path = tmp_path_factory.mktemp("mart") / "benchmark.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table ict_benchmark (municipality_name varchar, municipality_code varchar, "
            "fiscal_year integer, inhabitants bigint, ict_cost_per_inhabitant decimal(18, 2), "
            "personnel_share double, saas_share_of_software double, ledger_status varchar)"
        )
        connection.execute(
            "insert into ict_benchmark values "
            "('Súdwest-Fryslân', 'GM1900', 2023, 90210, 1234567.89, 0.41, 0.52, 'accepted'), "
            "('Súdwest-Fryslân', 'GM1900', 2024, 91000, 117.25, 0.40, 0.55, 'partially_accepted'), "
            "('Amsterdam', 'GM0363', 2024, 918117, 148.44, 0.41, 0.52, 'accepted')"
        )
        connection.execute(
            "create table ict_cost_by_category (municipality_code varchar, fiscal_year integer, "
            "category varchar, cost double, cost_per_inhabitant double)"
        )
        connection.execute(
            "insert into ict_cost_by_category select municipality_code, fiscal_year, c, 1e6, 11 "
            "from ict_benchmark, unnest(['own_personnel', 'software_licences', 'saas_cloud']) t(c)"
        )
    return path


def printed(mart: Path, width: int, *filters) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    print_benchmark(mart, console, *filters)
    return console.file.getvalue()


@pytest.mark.parametrize("width", [80, 100])
def test_the_table_fits_the_terminal_and_keeps_every_figure_whole(mart: Path, width: int):
    text = printed(mart, width)
    table_lines = [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table_lines) <= width
    for whole in ("1 234 567.89", "GM1900", "2023", "Súdwest-Fryslân", "918 117"):
        assert whole in text
    assert "…" not in text
    if width == 80:
        assert "Top categories" not in table_lines[1]
        assert "Left out for the terminal's width: " in text


def test_a_wide_terminal_shows_every_column(mart: Path):
    text = printed(mart, 200)
    assert "own personnel 11, software licences 11, saas cloud 11" in text
    assert "Left out" not in text


def test_show_filters_by_municipality_and_year(mart: Path):
    one = printed(mart, 100, "GM1900")
    assert "GM1900" in one and "GM0363" not in one
    year = printed(mart, 100, "GM1900", 2024)
    assert "117.25" in year and "1 234 567.89" not in year
    assert printed(mart, 100, "GM9999") == ""


def test_scripts_get_every_column_as_csv_or_json(mart: Path):
    out = io.StringIO()
    assert write_benchmark(mart, out, "csv", "GM1900") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == FIELDS and rows[0]["ict_cost_per_inhabitant"] == "1234567.89"
    out = io.StringIO()
    write_benchmark(mart, out, "json", year=2024)
    records = json.loads(out.getvalue())
    assert [r["municipality_code"] for r in records] == ["GM0363", "GM1900"]
    assert records[0]["ict_cost_per_inhabitant"] == 148.44


def test_a_run_ends_with_the_latest_year_and_says_how_to_see_the_others(mart: Path):
    from pipelines.report.console import print_latest_year

    console = Console(file=io.StringIO(), width=160, color_system=None)
    assert print_latest_year(mart, console) == 3  # municipality-years published
    text = console.file.getvalue()
    assert "Amsterdam" in text and "117.25" in text
    assert "1 234 567.89" not in text  # 2023's row
    assert "Fiscal year 2024 above; the mart holds 3 municipality-years" in text
    assert "`ictbench show GMxxxx`" in text
