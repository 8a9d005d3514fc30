with

source as (

    select * from {{ source('landing', 'municipalities') }}

),

renamed as (

    select
        municipality_code,
        municipality_name,
        province_code,
        province_name

    from source

)

select * from renamed
