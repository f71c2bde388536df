with

tpn_pairs as (

    select
        file_sha256,
        rising_institution_id,
        shining_institution_id,
        topic,
        started_on,
        ended_on,
        loaded_at,
        is_superseded
    from {{ source('tpn_registry', 'tpn_pairs') }}

),

superseded_removed as (

    select * from tpn_pairs
    where not is_superseded

),

renamed as (

    select
        rising_institution_id,
        shining_institution_id,
        topic,
        started_on,
        ended_on,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
