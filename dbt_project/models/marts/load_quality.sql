with

results as (

    select * from {{ ref('stg_landing__load_results') }}

),

months as (

    select * from {{ ref('int_ledger_months_covered') }}

)

select
    results.delivery_key,
    results.kind,
    results.municipality_code,
    results.fiscal_year,
    results.source_file,
    results.delivery_id,
    results.status,
    results.rows_read,
    results.rows_landed,
    results.rows_quarantined,
    results.rows_with_gaps,
    results.rows_read = results.rows_landed + results.rows_quarantined as accounting_closes,
    {{ array_to_text('results.failed_expectations', "', '") }} as failed_expectations,
    results.message,
    results.contract_version,
    -- of the ledger the mart holds for the slot (the last good one when this file was refused)
    months.months_without_lines,
    months.missing_months,
    case when results.kind = 'ledger' then results.rows_dated_after_check end
        as rows_dated_after_check

from results
left join months
    on results.kind = 'ledger'
    and months.municipality_code = results.municipality_code
    and months.fiscal_year = results.fiscal_year
