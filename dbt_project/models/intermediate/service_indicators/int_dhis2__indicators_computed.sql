{#
    Indicators (and reporting rates) of each org unit, as exported or computed from their
    components. One row per indicator item_code x org unit x period.
    Indicators: items of dhis2_data_items that are neither a numerator nor a denominator of
    another (item_type indicator or reporting_rate). Components: data elements / reporting
    counts with numerator_of / denominator_of (denominator_of may list several codes, ';').
        exported                     the export gave the indicator itself: kept as is
                                     (numerator / denominator when includeNumDen gave them)
        computed_from_data_elements  no exported value, both components present:
                                     value = numerator / denominator x factor;
                                     null when the denominator is 0 (kept, so the counts
                                     still roll up to the district)
    An exported value wins over one computed from components at the same org unit.
#}

with

int_dhis2__data_values_totaled as (

    select
        item_code,
        org_unit_uid,
        period_id,
        period_type,
        period_start,
        period_end,
        org_unit_level,
        district_id,
        hospital_id,
        value,
        numerator,
        denominator
    from {{ ref('int_dhis2__data_values_totaled') }}

),

dhis2_data_items as (

    select
        item_code,
        item_type,
        factor,
        numerator_of,
        denominator_of
    from {{ ref('dhis2_data_items') }}

),

indicator_items as (

    select
        item_code,
        factor
    from dhis2_data_items
    where
        item_type <> 'data_element'
        and numerator_of is null
        and denominator_of is null

),

component_roles as (

    select
        item_code as component_code,
        numerator_of as indicator_code,
        'numerator' as component_role
    from dhis2_data_items
    where numerator_of is not null

    union all

    select
        item_code as component_code,
        trim(unnest(string_split(denominator_of, ';'))) as indicator_code,
        'denominator' as component_role
    from dhis2_data_items
    where denominator_of is not null

),

exported_indicators as (

    select
        totals.item_code,
        totals.org_unit_uid,
        totals.period_id,
        totals.period_type,
        totals.period_start,
        totals.period_end,
        totals.org_unit_level,
        totals.district_id,
        totals.hospital_id,
        totals.value,
        totals.numerator,
        totals.denominator,
        indicators.factor,
        'exported' as value_source
    from int_dhis2__data_values_totaled as totals
    inner join indicator_items as indicators
        on totals.item_code = indicators.item_code

),

components_paired as (

    select
        component.indicator_code as item_code,
        totals.org_unit_uid,
        totals.period_id,
        totals.period_type,
        totals.period_start,
        totals.period_end,
        totals.org_unit_level,
        totals.district_id,
        totals.hospital_id,
        sum(case when component.component_role = 'numerator' then totals.value end)
            as numerator,
        sum(case when component.component_role = 'denominator' then totals.value end)
            as denominator
    from int_dhis2__data_values_totaled as totals
    inner join component_roles as component
        on totals.item_code = component.component_code
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9

),

computed_indicators as (

    select
        components.item_code,
        components.org_unit_uid,
        components.period_id,
        components.period_type,
        components.period_start,
        components.period_end,
        components.org_unit_level,
        components.district_id,
        components.hospital_id,
        case
            when components.denominator <> 0
                then components.numerator / components.denominator * indicators.factor
        end as value,
        components.numerator,
        components.denominator,
        indicators.factor,
        'computed_from_data_elements' as value_source
    from components_paired as components
    inner join indicator_items as indicators
        on components.item_code = indicators.item_code
    -- A unit with one component only (a numerator without its denominator, e.g. a value
    -- deleted in DHIS2) keeps its row with a null value: its district's roll-up then counts
    -- it as a facility left out (and publishes no partial figure) instead of never seeing it.
    where
        not exists (
            select exported.item_code
            from exported_indicators as exported
            where
                exported.item_code = components.item_code
                and exported.org_unit_uid = components.org_unit_uid
                and exported.period_id = components.period_id
        )

),

indicators_combined as (

    select * from exported_indicators
    union all
    select * from computed_indicators

)

select * from indicators_combined
