-- 월별·부점별·상품별 공급과 잔액: supply by the handling unit (an EXTEND by the center 201 is
-- the center's supply) and month-end balance by the owning branch (the guarantee's branch).
-- branch_name and program_name beside the codes: ref_org_units and ref_programs.
-- It aggregates the daily rollup int_daily_branch_program_changes (incremental), not the events:
-- a night rebuilds it from a few thousand rows per month of history.
with

daily as (select * from {{ ref('int_daily_branch_program_changes') }}),

units as (select * from {{ ref('ref_org_units') }}),

programs as (select * from {{ ref('ref_programs') }}),

months as (

    select distinct month_start_date as month_start, month_end_date
    from {{ ref('dim_calendar') }}

),

supply as (

    select
        date_trunc('month', activity_date)::date                            as month_start,
        handling_branch_code                                                as branch_code,
        program_code,
        sum(supply_count)                                                   as supply_count,
        sum(supply_amount_krw)                                              as supply_amount_krw,
        sum(new_count)                                                      as new_count,
        sum(new_amount_krw)                                                 as new_amount_krw,
        sum(extension_count)                                                as extension_count,
        sum(extension_amount_krw)                                           as extension_amount_krw
    from daily
    where supply_count > 0
    group by 1, 2, 3

),

balance_changes as (

    select
        date_trunc('month', activity_date)::date                            as month_start,
        owning_branch_code                                                  as branch_code,
        program_code,
        sum(balance_count_delta)                                            as balance_count_delta,
        sum(balance_delta_krw)                                              as balance_delta_krw
    from daily
    where owning_branch_code is not null
    group by 1, 2, 3

),

keys as (

    select distinct branch_code, program_code from supply
    union
    select distinct branch_code, program_code from balance_changes

),

grid as (

    select m.month_start, m.month_end_date, k.branch_code, k.program_code
    from months as m
    cross join keys as k

),

running as (

    select
        g.month_start,
        g.month_end_date,
        g.branch_code,
        g.program_code,
        sum(coalesce(b.balance_count_delta, 0)) over w  as balance_count,
        sum(coalesce(b.balance_delta_krw, 0)) over w    as balance_amount_krw
    from grid as g
    left join balance_changes as b
      on b.month_start = g.month_start and b.branch_code = g.branch_code
     and b.program_code = g.program_code
    window w as (partition by g.branch_code, g.program_code order by g.month_start)

)

select
    r.month_start                                       as month_start_date,
    r.month_end_date,
    extract(year from r.month_start)::integer           as year,
    extract(month from r.month_start)::integer          as month,
    r.branch_code,
    u.name_ko                                           as branch_name,
    r.program_code,
    p.name_ko                                           as program_name,
    coalesce(s.supply_count, 0)::integer                as supply_count,
    coalesce(s.supply_amount_krw, 0)::bigint            as supply_amount_krw,
    coalesce(s.new_count, 0)::integer                   as new_count,
    coalesce(s.new_amount_krw, 0)::bigint               as new_amount_krw,
    coalesce(s.extension_count, 0)::integer             as extension_count,
    coalesce(s.extension_amount_krw, 0)::bigint         as extension_amount_krw,
    r.balance_count::integer                            as balance_count,
    r.balance_amount_krw::bigint                        as balance_amount_krw
from running as r
left join supply as s
  on s.month_start = r.month_start and s.branch_code = r.branch_code
 and s.program_code = r.program_code
left join units as u on u.code = r.branch_code
left join programs as p on p.code = r.program_code
where coalesce(s.supply_count, 0) <> 0 or r.balance_count <> 0 or r.balance_amount_krw <> 0
