-- 보증공급 = 신규 + 기한연장, yearly and monthly, and monthly supply adds up to the year.
with monthly_totals as (
    select year, sum(supply_count) as c, sum(supply_amount_krw) as a
    from {{ ref('fct_supply_balance_monthly') }} group by year
)

select year, 'yearly' as failed_check from {{ ref('rpt_supply_yearly') }}
where supply_count <> new_count + extension_count
   or supply_amount_krw <> new_amount_krw + extension_amount_krw
union all
select year, 'monthly' from {{ ref('fct_supply_balance_monthly') }}
where supply_count <> new_count + extension_count
   or supply_amount_krw <> new_amount_krw + extension_amount_krw
union all
select y.year, 'monthly_sum'
from {{ ref('rpt_supply_yearly') }} as y
left join monthly_totals as m on m.year = y.year
where y.supply_count <> coalesce(m.c, 0) or y.supply_amount_krw <> coalesce(m.a, 0)
