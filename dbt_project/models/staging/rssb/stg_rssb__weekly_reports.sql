with

rssb_weekly as (

    select
        file_sha256,
        report_date,
        district_id,
        district_name_received,
        target_population,
        members_paid,
        households_paid,
        amount_collected_rwf,
        coverage_rate_pct,
        loaded_at,
        is_superseded
    from {{ source('rssb', 'rssb_weekly') }}

),

superseded_removed as (

    select * from rssb_weekly
    where not is_superseded

),

renamed as (

    select
        district_id,
        report_date,
        district_name_received,
        target_population,
        members_paid,
        households_paid,
        amount_collected_rwf,
        coverage_rate_pct as coverage_rate_as_received_pct,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
