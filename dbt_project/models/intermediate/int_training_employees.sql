{#- One row per employee and year: FTE counts once, trained or not; hours and cost add up. -#}

with

records as (

    select * from {{ ref('stg_landing__training_records') }}

)

select
    municipality_code,
    fiscal_year,
    employee_key,
    any_value(department) as department,
    -- one role per employee, as FTE; a file that gives one person two roles: the commonest
    mode(role) as role,
    max(fte) as fte,
    count(course) > 0 as is_trained,
    count(course) as courses,
    coalesce(sum(hours), 0) as training_hours,
    coalesce(sum(hours) filter (where course_category = 'ict'), 0) as ict_training_hours,
    -- a course without a usable category is left out of the ICT share rather than counted as
    -- non-ICT; one without hours is a course all the same
    coalesce(sum(hours) filter (where course_category is not null), 0)
        as categorised_training_hours,
    count(course) filter (where hours is null) as courses_without_hours,
    count(course) filter (where course_category is null) as courses_without_category,
    count(course) filter (where array_contains(gaps, 'course_category_unknown'))
        as courses_of_unknown_category,
    cast(coalesce(sum(cost), 0) as decimal(18, 2)) as training_cost

from records
group by municipality_code, fiscal_year, employee_key
