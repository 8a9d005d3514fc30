{#-
    Which months of its fiscal year each landed ledger has lines in. A full year's general ledger
    has lines in every month (salaries alone are booked monthly): a month without any line is a
    ledger cut short or exported for part of the year, which balance alone cannot show when the
    cut falls between vouchers.
-#}

with

lines as (

    select municipality_code, fiscal_year, month(booking_date) as booking_month
    from {{ ref('stg_landing__ledger_lines') }}
    where year(booking_date) = fiscal_year

),

slots as (

    select distinct municipality_code, fiscal_year
    from {{ ref('stg_landing__ledger_lines') }}

),

months as (

    select
        slots.municipality_code,
        slots.fiscal_year,
        coalesce(
            array_sort(array_agg(distinct lines.booking_month) filter (where lines.booking_month is not null)),
            {{ empty_array('integer') }}
        ) as months_with_lines

    from slots
    left join lines
        on lines.municipality_code = slots.municipality_code
        and lines.fiscal_year = slots.fiscal_year
    group by slots.municipality_code, slots.fiscal_year

)

select
    municipality_code,
    fiscal_year,
    cast(12 - cardinality(months_with_lines) as integer) as months_without_lines,
    nullif(
        {{ array_to_text(integers_not_in('months_with_lines', 1, 12), "', '") }},
        ''
    ) as missing_months

from months
