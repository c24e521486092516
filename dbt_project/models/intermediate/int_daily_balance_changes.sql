-- Daily rollup: per date, the change of the guarantee balance (보증잔액), of the number of
-- guarantees with a balance, and of basic assets (기본재산), plus the day's event flows.
-- Incremental: the days from restate_from() on are deleted and recomputed (strategy 'restate').
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='activity_date',
) }}

with

guarantee_days as (

    select
        event_date                                                          as activity_date,
        sum(balance_delta_krw)::bigint                                      as guarantee_balance_delta_krw,
        sum((balance_after_krw > 0)::int - (balance_before_krw > 0)::int)::integer
                                                                            as balance_count_delta,
        {{ event_flow_columns([
            ('supply', ['NEW', 'EXTEND']), ('new', ['NEW']), ('extension', ['EXTEND']),
            ('accident', ['ACCIDENT']), ('normalized', ['NORMALIZE']), ('subrogation', ['SUBROGATE']),
        ]) }}
    from {{ ref('int_guarantee_events') }}
    {{ restate_filter('event_date') }}
    group by event_date

),

fund_days as (

    select
        received_date                                    as activity_date,
        sum(signed_amount_krw)::bigint                   as basic_assets_delta_krw
    from {{ ref('int_fund_ledger') }}
    {{ restate_filter('received_date') }}
    group by received_date

),

final as (

    select
        coalesce(g.activity_date, f.activity_date)                  as activity_date,
        extract(year from coalesce(g.activity_date, f.activity_date))::integer
                                                                    as activity_year,
        coalesce(g.guarantee_balance_delta_krw, 0)::bigint          as guarantee_balance_delta_krw,
        coalesce(g.balance_count_delta, 0)::integer                 as balance_count_delta,
        coalesce(f.basic_assets_delta_krw, 0)::bigint               as basic_assets_delta_krw,
        coalesce(g.supply_count, 0)::integer                        as supply_count,
        coalesce(g.supply_amount_krw, 0)::bigint                    as supply_amount_krw,
        coalesce(g.new_count, 0)::integer                           as new_count,
        coalesce(g.new_amount_krw, 0)::bigint                       as new_amount_krw,
        coalesce(g.extension_count, 0)::integer                     as extension_count,
        coalesce(g.extension_amount_krw, 0)::bigint                 as extension_amount_krw,
        coalesce(g.accident_count, 0)::integer                      as accident_count,
        coalesce(g.accident_amount_krw, 0)::bigint                  as accident_amount_krw,
        coalesce(g.normalized_count, 0)::integer                    as normalized_count,
        coalesce(g.normalized_amount_krw, 0)::bigint                as normalized_amount_krw,
        coalesce(g.subrogation_count, 0)::integer                   as subrogation_count,
        coalesce(g.subrogation_amount_krw, 0)::bigint               as subrogation_amount_krw
    from guarantee_days as g
    full outer join fund_days as f on f.activity_date = g.activity_date

)

select * from final
