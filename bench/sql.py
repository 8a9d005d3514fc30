"""What the floor (a) and the naive peer (b) share: the project's classification
(int_ledger_accounts_classified.sql) without dbt, the account mappings and the inhabitants.

Ledger tables hold municipality_code, fiscal_year, account_code, cost_centre, amount; totals are
keyed `GMxxxx/year`.
"""

from __future__ import annotations

import csv
from pathlib import Path

RULES_SQL = """
create or replace table rules as
select
    municipality_code,
    rule_row,
    nullif(trim(account_from), '') as account_from,
    nullif(trim(account_to), '') as account_to,
    try_cast(nullif(trim(account_from), '') as hugeint) as account_from_number,
    try_cast(nullif(trim(account_to), '') as hugeint) as account_to_number,
    nullif(trim(cost_centre), '') as cost_centre,
    lower(trim(category)) as category
from rules_raw
"""

COST_SQL = """
create or replace table ict_cost as
with
lines as (
    select rowid as ledger_line_id, municipality_code, fiscal_year, account_code, cost_centre,
        amount
    from ledger
),
classification_rules as (
    select
        *,
        case
            when account_from is not null and cost_centre is not null then 1
            when account_from is not null and account_to is null then 2
            when account_from is not null then 3
            else 4
        end as specificity,
        coalesce(account_to_number - account_from_number, 0) as range_width
    from rules
    where category <> 'ict_cost_centre'
),
matches as (
    select
        lines.ledger_line_id,
        rules.category,
        row_number() over (
            partition by lines.ledger_line_id
            order by rules.specificity, rules.range_width, rules.rule_row
        ) as preference
    from lines
    inner join classification_rules as rules
        on rules.municipality_code = lines.municipality_code
        and (rules.cost_centre is null or rules.cost_centre = lines.cost_centre)
        and (
            rules.account_from is null
            or (rules.account_to is null and lines.account_code = rules.account_from)
            or (
                rules.account_to is not null
                and rules.account_from_number is not null
                and rules.account_to_number is not null
                and try_cast(lines.account_code as hugeint)
                    between rules.account_from_number and rules.account_to_number
            )
            or (
                rules.account_to is not null
                and (rules.account_from_number is null or rules.account_to_number is null)
                and lines.account_code between rules.account_from and rules.account_to
            )
        )
),
best_match as (select * from matches where preference = 1),
ict_cost_centres as (
    select distinct municipality_code, cost_centre
    from rules
    where category = 'ict_cost_centre' and cost_centre is not null
),
classified as (
    select
        lines.municipality_code,
        lines.fiscal_year,
        lines.amount,
        case
            when best_match.category is not null then best_match.category
            when ict_cost_centres.cost_centre is not null then 'unclassified'
        end as category
    from lines
    left join best_match on best_match.ledger_line_id = lines.ledger_line_id
    left join ict_cost_centres
        on ict_cost_centres.municipality_code = lines.municipality_code
        and ict_cost_centres.cost_centre = lines.cost_centre
)
select
    classified.municipality_code,
    classified.fiscal_year,
    classified.category,
    sum(classified.amount) as cost,
    round(sum(classified.amount) / any_value(inhabitants.inhabitants), 2) as cost_per_inhabitant
from classified
left join inhabitants
    on inhabitants.municipality_code = classified.municipality_code
    and inhabitants.fiscal_year = classified.fiscal_year
where classified.category is not null and classified.category <> 'not_ict'
group by all
"""

TOTALS_SQL = """
select municipality_code || '/' || fiscal_year, cast(sum(cost) as varchar)
from ict_cost group by all order by 1
"""


def classify_and_total(connection) -> dict[str, str]:
    connection.execute(RULES_SQL)
    connection.execute(COST_SQL)
    return dict(connection.execute(TOTALS_SQL).fetchall())


def read_rules(deliveries: Path) -> list[tuple[str, int, str, str, str, str]]:
    """Every account_mapping.csv as (municipality, record number, from, to, centre, category)."""
    rows = []
    for path in sorted(deliveries.glob("GM*/account_mapping.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = csv.DictReader(handle, delimiter=";")
            for number, record in enumerate(records, start=2):
                rows.append(
                    (
                        path.parent.name,
                        number,
                        record.get("rekening_van") or "",
                        record.get("rekening_tot") or "",
                        record.get("kostenplaats") or "",
                        record.get("categorie") or "",
                    )
                )
    return rows


def ledger_files(
    data_dir: Path, suffix: str = ".*", skip: frozenset[str] = frozenset()
) -> list[Path]:
    """Ledger files, largest first, but those in skip (paths under deliveries/)."""
    deliveries = data_dir / "deliveries"
    files = [
        path
        for path in deliveries.glob(f"GM*/*/ledger{suffix}")
        if path.suffix in (".csv", ".xaf") and str(path.relative_to(deliveries)) not in skip
    ]
    return sorted(files, key=lambda p: -p.stat().st_size)


# the fiscal year and municipality of a ledger file read through DuckDB's filename column
FILE_KEYS = (
    "regexp_extract(filename, '(GM[0-9]{4})/[0-9]{4}/', 1) as municipality_code, "
    "cast(regexp_extract(filename, 'GM[0-9]{4}/([0-9]{4})/', 1) as integer) as fiscal_year"
)


DUTCH_AMOUNT_MACRO = """
create or replace macro dutch_amount(t) as
case when t is null or trim(t) = '' then null else
    (case when trim(t) like '-%' or trim(t) like '%-' then -1 else 1 end)
    * cast(replace(replace(trim(trim(t), '-'), '.', ''), ',', '.') as decimal(18, 2))
end
"""

INHABITANTS_SQL = """
create or replace table inhabitants as
select
    "Gemeentecode" as municipality_code,
    cast("Perioden" as integer) as fiscal_year,
    cast("Bevolking op 1 januari (aantal)" as bigint) as inhabitants
from read_csv('{path}', delim=';', skip=2, header=true, all_varchar=true)
where "Gemeentecode" like 'GM%'
"""


def load_reference(connection, data_dir: Path) -> None:
    connection.execute(
        "create or replace table rules_raw (municipality_code varchar, rule_row bigint, "
        "account_from varchar, account_to varchar, cost_centre varchar, category varchar)"
    )
    connection.executemany(
        "insert into rules_raw values (?, ?, ?, ?, ?, ?)", read_rules(data_dir / "deliveries")
    )
    path = data_dir / "reference" / "bevolking.csv"
    connection.execute(INHABITANTS_SQL.format(path=path))


def canonical_column(name: str) -> str | None:
    """The contract's name for a ledger CSV header, e.g. "Kostenplaats" -> "cost_centre"."""
    from pipelines.contract.vocabulary import column_aliases
    from pipelines.readers.ledger_csv import normalise_header

    wanted = normalise_header(name)
    return next((c for c, aliases in column_aliases("ledger").items() if wanted in aliases), None)
