-- Yearly reports: every row's period is int_report_years' (one rule for all reports), and no
-- change is computed against a period the rule excludes: flows against the cut-over year, stocks
-- before the cut-over.
{%- set reports = ['rpt_supply_yearly', 'rpt_accidents_yearly', 'rpt_accident_rates_yearly',
                   'rpt_basic_assets_yearly', 'rpt_claims_rollforward_yearly', 'rpt_contributions_yearly',
                   'rpt_contributions_by_contributor_yearly'] %}
with

years as (select * from {{ ref('int_report_years') }}),

periods as (
    {%- for r in reports %}
    select distinct '{{ r }}' as report, year, from_date, through_date, is_partial_year, is_cutover_year
    from {{ ref(r) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select p.report, p.year, 'period' as failed_check
from periods as p
left join years as y on y.year = p.year
where y.year is null
   or (p.from_date, p.through_date, p.is_partial_year, p.is_cutover_year)
      is distinct from (y.from_date, y.through_date, y.is_partial_year, y.is_cutover_year)

union all

select 'rpt_supply_yearly', s.year, 'flow compared without a base'
from {{ ref('rpt_supply_yearly') }} as s
join years as y on y.year = s.year
where not y.has_prev_period_flows
  and (s.supply_count_change is not null or s.supply_amount_change_krw is not null
       or s.supply_count_growth_pct is not null or s.supply_amount_growth_pct is not null)

union all

select 'rpt_supply_yearly', s.year, 'stock compared without a base'
from {{ ref('rpt_supply_yearly') }} as s
join years as y on y.year = s.year
where not y.has_prev_period_stocks
  and (s.balance_count_change is not null or s.balance_amount_change_krw is not null)

union all

select 'rpt_accidents_yearly', a.year, 'flow compared without a base'
from {{ ref('rpt_accidents_yearly') }} as a
join years as y on y.year = a.year
where not y.has_prev_period_flows
  and num_nonnulls(
      {%- for m in ['accident', 'normalized', 'claim', 'recovery'] %}
      a.{{ m }}_count_change, a.{{ m }}_amount_change_krw, a.{{ m }}_count_growth_pct, a.{{ m }}_amount_growth_pct
      {{- ',' if not loop.last }}
      {%- endfor %}
  ) > 0
