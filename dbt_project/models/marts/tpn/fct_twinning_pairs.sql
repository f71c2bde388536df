{#
    is_active is evaluated on the day the table is built (current_date, UTC): a pair is
    active from started_on (or always, when unknown) through ended_on inclusive (or for good,
    when ended_on is empty).
#}

with

stg_tpn_registry__pairs as (

    select
        rising_institution_id,
        shining_institution_id,
        topic,
        started_on,
        ended_on
    from {{ ref('stg_tpn_registry__pairs') }}

),

stg_tpn_registry__institutions as (

    select
        institution_id,
        district_id
    from {{ ref('stg_tpn_registry__institutions') }}

),

districts_joined as (

    select
        pairs.rising_institution_id,
        pairs.shining_institution_id,
        pairs.topic,
        rising.district_id as rising_district_id,
        shining.district_id as shining_district_id,
        pairs.started_on,
        pairs.ended_on
    from stg_tpn_registry__pairs as pairs
    left join stg_tpn_registry__institutions as rising
        on pairs.rising_institution_id = rising.institution_id
    left join stg_tpn_registry__institutions as shining
        on pairs.shining_institution_id = shining.institution_id

),

activity_derived as (

    select
        *,
        (started_on is null or started_on <= current_date)
        and (ended_on is null or ended_on >= current_date) as is_active
    from districts_joined

)

select * from activity_derived
