{#-
    Each asset in a register with its age on 31 December of the register's year and its
    replacement date by the class's cycle. An asset whose replacement date is on or before that
    31 December is past its cycle; replacement spend "due within N years" counts the purchase
    price of every asset due on or before 31 December of year + N, the overdue ones included.
-#}

with

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

cycles as (

    select * from {{ ref('replacement_cycles') }}

),

dated as (

    select
        assets.*,
        make_date(assets.fiscal_year, 12, 31) as reference_date,
        cycles.replacement_years,
        coalesce(cycles.is_end_user_device, false) as is_end_user_device,
        coalesce(cycles.is_workstation, false) as is_workstation,
        assets.status = 'in_use' as is_active,
        cast({{ dbt.dateadd('year', 'cycles.replacement_years', 'assets.purchase_date') }} as date) as replacement_due_date

    from assets
    left join cycles
        on cycles.asset_class = assets.asset_class

)

select
    *,
    cast({{ dbt.datediff('purchase_date', 'reference_date', 'day') }} as double) / 365.25 as age_years,
    replacement_due_date <= reference_date as is_past_cycle,
    replacement_due_date <= reference_date + interval 1 year as is_due_within_1_year,
    replacement_due_date <= reference_date + interval 3 year as is_due_within_3_years

from dated
