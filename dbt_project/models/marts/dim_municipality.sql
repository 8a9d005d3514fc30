with

municipality_years as (

    select * from {{ ref('int_municipality_years_resolved') }}

)

select
    municipality_code,
    reference_year,
    municipality_name,
    province_code,
    province_name,
    cast(inhabitants as bigint) as inhabitants,
    size_class,
    cast(size_class_order as integer) as size_class_order,
    benchmark_band,
    valid_from,
    valid_until,
    is_current,
    successor_code,
    current_municipality_code,
    current_municipality_name

from municipality_years
