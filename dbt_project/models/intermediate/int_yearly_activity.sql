{#
  Yearly rollup per report year (int_report_years): the flows of the year (from_date ..
  through_date), the stocks at through_date (year end, or the latest delivery in the current
  year), and the same for the comparison period of int_report_years: the flows of
  prev_period_from_date .. prev_period_through_date (null unless has_prev_period_flows) and the
  stocks at prev_period_through_date (null unless has_prev_period_stocks). opening_* are the
  stocks at the previous year end (null in the cut-over year: before the warehouse).
  Stocks are running totals of the daily changes up to the day.
#}
{%- set flows = [
    'supply_count', 'supply_amount_krw', 'new_count', 'new_amount_krw',
    'extension_count', 'extension_amount_krw', 'accident_count', 'accident_amount_krw',
    'normalized_count', 'normalized_amount_krw', 'subrogation_count', 'subrogation_amount_krw',
] -%}
{%- set stocks = {
    'balance_count': 'balance_count_delta',
    'balance_amount_krw': 'guarantee_balance_delta_krw',
    'basic_assets_krw': 'basic_assets_delta_krw',
} -%}
with

years as (select * from {{ ref('int_report_years') }}),

daily as (select * from {{ ref('int_daily_balance_changes') }}),

current_period as (

    select
        y.year,
        {%- for f in flows %}
        {%- set cast = 'bigint' if f.endswith('_krw') else 'integer' %}
        coalesce(sum(d.{{ f }}) filter (where d.activity_date >= y.from_date), 0)::{{ cast }}
            as {{ f }},
        {%- endfor %}
        {%- for s, delta in stocks.items() %}
        {%- set cast = 'bigint' if s.endswith('_krw') else 'integer' %}
        coalesce(sum(d.{{ delta }}), 0)::{{ cast }}                             as {{ s }},
        sum(d.{{ delta }}) filter (where d.activity_date < y.from_date)::{{ cast }}
            as opening_{{ s }},
        {%- endfor %}
        max(d.activity_date) filter (where d.activity_date >= y.from_date) as last_activity_date
    from years as y
    left join daily as d on d.activity_date <= y.through_date
    group by y.year

),

prev_period as (

    select
        y.year,
        {%- for f in flows %}
        case when y.has_prev_period_flows then
            coalesce(sum(d.{{ f }}) filter (where d.activity_date >= y.prev_period_from_date), 0)
        end::{{ 'bigint' if f.endswith('_krw') else 'integer' }}   as prev_period_{{ f }},
        {%- endfor %}
        {%- for s, delta in stocks.items() %}
        case when y.has_prev_period_stocks then
            coalesce(sum(d.{{ delta }}), 0)
        end::{{ 'bigint' if s.endswith('_krw') else 'integer' }}   as prev_period_{{ s }}{{ ',' if not loop.last }}
        {%- endfor %}
    from years as y
    left join daily as d on d.activity_date <= y.prev_period_through_date
    group by y.year, y.has_prev_period_flows, y.has_prev_period_stocks

)

select
    c.*,
    {%- for f in flows %}
    p.prev_period_{{ f }},
    {%- endfor %}
    {%- for s in stocks %}
    p.prev_period_{{ s }}{{ ',' if not loop.last }}
    {%- endfor %}
from current_period as c
join prev_period as p on p.year = c.year
