{#
    Every hospital of dim_hospital and every district of dim_district, for every topic that
    appears in the current priorities, with is_focus from the focus rule
    (int_tpn_focus_assignments_derived) and false elsewhere.
#}

with

dim_hospital as (

    select
        hospital_id,
        district_id
    from {{ ref('dim_hospital') }}

),

dim_district as (

    select district_id
    from {{ ref('dim_district') }}

),

stg_tpn_registry__priorities as (

    select topic
    from {{ ref('stg_tpn_registry__priorities') }}

),

int_tpn_focus_assignments_derived as (

    select
        entity_kind,
        entity_id,
        topic,
        focus_source
    from {{ ref('int_tpn_focus_assignments_derived') }}

),

entities_unioned as (

    select
        'hospital' as entity_kind,
        hospital_id as entity_id,
        district_id
    from dim_hospital
    union all
    select
        'district' as entity_kind,
        district_id as entity_id,
        district_id
    from dim_district

),

topics_selected as (

    select distinct topic
    from stg_tpn_registry__priorities

),

entity_topics_crossed as (

    select
        entities.entity_kind,
        entities.entity_id,
        entities.district_id,
        topics.topic
    from entities_unioned as entities
    cross join topics_selected as topics

),

focus_assignments_joined as (

    select
        entity_topics.entity_kind,
        entity_topics.entity_id,
        entity_topics.district_id,
        entity_topics.topic,
        assignments.focus_source is not null as is_focus,
        coalesce(assignments.focus_source, 'none') as focus_source
    from entity_topics_crossed as entity_topics
    left join int_tpn_focus_assignments_derived as assignments
        on entity_topics.entity_kind = assignments.entity_kind
            and entity_topics.entity_id = assignments.entity_id
            and entity_topics.topic = assignments.topic

)

select * from focus_assignments_joined
