with

source as (

    select * from {{ source('landing', 'ledger_lines') }}

),

renamed as (

    select
        -- ids
        delivery_id,
        municipality_code,
        cast(fiscal_year as integer) as fiscal_year,
        source_file,
        source_row,
        delivery_id || ':' || cast(source_row as {{ dbt.type_string() }}) as ledger_line_id,
        journal,
        transaction_id,
        line_number,

        -- ledger keys
        account_code,
        account_name,
        account_type,
        cost_centre,
        cost_type,
        description,

        -- amounts
        cast(amount as decimal(18, 2)) as amount,
        coalesce(amounts_include_vat, false) as amounts_include_vat,

        -- dates
        booking_date,

        -- the landed file the line is read from: the per-slot models read only the files of
        -- the slots they build (macros/ledger_slots)
        {{ landed_file_name() }} as landed_file

    from source

)

select * from renamed
