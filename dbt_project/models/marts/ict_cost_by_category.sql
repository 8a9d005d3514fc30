{#- Long form of the cost split, one row per category even when nothing was spent on it. -#}

with

cost_lines as (

    select * from {{ ref('fct_ict_cost_line') }}

),

categories as (

    select * from {{ ref('ict_categories') }}

),

benchmark as (

    select * from {{ ref('ict_benchmark') }}

),

totals as (

    select
        municipality_code,
        fiscal_year,
        category,
        sum(amount_excl_vat) as cost,
        count(*) as ledger_lines

    from cost_lines
    group by municipality_code, fiscal_year, category

)

select
    benchmark.municipality_code,
    benchmark.fiscal_year,
    categories.category,
    categories.label_nl,
    categories.label_en,
    categories.category_group,
    categories.sort_order,
    cast(coalesce(totals.cost, 0) as decimal(18, 2)) as cost,
    cast(coalesce(totals.ledger_lines, 0) as bigint) as ledger_lines,
    cast(coalesce(totals.cost, 0) / benchmark.inhabitants as decimal(18, 2)) as cost_per_inhabitant,
    cast(coalesce(totals.cost, 0) / nullif(benchmark.ict_cost_total, 0) as double)
        as share_of_ict_cost

from benchmark
cross join categories
left join totals
    on totals.municipality_code = benchmark.municipality_code
    and totals.fiscal_year = benchmark.fiscal_year
    and totals.category = categories.category
