-- 보증공급 현황: supply (NEW + EXTEND) and year-end balance per year, against plan and the
-- previous year.
with

yearly as (select * from {{ ref('int_yearly_activity') }}),

plans as (select * from {{ ref('ref_supply_plans') }}),

joined as (

    select
        y.year,
        y.supply_count,
        y.supply_amount_krw,
        y.new_count,
        y.new_amount_krw,
        y.extension_count,
        y.extension_amount_krw,
        y.balance_count,
        y.balance_amount_krw,
        p.plan_count,
        p.plan_amount_krw,
        prev.supply_count           as prev_supply_count,
        prev.supply_amount_krw      as prev_supply_amount_krw,
        prev.balance_count          as prev_balance_count,
        prev.balance_amount_krw     as prev_balance_amount_krw
    from yearly as y
    left join yearly as prev on prev.year = y.year - 1
    left join plans as p on p.year = y.year

)

select
    year::integer                                                   as year,
    supply_count::integer                                           as supply_count,
    supply_amount_krw::bigint                                       as supply_amount_krw,
    new_count::integer                                              as new_count,
    new_amount_krw::bigint                                          as new_amount_krw,
    extension_count::integer                                        as extension_count,
    extension_amount_krw::bigint                                    as extension_amount_krw,
    balance_count::integer                                          as balance_count,
    balance_amount_krw::bigint                                      as balance_amount_krw,
    plan_count::integer                                             as plan_count,
    plan_amount_krw::bigint                                         as plan_amount_krw,
    {{ pct('supply_count', 'plan_count') }}                         as count_attainment_pct,
    {{ pct('supply_amount_krw', 'plan_amount_krw') }}               as amount_attainment_pct,
    (supply_count - prev_supply_count)::integer                     as supply_count_change,
    (supply_amount_krw - prev_supply_amount_krw)::bigint            as supply_amount_change_krw,
    {{ growth_pct('supply_count', 'prev_supply_count') }}           as supply_count_growth_pct,
    {{ growth_pct('supply_amount_krw', 'prev_supply_amount_krw') }} as supply_amount_growth_pct,
    (balance_count - prev_balance_count)::integer                   as balance_count_change,
    (balance_amount_krw - prev_balance_amount_krw)::bigint          as balance_amount_change_krw,
    {{ growth_pct('balance_count', 'prev_balance_count') }}         as balance_count_growth_pct,
    {{ growth_pct('balance_amount_krw', 'prev_balance_amount_krw') }} as balance_amount_growth_pct
from joined
