with

source as (

    select * from {{ source('landing', 'applications') }}

),

renamed as (

    select
        -- ids
        delivery_id || ':' || source_row as application_line_id,
        delivery_id,
        municipality_code,
        cast(fiscal_year as integer) as fiscal_year,
        source_file,
        source_row,

        -- attributes
        application_name,
        supplier,
        version,
        gemma_components,
        hosting,
        department,
        lifecycle_status,

        -- amounts
        cast(licence_cost as decimal(18, 2)) as licence_cost,
        cast(users as bigint) as users,

        -- dates
        contract_end_date,

        -- quality
        gaps

    from source

)

select * from renamed
