with

source as (

    select * from {{ source('landing', 'applications') }}

),

renamed as (

    select
        -- ids
        delivery_id,
        municipality_code,
        cast(fiscal_year as integer) as fiscal_year,
        source_file,
        source_row,
        delivery_id || ':' || cast(source_row as {{ dbt.type_string() }}) as application_line_id,

        -- attributes
        application_name,
        supplier,
        version,
        -- a blank cell lands as null when its row was checked with gaps; [] means the same
        coalesce(gemma_components, {{ empty_array('varchar') }}) as gemma_components,
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
