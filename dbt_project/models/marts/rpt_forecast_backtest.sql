{#
  전망 사후검증 (forecast backtest): the baseline forecast made on each month-end against what
  happened 3 and 6 months later (the month-end then), as far as the data reach: the multiple's
  error, whether the actual fell inside the p10–p90 band, and the projected first day at or above
  the warning level against the actual first such day. The forecasts are the rows of
  fct_operating_multiple_forecast as they are: each uses only what was known on its as-of date.
#}
{%- set months_ahead = [3, 6] -%}  {#- the issue's check points: a quarter and a half-year ahead -#}

with

forecast as (select * from {{ ref('fct_operating_multiple_forecast') }} where scenario_code = 'BASELINE'),

outlook as (select * from {{ ref('rpt_operating_multiple_outlook') }} where scenario_code = 'BASELINE'),

actuals as (select * from {{ ref('fct_operating_multiple_daily') }}),

last_loaded as (select max(as_of_date) as last_date from actuals),

cases as (

    select
        o.as_of_date,
        g.months_ahead,
        (date_trunc('month', o.as_of_date) + make_interval(months => g.months_ahead + 1) - interval '1 day')::date
                                                                                as target_date
    from outlook as o
    cross join unnest(array[{{ months_ahead | join(', ') }}]) as g (months_ahead)
    -- forecasts made on month-ends (the latest loaded day has nothing to compare with yet)
    where o.as_of_date = (date_trunc('month', o.as_of_date) + interval '1 month - 1 day')::date

),

actual_first_warn as (

    -- the first day after the as-of date, within the forecast's year, at or above the warning level
    -- the forecast used; observed through the last loaded day
    select
        o.as_of_date,
        least(o.as_of_date + 365, l.last_date)                                  as observed_through,
        min(a.as_of_date) filter (where a.operating_multiple >= o.warn_level)   as actual_first_warn_date
    from outlook as o
    cross join last_loaded as l
    join actuals as a
      on a.as_of_date > o.as_of_date
     and a.as_of_date <= o.as_of_date + 365  -- the forecast's horizon, days
    group by o.as_of_date, l.last_date

)

select
    c.as_of_date::date                                                          as as_of_date,
    c.months_ahead::integer                                                     as months_ahead,
    c.target_date::date                                                         as target_date,
    f.horizon_day::integer                                                      as horizon_day,
    f.operating_multiple::numeric(12, 6)                                        as projected_operating_multiple,
    f.operating_multiple_p10::numeric(12, 6)                                    as projected_operating_multiple_p10,
    f.operating_multiple_p90::numeric(12, 6)                                    as projected_operating_multiple_p90,
    a.operating_multiple::numeric(12, 6)                                        as actual_operating_multiple,
    (f.operating_multiple - a.operating_multiple)::numeric(12, 6)               as error,
    abs(f.operating_multiple - a.operating_multiple)::numeric(12, 6)            as abs_error,
    round(100 * (f.operating_multiple - a.operating_multiple) / a.operating_multiple, 1)::numeric(8, 1)
                                                                                as error_pct,
    (a.operating_multiple between f.operating_multiple_p10 and f.operating_multiple_p90)::boolean
                                                                                as is_within_band,
    f.guarantee_balance_krw::bigint                                             as projected_guarantee_balance_krw,
    a.guarantee_balance_krw::bigint                                             as actual_guarantee_balance_krw,
    f.basic_assets_krw::bigint                                                  as projected_basic_assets_krw,
    a.basic_assets_krw::bigint                                                  as actual_basic_assets_krw,
    o.warn_level::numeric(6, 2)                                                 as warn_level,
    o.first_warn_date::date                                                     as projected_first_warn_date,
    o.first_warn_date_p90::date                                                 as projected_first_warn_date_p90,
    w.actual_first_warn_date::date                                              as actual_first_warn_date,
    w.observed_through::date                                                    as observed_through,
    (o.first_warn_date - w.actual_first_warn_date)::integer                     as first_warn_error_days,
    (o.first_warn_date_p90 - w.actual_first_warn_date)::integer                 as first_warn_error_days_p90,
    -- did the forecast say rightly whether the warning level is reached by the target date?
    ((o.first_warn_date <= c.target_date) = (w.actual_first_warn_date <= c.target_date)
     or (o.first_warn_date is null or o.first_warn_date > c.target_date)
     and (w.actual_first_warn_date is null or w.actual_first_warn_date > c.target_date))::boolean
                                                                                as is_warn_by_target_right
from cases as c
cross join last_loaded as l
join forecast as f on f.as_of_date = c.as_of_date and f.forecast_date = c.target_date
join actuals as a on a.as_of_date = c.target_date
join outlook as o on o.as_of_date = c.as_of_date
join actual_first_warn as w on w.as_of_date = c.as_of_date
where c.target_date <= l.last_date
