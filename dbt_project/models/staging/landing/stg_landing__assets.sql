with

source as (

    select * from {{ source('landing', 'asset_register') }}

),

renamed as (

    select
        -- ids
        delivery_id,
        municipality_code,
        cast(fiscal_year as integer) as fiscal_year,
        source_file,
        source_row,
        delivery_id || ':' || cast(source_row as {{ dbt.type_string() }}) as asset_line_id,
        asset_id,

        -- attributes
        asset_class,
        status,
        cost_centre,
        cast(depreciation_years as integer) as depreciation_years,

        -- amounts
        cast(purchase_price as decimal(18, 2)) as purchase_price,

        -- dates
        purchase_date,

        -- quality
        gaps

    from source

)

select * from renamed
