with

hospitals as (

    select
        hospital_id,
        hospital_name,
        district_id,
        hospital_category
    from {{ ref('hospitals') }}

),

districts as (

    select
        district_id,
        province
    from {{ ref('districts') }}

),

provinces_joined as (

    select
        hospitals.hospital_id,
        hospitals.hospital_name,
        hospitals.district_id,
        districts.province,
        hospitals.hospital_category
    from hospitals
    left join districts
        on hospitals.district_id = districts.district_id

)

select * from provinces_joined
