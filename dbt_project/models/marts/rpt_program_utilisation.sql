-- 특례보증 소진율: per year and special program, supply (NEW + EXTEND) against the program size
-- (ref_program_sizes). utilisation_pct = supply amount ÷ size; new_utilisation_pct uses new
-- guarantees only; balance_utilisation_pct = year-end balance ÷ size.
-- It aggregates the daily rollup int_daily_branch_program_changes (incremental), not the events.
with

daily as (select * from {{ ref('int_daily_branch_program_changes') }}),

programs as (select * from {{ ref('ref_programs') }} where is_special),

sizes as (select * from {{ ref('ref_program_sizes') }}),

supply as (

    select
        extract(year from activity_date)::integer                        as year,
        program_code,
        sum(supply_count)                                                as supply_count,
        sum(supply_amount_krw)                                           as supply_amount_krw,
        sum(new_count)                                                   as new_count,
        sum(new_amount_krw)                                              as new_amount_krw
    from daily
    group by extract(year from activity_date), program_code

),

balance_years as (

    select extract(year from activity_date)::integer as year, program_code, sum(balance_delta_krw) as balance_delta_krw
    from daily
    group by extract(year from activity_date), program_code

),

years as (select distinct year from balance_years union select distinct year from sizes),

grid as (

    select y.year, p.code as program_code, p.name_ko
    from years as y cross join programs as p

),

joined as (

    select
        g.year,
        g.program_code,
        g.name_ko                                                       as program_name,
        s2.size_krw,
        coalesce(s.supply_count, 0)                                     as supply_count,
        coalesce(s.supply_amount_krw, 0)                                as supply_amount_krw,
        coalesce(s.new_count, 0)                                        as new_count,
        coalesce(s.new_amount_krw, 0)                                   as new_amount_krw,
        sum(coalesce(b.balance_delta_krw, 0)) over (partition by g.program_code order by g.year)
                                                                        as balance_amount_krw
    from grid as g
    left join supply as s on s.year = g.year and s.program_code = g.program_code
    left join balance_years as b on b.year = g.year and b.program_code = g.program_code
    left join sizes as s2 on s2.year = g.year and s2.program_code = g.program_code

)

select
    year::integer                                               as year,
    program_code,
    program_name,
    size_krw::bigint                                            as size_krw,
    supply_count::integer                                       as supply_count,
    supply_amount_krw::bigint                                   as supply_amount_krw,
    new_count::integer                                          as new_count,
    new_amount_krw::bigint                                      as new_amount_krw,
    balance_amount_krw::bigint                                  as balance_amount_krw,
    {{ pct('supply_amount_krw', 'size_krw') }}                  as utilisation_pct,
    {{ pct('new_amount_krw', 'size_krw') }}                     as new_utilisation_pct,
    {{ pct('balance_amount_krw', 'size_krw') }}                 as balance_utilisation_pct,
    (size_krw - supply_amount_krw)::bigint                      as remaining_krw
from joined
where size_krw is not null or supply_count > 0 or balance_amount_krw <> 0
