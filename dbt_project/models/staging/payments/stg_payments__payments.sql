with

cbhi_payments as (

    select
        payment_id,
        household_key,
        district_id,
        sector,
        channel,
        members,
        amount_rwf,
        paid_at,
        file_sha256,
        is_superseded
    from {{ source('payments', 'cbhi_payments') }}

),

superseded_removed as (

    select * from cbhi_payments
    where not is_superseded

),

renamed as (

    select
        payment_id,
        household_key,
        district_id,
        sector as sector_name,
        channel,
        members,
        amount_rwf,
        paid_at,
        file_sha256 as source_file_sha256
    from superseded_removed

)

select * from renamed
