{#-
    Training per municipality, year and department, never per person: departments with fewer than
    5 employees are combined, so that no employee can be singled out in a BI tool.
-#}

with

employees as (

    select * from {{ ref('int_training_employees') }}

),

department_sizes as (

    select
        *,
        count(*) over (partition by municipality_code, fiscal_year, department) as department_size

    from employees

),

grouped as (

    select
        municipality_code,
        fiscal_year,
        case
            when department_size < 5 then '(small departments combined)'
            else coalesce(department, '(no department)')
        end as department,
        count(*) as employees,
        sum(fte) as fte,
        count(*) filter (where is_trained) as employees_trained,
        sum(courses) as courses,
        sum(training_hours) as training_hours,
        sum(ict_training_hours) as ict_training_hours,
        sum(training_cost) as training_cost

    from department_sizes
    group by all

)

-- a combined group can still be small: then its figures are suppressed, the row stays
select
    municipality_code,
    fiscal_year,
    department,
    cast(employees as bigint) as employees,
    employees < 5 as is_suppressed,
    cast(case when employees >= 5 then fte end as double) as fte,
    cast(case when employees >= 5 then employees_trained end as bigint) as employees_trained,
    cast(case when employees >= 5 then courses end as bigint) as courses,
    cast(case when employees >= 5 then training_hours end as double) as training_hours,
    cast(case when employees >= 5 then ict_training_hours end as double) as ict_training_hours,
    cast(case when employees >= 5 then training_cost end as decimal(18, 2)) as training_cost

from grouped
