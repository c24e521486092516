-- 날짜 차원: one row per calendar day from the first to the last delivery date loaded.
with

bounds as (

    select min(delivery_date) as first_date, max(delivery_date) as last_date
    from {{ ref('stg_deliveries') }}
    where status = 'LOADED'

),

delivered as (

    select distinct delivery_date from {{ ref('stg_deliveries') }} where status = 'LOADED'

),

days as (

    select generate_series(first_date, last_date, interval '1 day')::date as date_day
    from bounds
    where first_date is not null

)

select
    d.date_day,
    extract(year from d.date_day)::integer                          as year,
    extract(quarter from d.date_day)::integer                       as quarter,
    extract(month from d.date_day)::integer                         as month,
    date_trunc('month', d.date_day)::date                           as month_start_date,
    (date_trunc('month', d.date_day) + interval '1 month - 1 day')::date as month_end_date,
    extract(isodow from d.date_day)::integer                        as iso_day_of_week,
    extract(isodow from d.date_day) in (6, 7)                       as is_weekend,
    d.date_day = (date_trunc('month', d.date_day) + interval '1 month - 1 day')::date
                                                                    as is_month_end,
    (extract(month from d.date_day) = 12 and extract(day from d.date_day) = 31)
                                                                    as is_year_end,
    (v.delivery_date is not null)                                   as is_delivery_date
from days as d
left join delivered as v on v.delivery_date = d.date_day
