{#
  전망 출연금 일정 (contribution schedule of the forecast): for every as-of date of
  marts.fct_operating_multiple_forecast (each month-end after the cut-over, and the latest loaded
  day), the contributions still to come within 365 days, per plan category and month-end:
    the year's plan (ref_contribution_plans) less what came in since 1 January (not below 0);
    a year without a plan row: the category's contributions of the last year, annualised;
    on the month-ends the category's contributions came in over the last year, in the same
    proportions (a category with none: evenly); the as-of year's rest over its months still to
    come, or on 31 December when nothing usually comes in them.
  Only what was known on the as-of date (the plans are known at the start of the year).
  The scenarios (delay, multiplier) are applied in the forecast mart.
#}
{%- set horizon_days = 365 -%}          {#- the forecast's horizon -#}
{%- set profile_window_days = 365 -%}   {#- the months the contributions came in over the last year -#}

with

contributions as (

    -- a contribution without a known contributor type counts as 기타 (other), like the plans' rest
    select received_date, coalesce(plan_category, '기타') as plan_category, amount_krw
    from {{ ref('int_fund_ledger') }}
    where entry_type = 'CONTRIBUTION'
      and not is_cutover

),

plans as (select * from {{ ref('ref_contribution_plans') }}),

bounds as (

    -- the loaded days, as dim_calendar / fct_operating_multiple_daily have them
    select min(delivery_date) as first_date, max(delivery_date) as last_date
    from {{ ref('stg_deliveries') }}
    where status = 'LOADED'

),

as_of_dates as (

    select
        d.as_of_date,
        -- days of history a one-year average can draw on (short just after the cut-over)
        least(d.as_of_date - b.first_date, {{ profile_window_days }})   as history_days
    from bounds as b
    cross join lateral (
        select (date_trunc('month', g.day) + interval '1 month - 1 day')::date as as_of_date
        from generate_series(date_trunc('month', b.first_date), b.last_date, interval '1 month') as g (day)
        union
        select b.last_date
    ) as d
    where d.as_of_date > b.first_date
      and d.as_of_date <= b.last_date

),

categories as (select plan_category from plans union select plan_category from contributions),

forecast_years as (

    select o.as_of_date, o.history_days, extract(year from o.as_of_date)::integer + g.year_offset as year
    from as_of_dates as o
    cross join generate_series(0, 1) as g (year_offset)  -- the as-of year and the next: 365 days reach no further

),

received as (

    select
        o.as_of_date,
        c.plan_category,
        coalesce(sum(c.amount_krw) filter (
            where c.received_date >= date_trunc('year', o.as_of_date)), 0)   as received_ytd_krw,
        sum(c.amount_krw)                                               as received_last_year_krw
    from as_of_dates as o
    join contributions as c
      on c.received_date > o.as_of_date - {{ profile_window_days }}
     and c.received_date <= o.as_of_date
    group by o.as_of_date, c.plan_category

),

yearly_amounts as (

    select
        y.as_of_date,
        y.year,
        k.plan_category,
        -- a year without a plan row: the category's last year of contributions, annualised
        -- (its days since the cut-over when fewer)
        case
            when p.plan_amount_krw is not null then p.plan_amount_krw::float8
            else coalesce(r.received_last_year_krw, 0)::float8 * {{ profile_window_days }} / y.history_days
        end                                                             as year_amount_krw,
        case
            when y.year = extract(year from y.as_of_date) then coalesce(r.received_ytd_krw, 0)
            else 0
        end                                                             as received_krw
    from forecast_years as y
    cross join categories as k
    left join plans as p on p.year = y.year and p.plan_category = k.plan_category
    left join received as r on r.as_of_date = y.as_of_date and r.plan_category = k.plan_category

),

month_profile as (

    select
        o.as_of_date,
        c.plan_category,
        extract(month from c.received_date)::integer                    as month,
        sum(c.amount_krw)::float8                                       as amount_krw
    from as_of_dates as o
    join contributions as c
      on c.received_date > o.as_of_date - {{ profile_window_days }}
     and c.received_date <= o.as_of_date
    group by o.as_of_date, c.plan_category, extract(month from c.received_date)

),

month_weights as (

    -- a category with nothing received over the last year: evenly over the months
    select
        o.as_of_date,
        k.plan_category,
        g.month,
        case when r.plan_category is null then 1 else coalesce(p.amount_krw, 0) end as weight
    from as_of_dates as o
    cross join categories as k
    cross join generate_series(1, 12) as g (month)
    left join received as r on r.as_of_date = o.as_of_date and r.plan_category = k.plan_category
    left join month_profile as p
      on p.as_of_date = o.as_of_date
     and p.plan_category = k.plan_category
     and p.month = g.month

),

month_ends as (

    select
        o.as_of_date,
        (date_trunc('month', o.as_of_date) + make_interval(months => g.n + 1) - interval '1 day')::date
                                                                        as month_end
    from as_of_dates as o
    cross join generate_series(0, 12) as g (n)  -- the as-of month and the 12 after it

),

slots as (

    select
        a.as_of_date,
        a.plan_category,
        a.year,
        m.month_end,
        extract(month from m.month_end)::integer                        as month,
        a.year = extract(year from a.as_of_date)                        as is_as_of_year,
        greatest(a.year_amount_krw - a.received_krw, 0)                 as still_planned_krw,
        w.weight,
        -- the as-of year: spread over its months still to come; a later year: over all 12
        sum(w.weight) over (partition by a.as_of_date, a.plan_category, a.year) as slot_weight
    from yearly_amounts as a
    join month_ends as m
      on extract(year from m.month_end) = a.year
     and m.as_of_date = a.as_of_date
     and m.month_end > a.as_of_date
     and m.month_end <= a.as_of_date + {{ horizon_days }}
    join month_weights as w
      on w.as_of_date = a.as_of_date
     and w.plan_category = a.plan_category
     and w.month = extract(month from m.month_end)

),

year_weights as (

    select as_of_date, plan_category, sum(weight) as year_weight
    from month_weights
    group by as_of_date, plan_category

),

contribution_schedule as (

    select
        s.as_of_date,
        s.plan_category,
        s.year,
        s.month_end,
        s.still_planned_krw,
        case
            when not s.is_as_of_year then s.still_planned_krw * s.weight / y.year_weight
            when s.slot_weight > 0 then s.still_planned_krw * s.weight / s.slot_weight
            -- nothing usually comes in the months left: the rest of the plan on the year-end
            when s.month = 12 then s.still_planned_krw
            else 0
        end                                                             as contribution_krw
    from slots as s
    join year_weights as y on y.as_of_date = s.as_of_date and y.plan_category = s.plan_category

)

select * from contribution_schedule
where contribution_krw > 0
