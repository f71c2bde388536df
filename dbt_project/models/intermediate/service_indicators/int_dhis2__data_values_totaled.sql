{#
    DHIS2 values totalled over their disaggregations: one row per item_code x org unit x
    period.

    1. Which file is current. Per item_code x org unit x period x attribute option combo
       (staging maps a missing attribute combo to DHIS2's default HllvX50cXC0), the rows of
       the NEWEST file only, newest by the file's delivery: landing.file_ledger.delivered_at
       (the file's modification time capped at its receipt; a replayed file keeps its first
       delivery; the ledger's received_at, else loaded_at, where it is unknown), then
       loaded_at, then file_sha256 desc for a stable tie. One ingest run stamps every file
       with the same loaded_at, so loaded_at alone cannot tell an April export from its May
       revision. An older file's rows never mix with a newer file's: a stale exported total
       is not kept beside newer combos, and combos of two files are not added.
    2. Within that file: its exported total (a row without category option combo) when it
       has one, else the sum of its category option combos (the later line of a repeated
       combo):
        counts (factor 1)       value = sum of the combos' values
        rates (factor 100/1000) one combo: its value; several: sum(numerator) / sum(denominator)
                                x factor when every combo has both, else no total (a rate is
                                never averaged or added)
    3. Attribute option combos (each from its own newest file) are summed the same way.
    numerator / denominator are the sums when every row has them, else null.
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
        source_file_sha256,
        source_row_number,
        loaded_at
    from {{ ref('stg_dhis2__data_values') }}

),

stg_landing__received_files as (

    select
        file_sha256,
        received_at,
        delivered_at
    from {{ ref('stg_landing__received_files') }}

),

dhis2_data_items as (

    select
        item_code,
        factor
    from {{ ref('dhis2_data_items') }}

),

deliveries_joined as (

    select
        data_values.*,
        coalesce(files.delivered_at, files.received_at, data_values.loaded_at)
            as file_delivered_at
    from stg_dhis2__data_values as data_values
    left join stg_landing__received_files as files
        on data_values.source_file_sha256 = files.file_sha256

),

newest_files_ranked as (

    select
        *,
        dense_rank() over (
            partition by item_code, org_unit_uid, period_id, attribute_option_combo_uid
            order by file_delivered_at desc, loaded_at desc, source_file_sha256 desc
        ) as file_rank
    from deliveries_joined

),

newest_file_rows as (

    select * from newest_files_ranked
    where file_rank = 1
    qualify row_number() over (
            partition by
                item_code,
                org_unit_uid,
                period_id,
                attribute_option_combo_uid,
                category_option_combo_uid
            order by source_row_number desc
        ) = 1

),

exported_totals_flagged as (

    select
        *,
        category_option_combo_uid is null as is_exported_total,
        bool_or(category_option_combo_uid is null) over (
            partition by item_code, org_unit_uid, period_id, attribute_option_combo_uid
        ) as has_exported_total
    from newest_file_rows

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
