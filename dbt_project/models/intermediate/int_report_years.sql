{#
  The years of the yearly reports and the one rule of what a year covers and what it is compared
  with. Every rpt_*_yearly joins this model; nothing else decides it.

  - A report year runs from_date .. through_date: 1 Jan – 31 Dec, but never before the cut-over
    (the first delivery loaded) nor after the latest delivery loaded. is_partial_year when the
    year is not covered 1 Jan – 31 Dec (the cut-over year, the current year).
  - is_cutover_year: the year of the cut-over, whose flows are only the opening snapshot (and
    what follows it in that year): not a comparison base for flows.
  - The comparison period is the same period one year earlier: prev_period_from_date ..
    prev_period_through_date (a partial year 2021-01-01..2021-03-31 compares with
    2020-01-01..2020-03-31; a full year with the whole previous year).
  - Flows (supply, accidents, claims, recoveries, contributions …) are comparable when the
    previous year is in the warehouse and is not the cut-over year (has_prev_period_flows).
  - Stocks (balances at a date) are comparable when the warehouse holds the stock at
    prev_period_through_date, i.e. on or after the cut-over (has_prev_period_stocks): the
    cut-over snapshot is a real stock.
#}
with

loaded as (

    select
        min(delivery_date)  as cutover_date,
        max(delivery_date)  as last_delivery_date
    from {{ ref('stg_deliveries') }}
    where status = 'LOADED'

),

years as (

    select
        gs.year::integer                                                as year,
        l.cutover_date,
        l.last_delivery_date,
        greatest(make_date(gs.year::integer, 1, 1), l.cutover_date)     as from_date,
        least(make_date(gs.year::integer, 12, 31), l.last_delivery_date) as through_date
    from loaded as l
    cross join lateral generate_series(
        extract(year from l.cutover_date)::integer,
        extract(year from l.last_delivery_date)::integer
    ) as gs (year)
    where l.cutover_date is not null

)

select
    year,
    from_date,
    through_date,
    (from_date <> make_date(year, 1, 1) or through_date <> make_date(year, 12, 31))
                                                                        as is_partial_year,
    (year = extract(year from cutover_date)::integer)                   as is_cutover_year,
    cutover_date,
    (from_date - interval '1 year')::date                               as prev_period_from_date,
    (through_date - interval '1 year')::date                            as prev_period_through_date,
    (year - 1 > extract(year from cutover_date)::integer)               as has_prev_period_flows,
    ((through_date - interval '1 year')::date >= cutover_date)          as has_prev_period_stocks
from years
