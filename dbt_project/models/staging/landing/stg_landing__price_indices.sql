with

source as (

    select * from {{ source('landing', 'price_index') }}

),

renamed as (

    select
        -- ids
        cast(reference_year as integer) as reference_year,

        -- amounts
        cast(price_index as double) as price_index,
        base_period,

        -- lineage
        source_file,
        source_row

    from source

)

select * from renamed
