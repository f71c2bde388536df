with

stg_tpn_registry__institutions as (

    select
        institution_id,
        institution_name,
        institution_kind,
        district_id,
        hospital_id,
        hospital_category,
        is_tpn_member,
        joined_on
    from {{ ref('stg_tpn_registry__institutions') }}

),

hospitals as (

    select
        hospital_id,
        hospital_category
    from {{ ref('hospitals') }}

),

hospital_categories_resolved as (

    select
        institutions.institution_id,
        institutions.institution_name,
        institutions.institution_kind,
        institutions.district_id,
        institutions.hospital_id,
        institutions.is_tpn_member,
        institutions.joined_on,
        case
            when institutions.institution_kind = 'hospital'
                then coalesce(institutions.hospital_category, hospitals.hospital_category)
        end as hospital_category
    from stg_tpn_registry__institutions as institutions
    left join hospitals
        on institutions.hospital_id = hospitals.hospital_id

)

select * from hospital_categories_resolved
