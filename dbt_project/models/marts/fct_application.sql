with

applications as (

    select * from {{ ref('int_applications_classified') }}

)

select
    application_line_id,
    municipality_code,
    fiscal_year,
    application_name,
    supplier,
    version,
    {{ array_to_text('components', "'; '") }} as gemma_components,
    {{ array_to_text('domains', "'; '") }} as gemma_domains,
    {{ array_to_text('unknown_components', "'; '") }} as unknown_components,
    cardinality(unknown_components) = 0 as is_known_component,
    hosting,
    lifecycle_status,
    is_in_use,
    cast(licence_cost as decimal(18, 2)) as licence_cost,
    users,
    department,
    contract_end_date,
    is_contract_ended,
    {{ array_to_text('gaps', "', '") }} as gaps,
    delivery_id,
    source_file,
    source_row

from applications
