with

tpn_institutions as (

    select
        file_sha256,
        institution_id,
        institution_name,
        institution_kind,
        district_id,
        hospital_id,
        hospital_category,
        is_tpn_member,
        joined_on,
        loaded_at,
        is_superseded
    from {{ source('tpn_registry', 'tpn_institutions') }}

),

superseded_removed as (

    select * from tpn_institutions
    where not is_superseded

),

renamed as (

    select
        institution_id,
        institution_name,
        institution_kind,
        district_id,
        hospital_id,
        hospital_category,
        is_tpn_member,
        joined_on,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
