{#-
    The additive parts of every KPI, one row per municipality and fiscal year as reported (the
    municipality as it was that year). Sums, not ratios: the current-boundaries series adds these
    up over a merger's predecessors before any ratio is taken. Amounts are what the ledger says
    (debit positive, credit notes reduce them), excluding compensable VAT (docs/methodology.md:
    a VAT-inclusive delivery loses its categories' vat_rate); a source that was not delivered leaves its parts
    NULL, never 0.
-#}

-- depends_on: {{ ref('ict_categories') }}
{%- set regie = "('" ~ regie_roles() | join("', '") ~ "')" %}

with

ledger_accounts as (

    select * from {{ ref('int_ledger_accounts_classified') }}

),

price_indices as (

    select * from {{ ref('stg_landing__price_indices') }}

),

-- a device's purchase price in prices of the fiscal year (CBS CPI): what replacing it costs now
assets as (

    select
        aged.*,
        aged.purchase_price * price_now.price_index / price_then.price_index
            as purchase_price_current

    from {{ ref('int_assets_aged') }} as aged
    left join price_indices as price_then
        on price_then.reference_year = year(aged.purchase_date)
    left join price_indices as price_now
        on price_now.reference_year = aged.fiscal_year

),

employees as (

    select * from {{ ref('int_training_employees') }}

),

portfolios as (

    select * from {{ ref('int_application_portfolio_summed') }}
    where boundaries = 'as_reported'

),

inhabitants as (

    select * from {{ ref('stg_landing__inhabitants') }}

),

load_results as (

    select * from {{ ref('stg_landing__load_results') }}

),

spend as (

    select
        municipality_code,
        fiscal_year,
        any_value(delivery_id) as ledger_delivery_id,
        {%- for category in ict_categories() %}
        coalesce(sum(amount_excl_vat) filter (where category = '{{ category }}'), 0)
            as cost_{{ category }},
        {%- endfor %}
        coalesce(sum(amount_excl_vat) filter (where is_ict), 0) as ict_cost_total,
        coalesce(sum(amount_excl_vat) filter (where in_ict_cost_centre), 0) as ict_cost_centre_spend,
        coalesce(sum(amount - amount_excl_vat) filter (where is_ict), 0) as vat_removed,
        coalesce(sum(ledger_lines) filter (where is_ict), 0) as ict_ledger_lines,
        sum(ledger_lines) as ledger_lines

    from ledger_accounts
    group by municipality_code, fiscal_year

),

-- total lasten (docs/methodology.md): the year balance of every operating account (accTp P, CSV
-- rekeningsoort W) that ends on the debit side; revenue accounts end on the credit side, and the
-- balance sheet is never expenditure. Unknown when any account's type is not delivered.
account_balances as (

    select
        municipality_code,
        fiscal_year,
        account_code,
        any_value(account_type) as account_type,
        sum(amount_excl_vat) as balance

    from ledger_accounts
    group by municipality_code, fiscal_year, account_code

),

expenditure as (

    select
        municipality_code,
        fiscal_year,
        coalesce(sum(balance) filter (where account_type = 'P' and balance > 0), 0)
            as total_expenditure,
        count(*) filter (where account_type is null) as accounts_without_type

    from account_balances
    group by municipality_code, fiscal_year

),

hardware as (

    select
        municipality_code,
        fiscal_year,
        count(*) filter (where is_active) as active_devices,
        count(*) filter (where is_active and is_workstation) as active_workstations,
        coalesce(sum(age_years) filter (where is_active), 0) as active_device_age_years,
        count(*) filter (where is_active and is_past_cycle) as devices_past_cycle,
        count(*) filter (where is_active and purchase_date is not null) as dated_active_devices,
        count(*) filter (where is_active and purchase_date is null)
            as devices_without_purchase_date,
        count(*) filter (where is_active and purchase_price is null)
            as devices_without_purchase_price,
        count(*) filter (where is_active and array_contains(gaps, 'asset_class_unknown'))
            as devices_of_unknown_kind,
        coalesce(sum(purchase_price) filter (where is_active and is_due_within_1_year), 0)
            as replacement_spend_due_1_year,
        coalesce(sum(purchase_price) filter (where is_active and is_due_within_3_years), 0)
            as replacement_spend_due_3_years,
        coalesce(sum(purchase_price_current) filter (where is_active and is_due_within_3_years), 0)
            as replacement_spend_due_3_years_current_prices,
        count(*) filter (
            where is_active and is_due_within_3_years and purchase_price is not null
                and purchase_price_current is null
        ) as due_devices_without_price_index

    from assets
    group by municipality_code, fiscal_year

),

people as (

    select
        municipality_code,
        fiscal_year,
        sum(fte) as fte,
        count(*) as employees,
        count(*) filter (where is_trained) as employees_trained,
        sum(training_hours) as training_hours,
        sum(ict_training_hours) as ict_training_hours,
        sum(categorised_training_hours) as categorised_training_hours,
        sum(courses) as courses,
        sum(courses_without_hours) as courses_without_hours,
        sum(courses_without_category) as courses_without_category,
        sum(courses_of_unknown_category) as courses_of_unknown_category,
        sum(training_cost) as training_spend,
        coalesce(sum(fte) filter (where role in {{ regie }}), 0) as regie_fte,
        coalesce(sum(fte) filter (where role = 'ict_operations'), 0) as ict_operations_fte,
        count(role) as employees_with_role

    from employees
    group by municipality_code, fiscal_year

),

-- a partially accepted file makes the figures partial; a rejected newer file does not: the last
-- accepted file stays in place, and a bad upload must not move the benchmark
load_status as (

    select
        municipality_code,
        fiscal_year,
        {%- for kind in ['ledger', 'assets', 'training', 'applications'] %}
        any_value(status) filter (where kind = '{{ kind }}') as {{ kind }}_status,
        any_value(rows_quarantined) filter (where kind = '{{ kind }}') as {{ kind }}_rows_quarantined
        {{- ',' if not loop.last }}
        {%- endfor %}

    from load_results
    where fiscal_year is not null
    group by municipality_code, fiscal_year

),

municipality_years as (

    select municipality_code, fiscal_year from spend
    union
    select municipality_code, fiscal_year from hardware
    union
    select municipality_code, fiscal_year from people
    union
    select municipality_code, fiscal_year from portfolios

)

select
    municipality_years.municipality_code,
    municipality_years.fiscal_year,
    inhabitants.inhabitants,
    spend.* except (municipality_code, fiscal_year),
    expenditure.* except (municipality_code, fiscal_year),
    hardware.* except (municipality_code, fiscal_year),
    people.* except (municipality_code, fiscal_year),
    spend.municipality_code is not null as has_ledger,
    hardware.municipality_code is not null as has_assets,
    people.municipality_code is not null as has_training,
    portfolios.municipality_code is not null as has_applications,
    load_status.ledger_status,
    load_status.ledger_rows_quarantined,
    {%- for kind, delivered, label in [('ledger', 'spend', 'ledger'),
                                       ('assets', 'hardware', 'asset register'),
                                       ('training', 'people', 'HR training records'),
                                       ('applications', 'portfolios', 'application portfolio')] %}
    case
        when {{ delivered }}.municipality_code is null then null
        when load_status.{{ kind }}_status = 'partially_accepted'
            then {% call format_text() %}'{} partially accepted: {} rows quarantined', '{{ label }}',
                        load_status.{{ kind }}_rows_quarantined{% endcall %}
    end as {{ kind }}_partial_reason{{ ',' if not loop.last }}
    {%- endfor %}

from municipality_years
left join spend using (municipality_code, fiscal_year)
left join expenditure using (municipality_code, fiscal_year)
left join hardware using (municipality_code, fiscal_year)
left join people using (municipality_code, fiscal_year)
left join portfolios using (municipality_code, fiscal_year)
left join inhabitants
    on inhabitants.municipality_code = municipality_years.municipality_code
    and inhabitants.reference_year = municipality_years.fiscal_year
left join load_status
    on load_status.municipality_code = municipality_years.municipality_code
    and load_status.fiscal_year = municipality_years.fiscal_year
