{#- Uniqueness over several columns of `lines` (fct_ict_cost_line), in the municipality-years
    that this dbt invocation digested in `model` (fct_ict_cost_line_slot_digests): the slots it
    rebuilt, every slot in a full refresh. A slot is rebuilt, and digested, whenever its ledger or
    mapping changed, so the rows of an outdated delivery left beside the new one are in a slot
    looked at; the slots a build left alone were looked at by the build that made them. -#}
{% test unique_in_slots_digested(model, lines, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ lines }} as lines
where exists (
    select 1
    from {{ model }} as digested
    where digested.digested_by = '{{ invocation_id }}'
        and digested.municipality_code = lines.municipality_code
        and digested.fiscal_year = lines.fiscal_year
)
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
