with

classified as (

    select * from {{ ref('int_ledger_lines_classified') }}

)

select
    ledger_line_id,
    municipality_code,
    fiscal_year,
    category,
    category <> 'unclassified' as is_classified,
    in_ict_cost_centre,
    booking_date,
    journal,
    transaction_id,
    line_number,
    account_code,
    account_name,
    cost_centre,
    cost_type,
    description,
    amount,
    mapping_rule_row,
    delivery_id,
    source_file,
    source_row

from classified
where is_ict
