with

source as (

    select * from {{ source('landing', 'training_records') }}

),

renamed as (

    select
        -- ids
        delivery_id,
        municipality_code,
        cast(fiscal_year as integer) as fiscal_year,
        source_file,
        source_row,
        employee_key,

        -- attributes
        department,
        role,
        course,
        course_category,

        -- amounts
        cast(fte as double) as fte,
        cast(hours as double) as hours,
        cast(cost as decimal(18, 2)) as cost,

        -- dates
        training_date,

        -- quality
        gaps

    from source

)

select * from renamed
