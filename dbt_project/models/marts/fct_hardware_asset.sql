with

assets as (

    select * from {{ ref('int_assets_aged') }}

)

select
    asset_line_id,
    municipality_code,
    fiscal_year,
    asset_id,
    asset_class,
    status,
    is_active,
    is_end_user_device,
    is_workstation,
    cost_centre,
    purchase_date,
    cast(purchase_price as decimal(18, 2)) as purchase_price,
    cast(age_years as double) as age_years,
    cast(replacement_years as integer) as replacement_years,
    replacement_due_date,
    is_past_cycle,
    is_due_within_1_year,
    is_due_within_3_years,
    {{ array_to_text('gaps', "', '") }} as gaps,
    delivery_id,
    source_file,
    source_row

from assets
