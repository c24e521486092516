{#
  보증운용배수 전망 (operating multiple forecast): for every as-of date (each month-end after the
  cut-over, and the latest loaded day) × scenario (reference.ref_forecast_scenarios) × horizon day
  1..365, the projected guarantee balance, basic assets and multiple: central value and p10–p90.
  Method (docs/forecast.md):
    balance  B(h) = B(h−1) × (1 − r) + S: the supply S and the run-off rate r of the forecast day's
             weekday: S half the last 13 weeks' average, half the last 52 weeks'; r over 13 weeks;
    assets   A(h) = A(0) + the contributions still planned, on the month-ends they usually arrive
             in, − (subrogations − recoveries) at their daily average over the year before;
    band     the baseline's own track record: ln(actual ÷ projected) ÷ √h over the forecasts made
             on earlier month-ends, as far as they had come true by the as-of date; its p10 / p90,
             × √h.
  A forecast uses only what was known on its as-of date (the plans included), so the backtest
  (rpt_forecast_backtest) reads these rows as they are.
  Incremental by as-of date (strategy 'restate', from the month-end before restate_from(): the
  previous latest day's forecast is replaced): a night computes the new as-of dates, with the
  baseline paths of the earlier month-ends its band learns from, instead of every as-of date
  since the cut-over. The rows of earlier as-of dates stay as their build computed them, with
  its scenarios, plans and levels (what was known and set then); their actual multiple follows
  the restated days (post-hook). A full refresh recomputes them all.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='as_of_date',
    restate_from_month_end=true,
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['as_of_date', 'scenario_code', 'horizon_day'], 'unique': true}],
    post_hook=[
        "{{ forecast_actuals_restated() }}",
        "{{ sync_code_labels({'status_ko': ('multiple_status', 'status')}) }}",
        "{{ sync_column_from_seed('scenario_name_ko', ref('ref_forecast_scenarios'), 'name_ko',
                                  's.scenario_code = t.scenario_code') }}",
    ],
) }}

