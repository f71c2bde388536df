with

payments_weekly as (

    select
        district_id,
        report_date,
        members_paid_cumulative,
        amount_rwf_cumulative
    from {{ ref('fct_cbhi_payments_weekly') }}

),

rssb_weekly as (

    select
        district_id,
        report_date,
        members_paid,
        amount_collected_rwf
    from {{ ref('fct_cbhi_weekly') }}

),

joined as (

    select
        rssb_weekly.district_id,
        rssb_weekly.report_date,
        rssb_weekly.members_paid as rssb_members_paid,
        payments_weekly.members_paid_cumulative as payments_members_paid,
        rssb_weekly.amount_collected_rwf as rssb_amount_collected_rwf,
        payments_weekly.amount_rwf_cumulative as payments_amount_rwf
    from rssb_weekly
    inner join payments_weekly
        on rssb_weekly.district_id = payments_weekly.district_id
            and rssb_weekly.report_date = payments_weekly.report_date

),

compared as (

    select
        *,
        payments_members_paid - rssb_members_paid as members_difference,
        case
            when rssb_members_paid = 0 then null
            else round(
                    (payments_members_paid - rssb_members_paid) * 100.0 / rssb_members_paid, 4
                )
        end as members_difference_pct
    from joined

),

final as (

    select
        *,
        -- Tolerance in percent of RSSB's figure: payments arrive through four channels with
        -- their own delays, so a small gap is timing, not a discrepancy.
        coalesce(
            abs(members_difference_pct)
            <= {{ var('payments_reconciliation_tolerance_pct', 1.0) }},
            false
        ) as is_reconciled
    from compared

)

select * from final
