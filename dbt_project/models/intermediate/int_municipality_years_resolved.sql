{#-
    One row per municipality and year in which it existed on 1 January: the municipalities of the
    CBS list and every predecessor in the seed municipality_successors. Each carries the code it is
    part of today, found by following the successor mapping through later mergers. Years are those
    of the CBS inhabitant export and of every delivered fiscal year.
-#}

with recursive

municipalities as (

    select * from {{ ref('stg_landing__municipalities') }}

),

successors as (

    select * from {{ ref('municipality_successors') }}

),

inhabitants as (

    select * from {{ ref('stg_landing__inhabitants') }}

),

load_results as (

    select * from {{ ref('stg_landing__load_results') }}

),

years as (

    select reference_year from inhabitants
    union
    select fiscal_year from load_results where fiscal_year is not null

),

chains as (

    select
        predecessor_code as municipality_code,
        successor_code as current_municipality_code,
        1 as depth

    from successors

    union all

    select
        chains.municipality_code,
        successors.successor_code,
        chains.depth + 1

    from chains
    inner join successors
        on successors.predecessor_code = chains.current_municipality_code
    where chains.depth < 20

),

final_successors as (

    select
        municipality_code,
        max_by(current_municipality_code, depth) as current_municipality_code

    from chains
    group by municipality_code

),

-- a new code (merger into a new municipality, or a new code for a new name) starts on that day
established as (

    select
        successor_code as municipality_code,
        min(effective_date) as valid_from

    from successors
    where merger_kind in ('merged_into_new', 'renamed')
    group by successor_code

),

names as (

    select municipality_code, municipality_name, province_code, province_name
    from municipalities

    union all

    select
        predecessor_code,
        predecessor_name,
        predecessor_province_code,
        predecessor_province_name

    from successors
    where predecessor_code not in (select municipality_code from municipalities)

),

successor_names as (

    select municipality_code, municipality_name from municipalities

    union all

    select successor_code, any_value(successor_name)
    from successors
    where successor_code not in (select municipality_code from municipalities)
    group by successor_code

),

dated as (

    select
        names.*,
        established.valid_from,
        successors.effective_date as valid_until,
        successors.successor_code,
        coalesce(final_successors.current_municipality_code, names.municipality_code)
            as current_municipality_code

    from names
    left join established
        on established.municipality_code = names.municipality_code
    left join successors
        on successors.predecessor_code = names.municipality_code
    left join final_successors
        on final_successors.municipality_code = names.municipality_code

),

municipality_years as (

    select
        dated.*,
        years.reference_year

    from dated
    cross join years
    where (dated.valid_from is null or dated.valid_from <= make_date(years.reference_year, 1, 1))
        and (dated.valid_until is null or dated.valid_until > make_date(years.reference_year, 1, 1))

)

select
    municipality_years.municipality_code,
    municipality_years.reference_year,
    municipality_years.municipality_name,
    municipality_years.province_code,
    municipality_years.province_name,
    inhabitants.inhabitants,
    {{ size_label('inhabitants.inhabitants', cbs_size_classes()) }} as size_class,
    {{ size_label_order(size_label('inhabitants.inhabitants', cbs_size_classes()), cbs_size_classes()) }}
        as size_class_order,
    {{ size_label('inhabitants.inhabitants', benchmark_bands()) }} as benchmark_band,
    municipality_years.valid_from,
    municipality_years.valid_until,
    municipality_years.valid_until is null as is_current,
    municipality_years.successor_code,
    municipality_years.current_municipality_code,
    coalesce(successor_names.municipality_name, municipality_years.municipality_name)
        as current_municipality_name

from municipality_years
left join inhabitants
    on inhabitants.municipality_code = municipality_years.municipality_code
    and inhabitants.reference_year = municipality_years.reference_year
left join successor_names
    on successor_names.municipality_code = municipality_years.current_municipality_code