{#- the first as-of date an incremental run computes; read while dbt parses too, which records
    ops.deliveries as the model's parent (macros/restate.sql) -#}
{%- set restated_from = restate_point() if (not execute or is_incremental()) else none -%}

{#- the method's constants, in one place (docs/forecast.md) -#}
{%- set horizon_days = 365 -%}          {#- a year ahead -#}
{%- set flow_window_days = 91 -%}       {#- 13 whole weeks: every weekday counted 13 times -#}
{%- set long_window_days = 364 -%}      {#- 52 whole weeks -#}
{%- set recent_supply_weight = 0.5 -%}  {#- supply: half the last 13 weeks' pace, half the last 52 weeks' -#}
{%- set loss_window_days = 365 -%}      {#- subrogations and recoveries are lumpy: a whole year -#}
{%- set error_lookback_days = 1095 -%}  {#- the band learns from the forecasts of the last 3 years -#}
{%- set min_band_forecasts = 3 -%}      {#- fewer earlier forecasts come true than this: no band -#}
{%- set max_runoff_rate = 0.5 -%}       {#- a day's run-off is a few per mille: guards ln() against absurd scenarios -#}

with

actuals as (

    select as_of_date, guarantee_balance_krw, basic_assets_krw, operating_multiple
    from {{ ref('fct_operating_multiple_daily') }}

),

changes as (select * from {{ ref('int_daily_balance_changes') }}),

recoveries as (

    -- 구상채권·특수채권 회수: they make good part of the subrogations' loss of basic assets
    select movement_date, -sum(delta_krw) as recovery_krw
    from {{ ref('int_claim_movements') }}
    where flow = 'recovered'
    group by movement_date

),

-- the contributions still planned, on the month-ends they usually come in (before the scenario)
contribution_schedule as (select * from {{ ref('int_forecast_contribution_schedule') }}),

scenarios as (select * from {{ ref('ref_forecast_scenarios') }}),

-- the observed days: balance before the day and the day's flows (the cut-over day has no flows)
days as (

    select
        a.as_of_date                                                    as activity_date,
        extract(isodow from a.as_of_date)::integer                      as isodow,
        lag(a.guarantee_balance_krw) over (order by a.as_of_date)       as opening_balance_krw,
        coalesce(c.supply_amount_krw, 0)                                as supply_krw,
        -- run-off: what left the balance (repayments, terminations, subrogations, the replaced
        -- balance of an extension) = supply − net change
        coalesce(c.supply_amount_krw - c.guarantee_balance_delta_krw, 0) as runoff_krw,
        coalesce(c.subrogation_amount_krw, 0)                           as subrogation_krw,
        coalesce(r.recovery_krw, 0)                                     as recovery_krw
    from actuals as a
    left join changes as c on c.activity_date = a.as_of_date
    left join recoveries as r on r.movement_date = a.as_of_date

),

flow_days as (select * from days where opening_balance_krw is not null),

marked as (

    select
        *,
        as_of_date = max(as_of_date) over ()                            as is_latest,
        min(as_of_date) over ()                                         as first_date,
        as_of_date = (date_trunc('month', as_of_date) + interval '1 month - 1 day')::date
                                                                        as is_month_end
    from actuals

),

-- the as-of dates: month-ends after the cut-over day, and the latest loaded day. An incremental
-- run outputs those from restate_point() on (is_output), and projects the baseline of the
-- month-ends before them that their band learns from
as_of_dates as (

    select
        as_of_date,
        is_latest,
        is_month_end,
        {% if is_incremental() -%}
        as_of_date >= {{ restated_from }}                               as is_output,
        {%- else -%}
        true                                                            as is_output,
        {%- endif %}
        guarantee_balance_krw                                           as balance_krw,
        basic_assets_krw                                                as assets_krw
    from marked
    where (is_month_end or is_latest)
      and as_of_date > first_date
      and operating_multiple is not null
      {%- if is_incremental() %}
      and as_of_date >= {{ restated_from }} - {{ error_lookback_days }}
      {%- endif %}

),

weekday_rates as (

    -- the average Monday, Tuesday … (weekday seasonality without a factor): supply half the last
    -- 13 weeks' pace, half the last 52 weeks' (a surge such as 2020's COVID programmes is not
    -- carried a whole year ahead at full pace); run-off as a rate of the balance, last 13 weeks
    select
        o.as_of_date,
        d.isodow,
        ({{ recent_supply_weight }} * avg(d.supply_krw) filter (
            where d.activity_date > o.as_of_date - {{ flow_window_days }})
         + (1 - {{ recent_supply_weight }}) * avg(d.supply_krw))::float8 as supply_krw_per_day,
        sum(d.runoff_krw) filter (where d.activity_date > o.as_of_date - {{ flow_window_days }})::float8
        / nullif(sum(d.opening_balance_krw) filter (
            where d.activity_date > o.as_of_date - {{ flow_window_days }}), 0) as runoff_rate
    from as_of_dates as o
    join flow_days as d
      on d.activity_date > o.as_of_date - {{ long_window_days }}
     and d.activity_date <= o.as_of_date
    group by o.as_of_date, d.isodow

),

loss_rates as (

    select
        o.as_of_date,
        avg(d.subrogation_krw)::float8                                  as subrogation_krw_per_day,
        avg(d.recovery_krw)::float8                                     as recovery_krw_per_day
    from as_of_dates as o
    join flow_days as d
      on d.activity_date > o.as_of_date - {{ loss_window_days }}
     and d.activity_date <= o.as_of_date
    group by o.as_of_date

),

scenario_contributions as (

    select
        c.as_of_date,
        s.scenario_code,
        (date_trunc('month', c.month_end) + make_interval(months => s.contribution_delay_months + 1)
         - interval '1 day')::date                                      as contribution_date,
        sum(c.contribution_krw * s.contribution_multiplier)::float8     as contribution_krw
    from contribution_schedule as c
    cross join scenarios as s
    group by c.as_of_date, s.scenario_code, contribution_date

),

horizon as (select generate_series(1, {{ horizon_days }}) as horizon_day),

projected_days as (

    select
        o.as_of_date,
        o.is_latest,
        o.is_month_end,
        o.is_output,
        s.scenario_code,
        h.horizon_day,
        o.as_of_date + h.horizon_day                                    as forecast_date,
        o.balance_krw::float8                                           as start_balance_krw,
        o.assets_krw::float8                                            as start_assets_krw,
        w.supply_krw_per_day * s.supply_multiplier                      as supply_krw,
        least(coalesce(w.runoff_rate, 0) * s.runoff_multiplier, {{ max_runoff_rate }}) as runoff_rate,
        coalesce(c.contribution_krw, 0)                                 as contribution_krw,
        l.subrogation_krw_per_day * s.accident_multiplier - l.recovery_krw_per_day as net_loss_krw
    from as_of_dates as o
    cross join scenarios as s
    cross join horizon as h
    join weekday_rates as w
      on w.as_of_date = o.as_of_date
     and w.isodow = extract(isodow from o.as_of_date + h.horizon_day)
    join loss_rates as l on l.as_of_date = o.as_of_date
    left join scenario_contributions as c
      on c.as_of_date = o.as_of_date
     and c.scenario_code = s.scenario_code
     and c.contribution_date = o.as_of_date + h.horizon_day
    where o.is_output or (o.is_month_end and s.scenario_code = 'BASELINE')

),

survival as (

    -- the share of the start balance still outstanding after h days of run-off
    select
        *,
        exp(sum(ln(1 - runoff_rate)) over (
            partition by as_of_date, scenario_code order by horizon_day
        ))                                                              as surviving_share
    from projected_days

),

paths as (

    -- B(h) = B(h−1)(1 − r_h) + S_h, unrolled: each day's supply runs off from the next day on
    select
        *,
        surviving_share * (start_balance_krw + sum(supply_krw / surviving_share) over w) as balance_krw,
        start_assets_krw + sum(contribution_krw - net_loss_krw) over w  as assets_krw
    from survival
    window w as (partition by as_of_date, scenario_code order by horizon_day)

),

errors as (

    -- how far the baseline forecasts of earlier month-ends were from what then happened, per √day
    select
        t.as_of_date,
        p.as_of_date                                                    as made_on,
        ln(a.operating_multiple / (p.balance_krw / p.assets_krw)) / sqrt(p.horizon_day) as multiple_z,
        ln(a.guarantee_balance_krw / p.balance_krw) / sqrt(p.horizon_day) as balance_z,
        ln(a.basic_assets_krw / p.assets_krw) / sqrt(p.horizon_day)    as assets_z
    from as_of_dates as t
    join paths as p
      on p.scenario_code = 'BASELINE'
     and p.is_month_end
     and p.as_of_date < t.as_of_date
     and p.as_of_date >= t.as_of_date - {{ error_lookback_days }}
     and p.forecast_date <= t.as_of_date
    join actuals as a on a.as_of_date = p.forecast_date
    where t.is_output
      and p.balance_krw > 0
      and p.assets_krw > 0
      and a.operating_multiple > 0

),

bands as (

    -- the band always holds the central value: a biased track record widens one side only
    select
        as_of_date,
        count(distinct made_on)                                                 as band_forecast_count,
        least(percentile_cont(0.1) within group (order by multiple_z), 0)       as multiple_z_low,
        greatest(percentile_cont(0.9) within group (order by multiple_z), 0)    as multiple_z_high,
        least(percentile_cont(0.1) within group (order by balance_z), 0)        as balance_z_low,
        greatest(percentile_cont(0.9) within group (order by balance_z), 0)     as balance_z_high,
        least(percentile_cont(0.1) within group (order by assets_z), 0)         as assets_z_low,
        greatest(percentile_cont(0.9) within group (order by assets_z), 0)      as assets_z_high
    from errors
    group by as_of_date
    having count(distinct made_on) >= {{ min_band_forecasts }}

),

banded as (

    -- p10 / p90 = central × exp(z × √h); null without a band (no row in bands)
    select
        p.*,
        p.balance_krw / nullif(p.assets_krw, 0)                         as multiple,
        b.band_forecast_count,
        exp(b.multiple_z_low * sqrt(p.horizon_day))                     as multiple_low,
        exp(b.multiple_z_high * sqrt(p.horizon_day))                    as multiple_high,
        exp(b.balance_z_low * sqrt(p.horizon_day))                      as balance_low,
        exp(b.balance_z_high * sqrt(p.horizon_day))                     as balance_high,
        exp(b.assets_z_low * sqrt(p.horizon_day))                       as assets_low,
        exp(b.assets_z_high * sqrt(p.horizon_day))                      as assets_high,
        coalesce(lag(p.balance_krw) over (
            partition by p.as_of_date, p.scenario_code order by p.horizon_day
        ), p.start_balance_krw) * p.runoff_rate                         as runoff_krw
    from paths as p
    left join bands as b on b.as_of_date = p.as_of_date
    where p.is_output

),

levels as (

    select
        *,
        {{ var('operating_multiple_policy_limit') }}::numeric           as policy_limit,
        {{ var('operating_multiple_warn_level') }}::numeric             as warn_level,
        {{ var('operating_multiple_legal_limit') }}::numeric            as legal_limit
    from banded

),

classified as (

    select
        *,
        {{ multiple_status('multiple') }} as status
    from levels

)

select
    c.as_of_date::date                                                  as as_of_date,
    c.is_latest::boolean                                                as is_latest_as_of,
    c.scenario_code::text                                               as scenario_code,
    s.name_ko::text                                                     as scenario_name_ko,
    c.horizon_day::integer                                              as horizon_day,
    c.forecast_date::date                                               as forecast_date,
    round(c.balance_krw)::bigint                                        as guarantee_balance_krw,
    round(c.balance_krw * c.balance_low)::bigint                        as guarantee_balance_p10_krw,
    round(c.balance_krw * c.balance_high)::bigint                       as guarantee_balance_p90_krw,
    round(c.assets_krw)::bigint                                         as basic_assets_krw,
    round(c.assets_krw * c.assets_low)::bigint                          as basic_assets_p10_krw,
    round(c.assets_krw * c.assets_high)::bigint                         as basic_assets_p90_krw,
    round(c.multiple::numeric, 6)::numeric(12, 6)                       as operating_multiple,
    round((c.multiple * c.multiple_low)::numeric, 6)::numeric(12, 6)    as operating_multiple_p10,
    round((c.multiple * c.multiple_high)::numeric, 6)::numeric(12, 6)   as operating_multiple_p90,
    c.status::text                                                      as status,
    status_label.label_ko::text                                         as status_ko,
    c.warn_level::numeric(6, 2)                                         as warn_level,
    c.policy_limit::numeric(6, 2)                                       as policy_limit,
    c.legal_limit::numeric(6, 2)                                        as legal_limit,
    round(c.supply_krw)::bigint                                         as supply_krw,
    round(c.runoff_krw)::bigint                                         as runoff_krw,
    round(c.contribution_krw)::bigint                                   as contribution_krw,
    round(c.net_loss_krw)::bigint                                       as net_loss_krw,
    c.band_forecast_count::integer                                      as band_forecast_count,
    a.operating_multiple::numeric(12, 6)                                as actual_operating_multiple
from classified as c
join scenarios as s on s.scenario_code = c.scenario_code
left join actuals as a on a.as_of_date = c.forecast_date
{{ code_label_join('multiple_status', 'c.status', 'status_label') }}
