with

municipalities as (

    select * from {{ ref('stg_landing__municipalities') }}

)

select
    municipality_code,
    municipality_name,
    province_code,
    province_name

from municipalities
