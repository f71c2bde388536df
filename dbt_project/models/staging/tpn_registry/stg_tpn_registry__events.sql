with

tpn_events as (

    select
        file_sha256,
        event_number,
        event_date,
        event_kind,
        topic,
        institution_ids,
        loaded_at,
        is_superseded
    from {{ source('tpn_registry', 'tpn_events') }}

),

superseded_removed as (

    select * from tpn_events
    where not is_superseded

),

renamed as (

    select
        event_number,
        event_date,
        event_kind,
        topic,
        institution_ids,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
