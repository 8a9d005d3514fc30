"""What a report page shows, read from the published mart (read-only).

The peer statistics (`peer_benchmark`, the `<kpi>_peer_median` columns, the current-boundaries
series) are used when the mart has them; otherwise the same figures are computed here from
`ict_benchmark`: quartiles per size band, suppressed below MIN_PEERS municipalities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

MIN_PEERS = 5
HEADLINE = "ict_cost_per_inhabitant"
SIDE_KPIS = (
    "ict_cost_share_of_expenditure",
    "personnel_share",
    "saas_share_of_software",
    "ict_cost_per_fte",
    "ict_cost_per_workstation",
    "training_hours_per_fte",
    "training_spend_per_fte",
    "share_employees_trained",
    "ict_training_hours_share",
)

Row = dict[str, Any]


@dataclass(frozen=True)
class Mart:
    """A read-only connection and what the mart holds (tables and their columns)."""

    connection: duckdb.DuckDBPyConnection
    columns: dict[str, frozenset[str]] = field(default_factory=dict)

    def has(self, table: str, column: str | None = None) -> bool:
        return table in self.columns and (column is None or column in self.columns[table])

    def rows(self, sql: str, params: list | None = None) -> list[Row]:
        cursor = self.connection.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def open_mart(path: Path) -> Mart:
    if not path.exists():
        raise FileNotFoundError(f"no published mart at {path}: run `ictbench run` first")
    connection = duckdb.connect(str(path), read_only=True)
    columns: dict[str, set[str]] = {}
    for table, column in connection.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main'"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    return Mart(connection, {table: frozenset(names) for table, names in columns.items()})


def municipality_years(mart: Mart) -> list[Row]:
    return mart.rows(
        "select municipality_code, municipality_name, province_name, fiscal_year, inhabitants, "
        "size_band, ict_cost_per_inhabitant, ledger_status from ict_benchmark "
        "order by municipality_name, municipality_code, fiscal_year"
    )


def benchmark_row(mart: Mart, code: str, year: int) -> Row:
    rows = mart.rows(
        "select * from ict_benchmark where municipality_code = ? and fiscal_year = ?", [code, year]
    )
    if not rows:
        raise LookupError(f"{code} has no benchmark row for {year} in the published mart")
    return rows[0]


def _eligible(mart: Mart, kpi: str) -> str:
    """Which figures count as peers: complete ones when the mart says so, else any non-null."""
    if mart.has("ict_benchmark", f"{kpi}_quality"):
        return f"{kpi}_quality = 'complete'"
    return f"{kpi} is not null"


def peer_group(row: Row) -> str | None:
    """The group a row is compared with: its band, or shared_service (docs/methodology.md)."""
    return row.get("peer_group") or row.get("size_band")


def peer_statistics(
    mart: Mart, kpi: str, year: int, size_band: str | None, boundaries: str = "as_reported"
) -> Row:
    """n, p25, median, p75 of the municipality's peer group (its benchmark band, or the structure
    group shared_service), with a suppression reason."""
    if mart.has("peer_benchmark") and _peer_kpis(mart).__contains__(kpi):
        rows = mart.rows(
            "select n, p25, median, p75, is_suppressed, suppression_reason, peer_group "
            "from peer_benchmark where boundaries = ? and fiscal_year = ? "
            "and peer_group_type in ('benchmark_band', 'structure') and peer_group = ? "
            "and kpi = ?",
            [boundaries, year, size_band, kpi],
        )
        if rows:
            return rows[0] | {"source": "peer_benchmark"}
    table = "ict_benchmark" if boundaries == "as_reported" else "ict_benchmark_current_boundaries"
    if not mart.has(table, kpi):
        table = "ict_benchmark"
    quality = _eligible(mart, kpi) if mart.has(table, f"{kpi}_quality") else f"{kpi} is not null"
    row = mart.rows(
        f"select count({kpi}) as n, quantile_cont({kpi}, 0.25) as p25, "
        f"quantile_cont({kpi}, 0.5) as median, quantile_cont({kpi}, 0.75) as p75 "
        f"from {table} where fiscal_year = ? and size_band is not distinct from ? and {quality}",
        [year, size_band],
    )[0]
    return _suppress(row) | {"peer_group": size_band, "source": "fallback"}


def _suppress(row: Row) -> Row:
    if row["n"] >= MIN_PEERS:
        return row | {"is_suppressed": False, "suppression_reason": None}
    return row | {"p25": None, "median": None, "p75": None, "is_suppressed": True}


def _peer_kpis(mart: Mart) -> set[str]:
    return {r["kpi"] for r in mart.rows("select distinct kpi from peer_benchmark")}


def headline(mart: Mart, row: Row) -> Row:
    year, band = row["fiscal_year"], peer_group(row)
    peers = peer_statistics(mart, HEADLINE, year, band)
    national = None
    if mart.has("peer_benchmark"):
        found = mart.rows(
            "select n, p25, median, p75, is_suppressed from peer_benchmark where "
            "boundaries = 'as_reported' and fiscal_year = ? and peer_group_type = 'national' "
            "and kpi = ?",
            [year, HEADLINE],
        )
        national = found[0] if found else None
    value = row[HEADLINE]
    index = row.get(f"{HEADLINE}_index")
    if index is None and value is not None and peers["median"]:
        index = 100 * float(value) / float(peers["median"])
    return {
        "value": value,
        "peers": peers,
        "national": national,
        "index": index,
        "rank": row.get(f"{HEADLINE}_rank"),
        "yoy_change": row.get(f"{HEADLINE}_yoy_change"),
        "quality": row.get(f"{HEADLINE}_quality"),
        "quality_reason": row.get(f"{HEADLINE}_quality_reason"),
    }


def categories(mart: Mart, row: Row) -> list[Row]:
    """This municipality's euro per inhabitant per category, and the band's median of each.

    The categories and their labels are the mart's own (the category seed it was built with)."""
    own = mart.rows(
        "select category, label_nl, label_en, category_group, sort_order, cost, "
        "cost_per_inhabitant, share_of_ict_cost from ict_cost_by_category "
        "where municipality_code = ? and fiscal_year = ? order by sort_order",
        [row["municipality_code"], row["fiscal_year"]],
    )
    if not own:
        return []
    medians = ", ".join(
        f"case when count({c}_per_inhabitant) >= {MIN_PEERS} "
        f"then quantile_cont({c}_per_inhabitant, 0.5) end as {c}"
        for c in (r["category"] for r in own)
    )
    peer = mart.rows(
        f"select {medians} from ict_benchmark where fiscal_year = ? "
        f"and size_band is not distinct from ? and {_eligible(mart, HEADLINE)}",
        [row["fiscal_year"], row["size_band"]],
    )[0]
    return [r | {"peer_median": peer.get(r["category"])} for r in own]


