with

tpn_priorities as (

    select
        file_sha256,
        institution_id,
        topic,
        priority_rank,
        chosen_on,
        loaded_at,
        is_superseded
    from {{ source('tpn_registry', 'tpn_priorities') }}

),

superseded_removed as (

    select * from tpn_priorities
    where not is_superseded

),

renamed as (

    select
        institution_id,
        topic,
        priority_rank,
        chosen_on,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
