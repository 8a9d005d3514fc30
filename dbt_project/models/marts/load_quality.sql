with

results as (

    select * from {{ ref('stg_landing__load_results') }}

)

select
    delivery_key,
    kind,
    municipality_code,
    fiscal_year,
    source_file,
    delivery_id,
    status,
    rows_read,
    rows_landed,
    rows_quarantined,
    rows_with_gaps,
    rows_read = rows_landed + rows_quarantined as accounting_closes,
    array_to_string(failed_expectations, ', ') as failed_expectations,
    message,
    contract_version

from results
