{#
    The focus rule. A district is in focus for topic T when its DHMT (the registry
    institution of kind `district` for that district) lists T among its priorities. A
    hospital is in focus for T when the hospital's own institution lists T, or when its
    district's DHMT lists T. Membership (is_tpn_member) is not required: any institution in
    the current registry that states a priority counts. Only positive assignments are
    produced here; fct_tpn_focus adds the `is_focus = false` rows.
    focus_source: own_priority | district_priority | own_and_district_priority.
#}

with

stg_tpn_registry__institutions as (

    select
        institution_id,
        institution_kind,
        district_id,
        hospital_id
    from {{ ref('stg_tpn_registry__institutions') }}

),

stg_tpn_registry__priorities as (

    select
        institution_id,
        topic
    from {{ ref('stg_tpn_registry__priorities') }}

),

hospitals as (

    select
        hospital_id,
        district_id
    from {{ ref('hospitals') }}

),

institution_priorities_joined as (

    select
        institutions.institution_kind,
        institutions.district_id,
        institutions.hospital_id,
        priorities.topic
    from stg_tpn_registry__priorities as priorities
    inner join stg_tpn_registry__institutions as institutions
        on priorities.institution_id = institutions.institution_id

),

district_priorities_selected as (

    select distinct
        district_id,
        topic
    from institution_priorities_joined
    where institution_kind = 'district'

),

hospital_own_priorities_selected as (

    select distinct
        hospital_id,
        topic
    from institution_priorities_joined
    where institution_kind = 'hospital'
        and hospital_id is not null

),

hospital_district_priorities_inherited as (

    select distinct
        hospitals.hospital_id,
        district_priorities.topic
    from hospitals
    inner join district_priorities_selected as district_priorities
        on hospitals.district_id = district_priorities.district_id

),

hospital_focus_derived as (

    select
        'hospital' as entity_kind,
        coalesce(own.hospital_id, inherited.hospital_id) as entity_id,
        coalesce(own.topic, inherited.topic) as topic,
        case
            when own.hospital_id is not null and inherited.hospital_id is not null
                then 'own_and_district_priority'
            when own.hospital_id is not null then 'own_priority'
            else 'district_priority'
        end as focus_source
    from hospital_own_priorities_selected as own
    full outer join hospital_district_priorities_inherited as inherited
        on own.hospital_id = inherited.hospital_id
            and own.topic = inherited.topic

),

district_focus_derived as (

    select
        'district' as entity_kind,
        district_id as entity_id,
        topic,
        'own_priority' as focus_source
    from district_priorities_selected

),

focus_assignments_unioned as (

    select * from hospital_focus_derived
    union all
    select * from district_focus_derived

)

select * from focus_assignments_unioned
