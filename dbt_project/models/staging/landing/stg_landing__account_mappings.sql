with

source as (

    select * from {{ source('landing', 'account_mappings') }}

),

renamed as (

    select
        -- ids
        municipality_code,
        source_row as rule_row,
        delivery_id as mapping_delivery_id,

        -- rule
        account_from,
        account_to,
        try_cast(account_from as {{ type_account_number() }}) as account_from_number,
        try_cast(account_to as {{ type_account_number() }}) as account_to_number,
        cost_centre,
        category,
        note

    from source

)

select * from renamed
