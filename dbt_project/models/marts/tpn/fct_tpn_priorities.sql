with

stg_tpn_registry__priorities as (

    select
        institution_id,
        topic,
        priority_rank,
        chosen_on
    from {{ ref('stg_tpn_registry__priorities') }}

),

stg_tpn_registry__institutions as (

    select
        institution_id,
        institution_kind,
        district_id,
        hospital_id
    from {{ ref('stg_tpn_registry__institutions') }}

),

institutions_joined as (

    select
        priorities.institution_id,
        institutions.institution_kind,
        institutions.district_id,
        institutions.hospital_id,
        priorities.topic,
        priorities.priority_rank,
        priorities.chosen_on
    from stg_tpn_registry__priorities as priorities
    inner join stg_tpn_registry__institutions as institutions
        on priorities.institution_id = institutions.institution_id

)

select * from institutions_joined