def trend(mart: Mart, row: Row) -> tuple[str, list[Row]]:
    """Per year: nominal and real ICT cost per inhabitant and the peer median, on current
    boundaries when the mart has that series."""
    current = row.get("current_municipality_code") or row["municipality_code"]
    if mart.has("ict_benchmark_current_boundaries"):
        table, boundaries, code = "ict_benchmark_current_boundaries", "current", current
    else:
        table, boundaries, code = "ict_benchmark", "as_reported", row["municipality_code"]
    real = f"{HEADLINE}_real" if mart.has(table, f"{HEADLINE}_real") else "null"
    years = mart.rows(
        f"select fiscal_year, size_band, {HEADLINE} as nominal, {real} as real "
        f"from {table} where municipality_code = ? order by fiscal_year",
        [code],
    )
    for year in years:
        year["peer_median"] = peer_statistics(
            mart, HEADLINE, year["fiscal_year"], year["size_band"], boundaries
        )["median"]
    return boundaries, years


def people_trend(mart: Mart, row: Row) -> list[Row]:
    """People versus technology per year, with the peer median of each year."""
    if not mart.has("ict_benchmark", "people_vs_technology_ratio_peer_median"):
        return []
    return mart.rows(
        "select fiscal_year, people_vs_technology_ratio as own, "
        "people_vs_technology_ratio_peer_median as peer_median from ict_benchmark "
        "where municipality_code = ? order by fiscal_year",
        [row["municipality_code"]],
    )


