-- 사고율·대위변제율: accident rate = accident amount ÷ average guarantee balance (mean of the
-- opening and closing balance of the year) × 100; subrogation rate likewise with the amount
-- subrogated (대위변제). The *_on_opening_pct variants divide by the opening balance instead.
with

yearly as (select * from {{ ref('int_yearly_activity') }}),

joined as (

    select
        y.year,
        coalesce(p.balance_amount_krw, 0)                        as opening_balance_krw,
        y.balance_amount_krw                                     as closing_balance_krw,
        (coalesce(p.balance_amount_krw, 0) + y.balance_amount_krw) / 2.0 as average_balance_krw,
        y.accident_count,
        y.accident_amount_krw,
        y.subrogation_count,
        y.subrogation_amount_krw
    from yearly as y
    left join yearly as p on p.year = y.year - 1

)

select
    year::integer                                                       as year,
    opening_balance_krw::bigint                                         as opening_balance_krw,
    closing_balance_krw::bigint                                         as closing_balance_krw,
    round(average_balance_krw)::bigint                                  as average_balance_krw,
    accident_count::integer                                             as accident_count,
    accident_amount_krw::bigint                                         as accident_amount_krw,
    subrogation_count::integer                                          as subrogation_count,
    subrogation_amount_krw::bigint                                      as subrogation_amount_krw,
    {{ pct('accident_amount_krw', 'average_balance_krw') }}             as accident_rate_pct,
    {{ pct('subrogation_amount_krw', 'average_balance_krw') }}          as subrogation_rate_pct,
    {{ pct('accident_amount_krw', 'opening_balance_krw') }}             as accident_rate_on_opening_pct,
    {{ pct('subrogation_amount_krw', 'opening_balance_krw') }}          as subrogation_rate_on_opening_pct
from joined
