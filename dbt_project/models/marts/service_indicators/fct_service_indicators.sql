{#
    Service indicators from DHIS2 per district (DHMT level) and hospital (facility level) of
    dim_district / dim_hospital, members of the TPN or not (the comparison groups of the
    evaluation need the non-members too, as the accreditation comparison does), and period, with the topic each measures (seed
    service_indicator_topics). Indicator and reporting-rate codes only, never raw data
    elements. Values come from int_dhis2__indicators_resolved (exported, computed from data
    elements, or rolled up from facilities: a district's own row wins over the roll-up), plus
    the census-corrected coverage of population-based indicators from
    fct_service_coverage_corrected under their corrected code (var
    population_based_indicators: anc1_coverage_corrected_pct), value_source
    'census_corrected', numerator = ANC 1st visits, denominator = expected pregnancies
    (census; approximated by expected live births, no pregnancy-loss factor), factor 100.
    institution_id is the registry's key when the district's DHMT or the hospital is a TPN
    institution (dim_institution), null otherwise. Org units that are neither a known district
    nor a known hospital are not in this mart (they stay in the intermediate models; health
    centres count inside their district); rows without a value (zero denominator) are dropped. An indicator
    code missing from service_indicator_topics keeps its rows with a null topic, which the
    topic's not_null test reports (add the code to the seed).
#}

{%- set population_based = var('population_based_indicators') %}

with

int_dhis2__indicators_resolved as (

    select
        institution_kind,
        district_id,
        hospital_id,
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        value,
        numerator,
        denominator,
        factor,
        value_source,
        facilities_rolled_up
    from {{ ref('int_dhis2__indicators_resolved') }}

),

fct_service_coverage_corrected as (

    select
        district_id,
        item_code,
        period_id,
        month_start,
        numerator,
        expected_pregnancies_census,
        coverage_corrected_pct
    from {{ ref('fct_service_coverage_corrected') }}

),

dim_institution as (

    select
        institution_id,
        institution_kind,
        district_id,
        hospital_id
    from {{ ref('dim_institution') }}

),

dim_district as (

    select district_id
    from {{ ref('dim_district') }}

),

dim_hospital as (

    select
        hospital_id,
        district_id
    from {{ ref('dim_hospital') }}

),

units_known as (

    select
        'district' as institution_kind,
        district_id as unit_id,
        district_id,
        cast(null as varchar) as hospital_id
    from dim_district
    union all
    select
        'hospital' as institution_kind,
        hospital_id as unit_id,
        district_id,
        hospital_id
    from dim_hospital

),

service_indicator_topics as (

    select
        item_code,
        topic
    from {{ ref('service_indicator_topics') }}

),

corrected_rows as (

    select
        'district' as institution_kind,
        district_id,
        cast(null as varchar) as hospital_id,
        case item_code
            {%- for code, corrected_code in population_based.items() %}
            when '{{ code }}' then '{{ corrected_code }}'
            {%- endfor %}
        end as item_code,
        period_id,
        'Monthly' as period_type,
        month_start as period_start,
        last_day(month_start) as period_end,
        coverage_corrected_pct as value,
        numerator,
        expected_pregnancies_census as denominator,
        100 as factor,
        'census_corrected' as value_source,
        cast(null as integer) as facilities_rolled_up
    from fct_service_coverage_corrected

),

indicators_combined as (

    select
        institution_kind,
        district_id,
        hospital_id,
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        value,
        numerator,
        denominator,
        factor,
        value_source,
        facilities_rolled_up
    from int_dhis2__indicators_resolved
    where value is not null

    union all

    select
        institution_kind,
        district_id,
        hospital_id,
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        value,
        numerator,
        denominator,
        factor,
        value_source,
        facilities_rolled_up
    from corrected_rows

),

institutions_joined as (

    select
        units.unit_id,
        institutions.institution_id,
        units.institution_kind,
        units.district_id,
        units.hospital_id,
        topics.topic,
        indicators.item_code,
        indicators.period_id,
        indicators.period_type,
        cast(indicators.period_start as date) as period_start,
        cast(indicators.period_end as date) as period_end,
        cast(indicators.value as double) as value,
        cast(indicators.numerator as double) as numerator,
        cast(indicators.denominator as double) as denominator,
        cast(indicators.factor as integer) as factor,
        indicators.value_source,
        cast(indicators.facilities_rolled_up as integer) as facilities_rolled_up
    from indicators_combined as indicators
    inner join units_known as units
        on indicators.institution_kind = units.institution_kind
            and (
                (
                    indicators.institution_kind = 'district'
                    and indicators.district_id = units.district_id
                )
                or (
                    indicators.institution_kind = 'hospital'
                    and indicators.hospital_id = units.hospital_id
                )
            )
    left join dim_institution as institutions
        on indicators.institution_kind = institutions.institution_kind
            and (
                (
                    indicators.institution_kind = 'district'
                    and indicators.district_id = institutions.district_id
                )
                or (
                    indicators.institution_kind = 'hospital'
                    and indicators.hospital_id = institutions.hospital_id
                )
            )
    left join service_indicator_topics as topics
        on indicators.item_code = topics.item_code

)

select * from institutions_joined