def hardware_ages(mart: Mart, code: str, year: int) -> list[Row]:
    return mart.rows(
        "select least(cast(floor(age_years) as integer), 10) as age, asset_class, "
        "count(*) as devices from fct_hardware_asset "
        "where municipality_code = ? and fiscal_year = ? and is_active and age_years is not null "
        "group by all order by age, asset_class",
        [code, year],
    )


def replacement_forecast(mart: Mart, code: str, year: int, horizon: int = 5) -> list[Row]:
    """Purchase value of devices in use by the year they are due; overdue counts in year + 1."""
    return mart.rows(
        "select greatest(year(replacement_due_date), ? + 1) as due_year, asset_class, "
        "sum(purchase_price) as value, count(*) as devices from fct_hardware_asset "
        "where municipality_code = ? and fiscal_year = ? and is_active "
        "and replacement_due_date is not null and year(replacement_due_date) <= ? "
        "group by all order by due_year, asset_class",
        [year, code, year, year + horizon],
    )


def side_kpis(mart: Mart, row: Row) -> list[Row]:
    """People and technology indicators with the band's median."""
    result = []
    for kpi in SIDE_KPIS:
        if kpi not in row:
            continue
        median = row.get(f"{kpi}_peer_median")
        if median is None:
            median = peer_statistics(mart, kpi, row["fiscal_year"], peer_group(row))["median"]
        result.append({"kpi": kpi, "value": row[kpi], "peer_median": median})
    return result


LEDGER_FLAGS = ("months_without_lines", "missing_months", "rows_dated_after_check")


def deliveries(mart: Mart, code: str, year: int) -> list[Row]:
    """Each delivery of the municipality-year with its result; a ledger with the months it has
    no line in and its lines dated after the check (null where the mart predates them)."""
    flags = ", ".join(
        name if mart.has("load_quality", name) else f"null as {name}" for name in LEDGER_FLAGS
    )
    return mart.rows(
        "select delivery_key, kind, source_file, status, rows_read, rows_landed, rows_quarantined, "
        f"failed_expectations, message, {flags} from load_quality where municipality_code = ? "
        "and (fiscal_year = ? or fiscal_year is null) order by kind",
        [code, year],
    )


def suppressed(mart: Mart, row: Row) -> list[Row]:
    """Headline KPIs that are not complete, or whose peer group is too small to compare."""
    result = []
    for kpi in (HEADLINE, *SIDE_KPIS):
        quality = row.get(f"{kpi}_quality")
        if quality is not None and quality != "complete":
            result.append({"kpi": kpi, "reason": row.get(f"{kpi}_quality_reason") or quality})
    if mart.has("peer_benchmark"):
        listed = {r["kpi"] for r in result}
        result += [
            r
            for r in mart.rows(
                "select kpi, suppression_reason as reason from peer_benchmark where is_suppressed "
                "and boundaries = 'as_reported' and fiscal_year = ? and peer_group_type = "
                "'benchmark_band' and peer_group = ? order by kpi",
                [row["fiscal_year"], row["size_band"]],
            )
            if r["kpi"] in (*SIDE_KPIS, HEADLINE) and r["kpi"] not in listed
        ]
    return result


def missing_reasons(row: Row) -> list[Row]:
    return [
        {"column": name.removesuffix("_missing_reason"), "reason": value}
        for name, value in row.items()
        if name.endswith("_missing_reason") and value
    ]
