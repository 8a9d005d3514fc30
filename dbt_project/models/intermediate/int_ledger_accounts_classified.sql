{#-
    Each account and cost centre a ledger delivery books on gets the category of the most specific
    mapping rule that matches it: account and cost centre > exact account > narrowest account
    range > cost centre alone. An ICT cost centre that no rule classifies gives 'unclassified'.

    Rules only look at the municipality, account and cost centre, so they are matched once per
    combination (thousands), not once per line (millions); fct_ict_cost_line joins the lines back.

    A balance-sheet account (account_type B) is never ICT: under the BBV an investment reaches the
    exploitation as capital charges, so a rule that maps one is refused and the reason kept
    (refused_reason; docs/methodology.md). Counting it would count the same server twice.

    amount_excl_vat is the amount on the benchmark's basis, excluding compensable VAT: a delivery
    that declares VAT-inclusive amounts loses its category's vat_rate (seed ict_categories).

    Rebuilt per municipality-year: only slots whose ledger or mapping changed (macros/ledger_slots).
-#}

{{ config(**ledger_slot_config()) }}

with

lines as (

    {{ ledger_lines_to_build() }}

),

rules as (

    select * from {{ ref('stg_landing__account_mappings') }}

),

categories as (

    select * from {{ ref('ict_categories') }}

),

classification_rules as (

    select
        *,
        case
            when account_from is not null and cost_centre is not null then 1
            when account_from is not null and account_to is null then 2
            when account_from is not null then 3
            else 4
        end as specificity,
        coalesce(account_to_number - account_from_number, 0) as range_width

    from rules
    where category <> 'ict_cost_centre'

),

line_keys as (

    select
        municipality_code,
        fiscal_year,
        delivery_id,
        account_code,
        cost_centre,
        any_value(account_type) as account_type,
        bool_or(amounts_include_vat) as amounts_include_vat,
        count(*) as ledger_lines,
        sum(amount) as amount

    from lines
    group by municipality_code, fiscal_year, delivery_id, account_code, cost_centre

),

matches as (

    select
        lines.municipality_code,
        lines.fiscal_year,
        lines.account_code,
        lines.cost_centre,
        rules.category,
        rules.rule_row,
        row_number() over (
            partition by
                lines.municipality_code, lines.fiscal_year, lines.account_code, lines.cost_centre
            order by rules.specificity, rules.range_width, rules.rule_row
        ) as preference

    from line_keys as lines
    inner join classification_rules as rules
        on rules.municipality_code = lines.municipality_code
        and (rules.cost_centre is null or rules.cost_centre = lines.cost_centre)
        and (
            rules.account_from is null
            or (rules.account_to is null and lines.account_code = rules.account_from)
            or (
                rules.account_to is not null
                and rules.account_from_number is not null
                and rules.account_to_number is not null
                and try_cast(lines.account_code as {{ type_account_number() }})
                    between rules.account_from_number and rules.account_to_number
            )
            or (
                rules.account_to is not null
                and (rules.account_from_number is null or rules.account_to_number is null)
                and lines.account_code between rules.account_from and rules.account_to
            )
        )

),

best_match as (

    select * from matches where preference = 1

),

mapping_deliveries as (

    select distinct municipality_code, mapping_delivery_id
    from rules

),

ict_cost_centres as (

    select distinct municipality_code, cost_centre
    from rules
    where category = 'ict_cost_centre' and cost_centre is not null

),

classified as (

    select
        lines.*,
        mapping_deliveries.mapping_delivery_id,
        best_match.rule_row as mapping_rule_row,
        ict_cost_centres.cost_centre is not null and lines.account_type is distinct from 'B'
            as in_ict_cost_centre,
        case
            when lines.account_type = 'B' then null
            when best_match.category is not null then best_match.category
            when ict_cost_centres.cost_centre is not null then 'unclassified'
        end as category,
        case
            when lines.account_type = 'B' and best_match.category <> 'not_ict' then {% call format_text() %}
                'mapping rule on row {} makes balance-sheet account {} {}: an investment is not '
                || 'a cost, it reaches the exploitation as capital charges (map the depreciation '
                || 'account as capital_charges)',
                best_match.rule_row, lines.account_code, best_match.category
            {% endcall %}
        end as refused_reason

    from line_keys as lines
    left join best_match
        on best_match.municipality_code = lines.municipality_code
        and best_match.fiscal_year = lines.fiscal_year
        and best_match.account_code is not distinct from lines.account_code
        and best_match.cost_centre is not distinct from lines.cost_centre
    left join ict_cost_centres
        on ict_cost_centres.municipality_code = lines.municipality_code
        and ict_cost_centres.cost_centre = lines.cost_centre
    left join mapping_deliveries
        on mapping_deliveries.municipality_code = lines.municipality_code

)

select
    classified.*,
    classified.category is not null and classified.category <> 'not_ict' as is_ict,
    cast(
        case
            when classified.amounts_include_vat
                then classified.amount / (1 + coalesce(categories.vat_rate, 0))
            else classified.amount
        end
        as decimal(18, 2)
    ) as amount_excl_vat

from classified
left join categories
    on categories.category = classified.category
