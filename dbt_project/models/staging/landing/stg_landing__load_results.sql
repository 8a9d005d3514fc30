with

source as (

    select * from {{ source('landing', 'load_results') }}

),

renamed as (

    select
        -- ids
        delivery_key,
        delivery_id,
        kind,
        municipality_code,
        cast(fiscal_year as integer) as fiscal_year,
        source_file,

        -- outcome
        status,
        cast(rows_read as bigint) as rows_read,
        cast(rows_landed as bigint) as rows_landed,
        cast(rows_quarantined as bigint) as rows_quarantined,
        cast(coalesce(rows_with_gaps, 0) as bigint) as rows_with_gaps,
        cast(coalesce(rows_dated_after_check, 0) as bigint) as rows_dated_after_check,
        failed_expectations,
        message,
        contract_version

    from source

)

select * from renamed
