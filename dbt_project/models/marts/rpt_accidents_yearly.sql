-- 보증사고 및 회수 현황: accidents, normalisations, claims (대위변제 → 구상채권 발생) and
-- recoveries on the recourse ledger per year, against the previous year.
with

yearly as (select * from {{ ref('int_yearly_activity') }}),

recoveries as (

    select
        movement_year                   as year,
        count(distinct claim_id)        as recovery_count,
        sum(amount_krw)                 as recovery_amount_krw
    from {{ ref('int_claim_movements') }}
    where ledger = 'RECOURSE' and flow = 'recovered'
    group by movement_year

),

combined as (

    select
        y.year,
        y.accident_count,
        y.accident_amount_krw,
        y.normalized_count,
        y.normalized_amount_krw,
        y.subrogation_count                         as claim_count,
        y.subrogation_amount_krw                    as claim_amount_krw,
        coalesce(r.recovery_count, 0)               as recovery_count,
        coalesce(r.recovery_amount_krw, 0)          as recovery_amount_krw
    from yearly as y
    left join recoveries as r on r.year = y.year

)

select
    c.year::integer                                                 as year,
    c.accident_count::integer                                          as accident_count,
    c.accident_amount_krw::bigint                                      as accident_amount_krw,
    c.normalized_count::integer                                          as normalized_count,
    c.normalized_amount_krw::bigint                                      as normalized_amount_krw,
    c.claim_count::integer                                          as claim_count,
    c.claim_amount_krw::bigint                                      as claim_amount_krw,
    c.recovery_count::integer                                          as recovery_count,
    c.recovery_amount_krw::bigint                                      as recovery_amount_krw,
    (c.accident_count - p.accident_count)::integer                          as accident_count_change,
    (c.accident_amount_krw - p.accident_amount_krw)::bigint                 as accident_amount_change_krw,
    {{ growth_pct('c.accident_count', 'p.accident_count') }}               as accident_count_growth_pct,
    {{ growth_pct('c.accident_amount_krw', 'p.accident_amount_krw') }}     as accident_amount_growth_pct,
    (c.normalized_count - p.normalized_count)::integer                          as normalized_count_change,
    (c.normalized_amount_krw - p.normalized_amount_krw)::bigint                 as normalized_amount_change_krw,
    {{ growth_pct('c.normalized_count', 'p.normalized_count') }}               as normalized_count_growth_pct,
    {{ growth_pct('c.normalized_amount_krw', 'p.normalized_amount_krw') }}     as normalized_amount_growth_pct,
    (c.claim_count - p.claim_count)::integer                          as claim_count_change,
    (c.claim_amount_krw - p.claim_amount_krw)::bigint                 as claim_amount_change_krw,
    {{ growth_pct('c.claim_count', 'p.claim_count') }}               as claim_count_growth_pct,
    {{ growth_pct('c.claim_amount_krw', 'p.claim_amount_krw') }}     as claim_amount_growth_pct,
    (c.recovery_count - p.recovery_count)::integer                          as recovery_count_change,
    (c.recovery_amount_krw - p.recovery_amount_krw)::bigint                 as recovery_amount_change_krw,
    {{ growth_pct('c.recovery_count', 'p.recovery_count') }}               as recovery_count_growth_pct,
    {{ growth_pct('c.recovery_amount_krw', 'p.recovery_amount_krw') }}     as recovery_amount_growth_pct
from combined as c
left join combined as p on p.year = c.year - 1
