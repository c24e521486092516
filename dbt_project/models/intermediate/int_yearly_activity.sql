-- Yearly rollup (1 Jan – 31 Dec; the current year is year-to-date): the year's event flows and
-- the guarantee balance and basic assets at year end (running totals of the daily changes).
with

daily as (

    select * from {{ ref('int_daily_balance_changes') }}

),

yearly as (

    select
        activity_year                                   as year,
        sum(supply_count)::integer                      as supply_count,
        sum(supply_amount_krw)::bigint                  as supply_amount_krw,
        sum(new_count)::integer                         as new_count,
        sum(new_amount_krw)::bigint                     as new_amount_krw,
        sum(extension_count)::integer                   as extension_count,
        sum(extension_amount_krw)::bigint               as extension_amount_krw,
        sum(accident_count)::integer                    as accident_count,
        sum(accident_amount_krw)::bigint                as accident_amount_krw,
        sum(normalized_count)::integer                  as normalized_count,
        sum(normalized_amount_krw)::bigint              as normalized_amount_krw,
        sum(subrogation_count)::integer                 as subrogation_count,
        sum(subrogation_amount_krw)::bigint             as subrogation_amount_krw,
        sum(guarantee_balance_delta_krw)::bigint        as guarantee_balance_delta_krw,
        sum(balance_count_delta)::integer               as balance_count_delta,
        sum(basic_assets_delta_krw)::bigint             as basic_assets_delta_krw,
        max(activity_date)                              as last_activity_date
    from daily
    group by activity_year

),

final as (

    select
        *,
        sum(balance_count_delta) over (order by year)::integer          as balance_count,
        sum(guarantee_balance_delta_krw) over (order by year)::bigint   as balance_amount_krw,
        sum(basic_assets_delta_krw) over (order by year)::bigint        as basic_assets_krw
    from yearly

)

select * from final
