-- 기본재산: closing = opening + contributions − losses; closing(y) = opening(y+1); the
-- daily operating-multiple basic assets equal the year-end closing on 31 Dec.
with r as (select * from {{ ref('rpt_basic_assets_yearly') }})

select r.year, 'identity' as failed_check from r
where r.closing_krw <> r.opening_krw + r.contributions_krw - r.losses_krw
   or r.change_krw <> r.closing_krw - r.opening_krw
union all
select r.year, 'continuity' from r join r as n on n.year = r.year + 1
where n.opening_krw <> r.closing_krw
union all
select r.year, 'daily_vs_yearly' from r
join {{ ref('fct_operating_multiple_daily') }} as d
  on d.as_of_date = make_date(r.year, 12, 31)
where d.basic_assets_krw <> r.closing_krw
