-- 출연금 계획 대비 실적: contributions received (CONTRIBUTION entries; cut-over OPENING rows
-- excluded) per report year (int_report_years) and plan category, against the year's
-- contribution plan. A partial year's actual is year-to-date against the full-year plan.
with

ledger as (select * from {{ ref('int_fund_ledger') }}),

plans as (select * from {{ ref('ref_contribution_plans') }}),

categories as (select distinct plan_category from {{ ref('ref_contributor_types') }}),

years as (select * from {{ ref('int_report_years') }}),

actuals as (

    select received_year as year, plan_category, sum(amount_krw) as actual_amount_krw
    from ledger
    where entry_type = 'CONTRIBUTION'
    group by received_year, plan_category

)

select
    y.year::integer                                             as year,
    {{ report_year_columns('y') }},
    c.plan_category::text                                       as plan_category,
    p.plan_amount_krw::bigint                                   as plan_amount_krw,
    coalesce(a.actual_amount_krw, 0)::bigint                    as actual_amount_krw,
    {{ pct('coalesce(a.actual_amount_krw, 0)', 'p.plan_amount_krw') }} as attainment_pct
from years as y
cross join categories as c
left join plans as p on p.year = y.year and p.plan_category = c.plan_category
left join actuals as a on a.year = y.year and a.plan_category = c.plan_category
