{#-
    Which months of its fiscal year each landed ledger has lines in. A full year's general ledger
    has lines in every month (salaries alone are booked monthly): a month without any line is a
    ledger cut short or exported for part of the year, which balance alone cannot show when the
    cut falls between vouchers.

    Rebuilt per municipality-year: only slots whose ledger or mapping changed (macros/ledger_slots);
    a full scan of every ledger line kept took 9 of a re-delivery's seconds with ten years kept.
-#}

{{ config(**ledger_slot_config()) }}

with

slot_lines as (

    {{ ledger_lines_to_build() }}

),

lines as (

    select municipality_code, fiscal_year, month(booking_date) as booking_month
    from slot_lines
    where year(booking_date) = fiscal_year

),

slots as (

    select versions.municipality_code, versions.fiscal_year, versions.delivery_id,
        versions.mapping_delivery_id
    from {{ ref('int_ledger_slot_versions') }} as versions
    where exists (
        select 1 from slot_lines
        where slot_lines.municipality_code = versions.municipality_code
            and slot_lines.fiscal_year = versions.fiscal_year
    )

),

months as (

    select
        slots.municipality_code,
        slots.fiscal_year,
        slots.delivery_id,
        slots.mapping_delivery_id,
        coalesce(
            array_sort(array_agg(distinct lines.booking_month) filter (where lines.booking_month is not null)),
            {{ empty_array('integer') }}
        ) as months_with_lines

    from slots
    left join lines
        on lines.municipality_code = slots.municipality_code
        and lines.fiscal_year = slots.fiscal_year
    group by all

)

select
    municipality_code,
    fiscal_year,
    cast(12 - cardinality(months_with_lines) as integer) as months_without_lines,
    nullif(
        {{ array_to_text(integers_not_in('months_with_lines', 1, 12), "', '") }},
        ''
    ) as missing_months,
    delivery_id,
    mapping_delivery_id

from months
