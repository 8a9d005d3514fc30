with

source as (

    select * from {{ source('landing', 'inhabitants') }}

),

renamed as (

    select
        municipality_code,
        cast(reference_year as integer) as reference_year,
        cast(inhabitants as bigint) as inhabitants

    from source

)

select * from renamed
