{#- The mapping rules the benchmark refused, with the accounts they would have made ICT. -#}

with

accounts as (

    select * from {{ ref('int_ledger_accounts_classified') }}
    where refused_reason is not null

)

select
    municipality_code,
    fiscal_year,
    mapping_delivery_id,
    mapping_rule_row,
    account_code,
    cost_centre,
    account_type,
    cast(ledger_lines as bigint) as ledger_lines,
    cast(amount as decimal(18, 2)) as amount,
    refused_reason

from accounts
