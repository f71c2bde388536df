with

tpn_strengths as (

    select
        file_sha256,
        institution_id,
        topic,
        loaded_at,
        is_superseded
    from {{ source('tpn_registry', 'tpn_strengths') }}

),

superseded_removed as (

    select * from tpn_strengths
    where not is_superseded

),

renamed as (

    select
        institution_id,
        topic,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
