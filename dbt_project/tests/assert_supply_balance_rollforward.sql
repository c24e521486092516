-- 보증잔액: the year-end balance of rpt_supply_yearly equals the previous year end plus the
-- year's balance changes of the event fact, and the daily multiple's balance on 31 Dec.
-- The nightly run checks the years it restated, their changes read from 1 January of the first
-- (macros/test_window.sql); a full build checks every year.
with y as (select * from {{ ref('rpt_supply_yearly') }}),

changes as (
    select event_year as year, sum(balance_delta_krw) as delta_krw,
           sum((balance_after_krw > 0)::int - (balance_before_krw > 0)::int) as count_delta
    from {{ ref('fct_guarantee_events') }}
    where {{ in_test_window('event_date', from_year_start=true) }}
    group by event_year
)

select y.year, 'rollforward' as failed_check
from y
left join y as p on p.year = y.year - 1
left join changes as c on c.year = y.year
where (y.balance_amount_krw <> coalesce(p.balance_amount_krw, 0) + coalesce(c.delta_krw, 0)
       or y.balance_count <> coalesce(p.balance_count, 0) + coalesce(c.count_delta, 0))
  and {{ in_test_window('make_date(y.year, 12, 31)') }}
union all
select y.year, 'daily_vs_yearly'
from y
join {{ ref('fct_operating_multiple_daily') }} as d on d.as_of_date = make_date(y.year, 12, 31)
where d.guarantee_balance_krw <> y.balance_amount_krw
