{#
    Current DHIS2 values: per data_item_uid x category_option_combo_uid x
    attribute_option_combo_uid x period_id x org_unit_uid (nulls compare equal), the row of
    the most recently loaded file (loaded_at, then file_sha256 for a stable tie, then the
    later line of the same file), rows of superseded files excluded first.
#}

with

dhis2_data_values as (

    select
        file_sha256,
        source_format,
        data_item_uid,
        data_item_name_received,
        item_code,
        category_option_combo_uid,
        attribute_option_combo_uid,
        period_id,
        period_type,
        period_start,
        period_end,
        org_unit_uid,
        org_unit_name_received,
        org_unit_level,
        district_id,
        hospital_id,
        value,
        numerator,
        denominator,
        row_number,
        loaded_at,
        is_superseded
    from {{ source('dhis2', 'dhis2_data_values') }}

),

superseded_removed as (

    select * from dhis2_data_values
    where not is_superseded

),

latest_values_kept as (

    select * from superseded_removed
    qualify row_number() over (
            partition by
                data_item_uid,
                category_option_combo_uid,
                attribute_option_combo_uid,
                period_id,
                org_unit_uid
            order by loaded_at desc, file_sha256 desc, row_number desc
        ) = 1

),

renamed as (

    select
        data_item_uid,
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
        data_item_name_received,
        org_unit_name_received,
        source_format,
        file_sha256 as source_file_sha256,
        row_number as source_row_number,
        loaded_at
    from latest_values_kept

)

select * from renamed
