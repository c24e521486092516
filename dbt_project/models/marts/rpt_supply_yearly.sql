-- 보증공급 현황: supply (NEW + EXTEND) and the balance at the end of the period per year, against
-- plan and against the same period of the previous year (int_report_years: a partial year
-- compares year-to-date with year-to-date; supply is not compared with the cut-over year, the
-- balance is: the cut-over snapshot is a real balance).
with

years as (select * from {{ ref('int_report_years') }}),

yearly as (select * from {{ ref('int_yearly_activity') }}),

plans as (select * from {{ ref('ref_supply_plans') }})

select
    a.year::integer                                                         as year,
    {{ report_year_columns('y') }},
    a.supply_count::integer                                                 as supply_count,
    a.supply_amount_krw::bigint                                             as supply_amount_krw,
    a.new_count::integer                                                    as new_count,
    a.new_amount_krw::bigint                                                as new_amount_krw,
    a.extension_count::integer                                              as extension_count,
    a.extension_amount_krw::bigint                                          as extension_amount_krw,
    a.balance_count::integer                                                as balance_count,
    a.balance_amount_krw::bigint                                            as balance_amount_krw,
    p.plan_count::integer                                                   as plan_count,
    p.plan_amount_krw::bigint                                               as plan_amount_krw,
    {{ pct('a.supply_count', 'p.plan_count') }}                             as count_attainment_pct,
    {{ pct('a.supply_amount_krw', 'p.plan_amount_krw') }}                   as amount_attainment_pct,
    {{ report_prev_period_columns('y') }},
    a.prev_period_supply_count::integer                                     as prev_period_supply_count,
    a.prev_period_supply_amount_krw::bigint                                 as prev_period_supply_amount_krw,
    a.prev_period_balance_count::integer                                    as prev_period_balance_count,
    a.prev_period_balance_amount_krw::bigint                                as prev_period_balance_amount_krw,
    (a.supply_count - a.prev_period_supply_count)::integer                  as supply_count_change,
    (a.supply_amount_krw - a.prev_period_supply_amount_krw)::bigint         as supply_amount_change_krw,
    {{ growth_pct('a.supply_count', 'a.prev_period_supply_count') }}        as supply_count_growth_pct,
    {{ growth_pct('a.supply_amount_krw', 'a.prev_period_supply_amount_krw') }} as supply_amount_growth_pct,
    (a.balance_count - a.prev_period_balance_count)::integer                as balance_count_change,
    (a.balance_amount_krw - a.prev_period_balance_amount_krw)::bigint       as balance_amount_change_krw,
    {{ growth_pct('a.balance_count', 'a.prev_period_balance_count') }}      as balance_count_growth_pct,
    {{ growth_pct('a.balance_amount_krw', 'a.prev_period_balance_amount_krw') }} as balance_amount_growth_pct
from yearly as a
join years as y on y.year = a.year
left join plans as p on p.year = a.year
