{#-
    An inner join on the few ICT accounts: DuckDB then skips the other lines while scanning.
    Rebuilt per municipality-year: only slots whose ledger or mapping changed (macros/ledger_slots).
-#}

{{ config(**ledger_slot_config()) }}

with

lines as (

    {{ ledger_lines_to_build() }}

),

ict_accounts as (

    select * from {{ ref('int_ledger_accounts_classified') }}
    where is_ict

),

categories as (

    select * from {{ ref('ict_categories') }}

),

classified as (

    select
        lines.*,
        ict_accounts.category,
        ict_accounts.in_ict_cost_centre,
        ict_accounts.mapping_rule_row,
        ict_accounts.mapping_delivery_id,
        case
            when lines.amounts_include_vat then lines.amount / (1 + categories.vat_rate)
            else lines.amount
        end as amount_excl_vat

    from lines
    inner join ict_accounts
        on ict_accounts.municipality_code = lines.municipality_code
        and ict_accounts.fiscal_year = lines.fiscal_year
        and ict_accounts.account_code is not distinct from lines.account_code
        and ict_accounts.cost_centre is not distinct from lines.cost_centre
    left join categories
        on categories.category = ict_accounts.category

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
    cast(amount_excl_vat as decimal(18, 2)) as amount_excl_vat,
    mapping_rule_row,
    delivery_id,
    mapping_delivery_id,
    source_file,
    source_row

from classified
