{#-
    What each municipality-year's ledger figures are built from: the landed ledger delivery and
    the municipality's account mapping. The per-slot ledger models compare their rows with this.
-#}

with

ledger_deliveries as (

    {{ landed_ledger_deliveries() }}

),

mapping_deliveries as (

    select distinct municipality_code, mapping_delivery_id
    from {{ ref('stg_landing__account_mappings') }}

)

select
    ledger_deliveries.municipality_code,
    ledger_deliveries.fiscal_year,
    ledger_deliveries.delivery_id,
    mapping_deliveries.mapping_delivery_id,
    ledger_deliveries.landed_file

from ledger_deliveries
left join mapping_deliveries
    on mapping_deliveries.municipality_code = ledger_deliveries.municipality_code
