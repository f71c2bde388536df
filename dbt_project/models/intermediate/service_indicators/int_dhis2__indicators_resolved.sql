{#
    The one value of each indicator for each district (DHMT) and hospital: one row per
    institution_kind x district_id x hospital_id x item_code x period_id.
        district  the district org unit's own row (exported, or computed from its data
                  elements) when the export has one; else the roll-up of its facilities
                  (value_source 'rolled_up'): a district-level row wins over a roll-up
        hospital  the hospital org unit's row
    Health centres appear only inside their district's roll-up.
#}

with

int_dhis2__indicators_computed as (

    select
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        org_unit_level,
        district_id,
        hospital_id,
        value,
        numerator,
        denominator,
        factor,
        value_source
    from {{ ref('int_dhis2__indicators_computed') }}

),

int_dhis2__indicators_rolled_up_to_districts as (

    select
        district_id,
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        value,
        numerator,
        denominator,
        factor,
        facilities_rolled_up
    from {{ ref('int_dhis2__indicators_rolled_up_to_districts') }}

),

district_rows as (

    select
        'district' as institution_kind,
        district_id,
        cast(null as varchar) as hospital_id,
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
        cast(null as integer) as facilities_rolled_up
    from int_dhis2__indicators_computed
    where org_unit_level = 'district'

),

rolled_up_rows as (

    select
        'district' as institution_kind,
        rolled_up.district_id,
        cast(null as varchar) as hospital_id,
        rolled_up.item_code,
        rolled_up.period_id,
        rolled_up.period_type,
        rolled_up.period_start,
        rolled_up.period_end,
        rolled_up.value,
        rolled_up.numerator,
        rolled_up.denominator,
        rolled_up.factor,
        'rolled_up' as value_source,
        rolled_up.facilities_rolled_up
    from int_dhis2__indicators_rolled_up_to_districts as rolled_up
    where not exists (
            select district_rows.item_code
            from district_rows
            where
                district_rows.district_id = rolled_up.district_id
                and district_rows.item_code = rolled_up.item_code
                and district_rows.period_id = rolled_up.period_id
        )

),

hospital_rows as (

    select
        'hospital' as institution_kind,
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
        cast(null as integer) as facilities_rolled_up
    from int_dhis2__indicators_computed
    where org_unit_level = 'hospital'

),

indicators_resolved as (

    select * from district_rows
    union all
    select * from rolled_up_rows
    union all
    select * from hospital_rows

)

select * from indicators_resolved
