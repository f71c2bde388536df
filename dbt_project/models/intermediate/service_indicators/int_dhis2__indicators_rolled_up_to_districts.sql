{#
    Facility indicators (hospitals and health centres) rolled up to their district: one row
    per district x indicator item_code x period. Numerators and denominators are summed and
    the rate recomputed, never averaged:
        value = sum(numerator) / sum(denominator) x factor  (null when sum(denominator) = 0)
    A facility row without both numerator and denominator (a percentage exported alone)
    cannot be weighted, and a sum without it is not the district's figure: a roll-up that
    would leave any facility out (facilities_not_rolled_up > 0) gives no district row.
    A roll-up needs at least one health centre: most of a district's services (ANC, family
    planning, nutrition, HMIS reports) are given in its health centres, so an export of
    hospitals alone (a hospital-level export, e.g. the sample's yearly one) is the hospitals'
    figure, not the district's, and gives no district row.
#}

with

int_dhis2__indicators_computed as (

    select
        item_code,
        org_unit_uid,
        period_id,
        period_type,
        period_start,
        period_end,
        org_unit_level,
        district_id,
        numerator,
        denominator,
        factor
    from {{ ref('int_dhis2__indicators_computed') }}

),

facility_indicators as (

    select
        *,
        numerator is not null and denominator is not null as has_numerator_and_denominator
    from int_dhis2__indicators_computed
    where org_unit_level in ('hospital', 'health_centre')

),

facilities_summed as (

    select
        district_id,
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        factor,
        cast(count(*) filter (where has_numerator_and_denominator) as integer)
            as facilities_rolled_up,
        cast(count(*) filter (where not has_numerator_and_denominator) as integer)
            as facilities_not_rolled_up,
        count(*) filter (
            where has_numerator_and_denominator and org_unit_level = 'health_centre'
        ) as health_centres_rolled_up,
        sum(numerator) filter (where has_numerator_and_denominator) as numerator,
        sum(denominator) filter (where has_numerator_and_denominator) as denominator
    from facility_indicators
    group by 1, 2, 3, 4, 5, 6, 7

),

district_indicators_computed as (

    select
        district_id,
        item_code,
        period_id,
        period_type,
        period_start,
        period_end,
        numerator,
        denominator,
        factor,
        facilities_rolled_up,
        case
            when denominator <> 0 then numerator / denominator * factor
        end as value
    from facilities_summed
    where
        facilities_rolled_up > 0
        and health_centres_rolled_up > 0
        and facilities_not_rolled_up = 0

)

select * from district_indicators_computed
