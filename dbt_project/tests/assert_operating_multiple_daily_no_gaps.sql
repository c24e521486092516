-- 보증운용배수: exactly one row per calendar day from the first to the last delivery loaded.
with d as (select * from {{ ref('fct_operating_multiple_daily') }}),

bounds as (
    select min(delivery_date) as first_date, max(delivery_date) as last_date
    from {{ source('ops', 'deliveries') }} where status = 'LOADED'
),

expected as (
    select generate_series(first_date, last_date, interval '1 day')::date as as_of_date
    from bounds where first_date is not null
)

select coalesce(e.as_of_date, d.as_of_date) as as_of_date,
       case when d.as_of_date is null then 'missing' else 'unexpected' end as failed_check
from expected as e
full outer join d on d.as_of_date = e.as_of_date
where e.as_of_date is null or d.as_of_date is null
