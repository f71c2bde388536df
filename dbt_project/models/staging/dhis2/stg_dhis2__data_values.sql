{#
    DHIS2 values as loaded, one row per file line (file_sha256 x row_number), rows of
    superseded files left out. A null attribute_option_combo_uid (analytics exports carry
    none) is DHIS2's default attribute option combo, uid HllvX50cXC0 (dhis2-core
    DefaultCategoryService), the one data value sets name: both are the same value.
    Which file's value is current is decided downstream by the file's delivery
    (int_dhis2__data_values_totaled, which joins the file ledger; staging does not join).
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

renamed as (

    select
        data_item_uid,
        item_code,
        category_option_combo_uid,
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
        loaded_at,
        -- DHIS2's default attribute option combo (dhis2-core DefaultCategoryService)
        coalesce(attribute_option_combo_uid, 'HllvX50cXC0') as attribute_option_combo_uid
    from superseded_removed

)

select * from renamed
