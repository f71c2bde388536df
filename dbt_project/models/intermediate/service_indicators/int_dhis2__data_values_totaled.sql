{#
    DHIS2 values totalled over their disaggregations: one row per item_code x org unit x
    period. A row with neither category option combo nor attribute option combo is DHIS2's
    own total (an analytics export); when the file(s) gave one, it is kept alone and the
    disaggregated rows of the same key are not added to it (that would count them twice).
    Otherwise the combos are summed:
        counts (factor 1)       value = sum of the combos' values
        rates (factor 100/1000) one combo: its value; several: sum(numerator) / sum(denominator)
                                x factor when every combo has both, else no total (a rate is
                                never averaged or added)
    numerator / denominator are the sums when every combo has them, else null.
#}

with

stg_dhis2__data_values as (

    select
        item_code,
        category_option_combo_uid,
        attribute_option_combo_uid,
        period_id,
        period_type,
        period_start,
        period_end,
        org_unit_uid,
        org_unit_level,
        district_id,
        hospital_id,
        value,
        numerator,
        denominator,
        loaded_at
    from {{ ref('stg_dhis2__data_values') }}

),

dhis2_data_items as (

    select
        item_code,
        factor
    from {{ ref('dhis2_data_items') }}

),

exported_totals_flagged as (

    select
        *,
        category_option_combo_uid is null
        and attribute_option_combo_uid is null as is_exported_total,
        bool_or(
            category_option_combo_uid is null and attribute_option_combo_uid is null
        ) over (
            partition by item_code, org_unit_uid, period_id
        ) as has_exported_total
    from stg_dhis2__data_values

),

combos_kept as (

    select * from exported_totals_flagged
    where is_exported_total or not has_exported_total

),

combos_summed as (

    select
        combos.item_code,
        combos.org_unit_uid,
        combos.period_id,
        combos.period_type,
        combos.period_start,
        combos.period_end,
        combos.org_unit_level,
        combos.district_id,
        combos.hospital_id,
        items.factor,
        count(*) as combo_count,
        sum(combos.value) as value_sum,
        count(combos.numerator) as numerator_count,
        count(combos.denominator) as denominator_count,
        sum(combos.numerator) as numerator_sum,
        sum(combos.denominator) as denominator_sum,
        max(combos.loaded_at) as loaded_at
    from combos_kept as combos
    inner join dhis2_data_items as items
        on combos.item_code = items.item_code
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10

),

totals_computed as (

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
        factor,
        cast(combo_count as integer) as combo_count,
        loaded_at,
        case
            when factor = 1 or combo_count = 1 then value_sum
            when
                numerator_count = combo_count
                and denominator_count = combo_count
                and denominator_sum <> 0
                then numerator_sum / denominator_sum * factor
        end as value,
        case when numerator_count = combo_count then numerator_sum end as numerator,
        case when denominator_count = combo_count then denominator_sum end as denominator
    from combos_summed

),

totals_kept as (

    select * from totals_computed
    where value is not null

)

select * from totals_kept
