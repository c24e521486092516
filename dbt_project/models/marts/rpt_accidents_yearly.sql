-- 보증사고 및 회수 현황: accidents, normalisations, claims (대위변제 → 구상채권 발생) and
-- recoveries on the recourse ledger per year, against the same period of the previous year
-- (int_report_years: a partial year compares year-to-date with year-to-date; no change is
-- computed against the cut-over year, whose flows are only the opening snapshot).
{%- set metrics = ['accident', 'normalized', 'claim', 'recovery'] %}
with

years as (select * from {{ ref('int_report_years') }}),

yearly as (select * from {{ ref('int_yearly_activity') }}),

recovery_legs as (

    select movement_date, claim_id, amount_krw
    from {{ ref('int_claim_movements') }}
    where ledger = 'RECOURSE' and flow = 'recovered'

),

recoveries as (

    select
        y.year,
        count(distinct r.claim_id) filter (where r.movement_date >= y.from_date)
                                                                    as recovery_count,
        coalesce(sum(r.amount_krw) filter (where r.movement_date >= y.from_date), 0)
                                                                    as recovery_amount_krw,
        case when y.has_prev_period_flows then
            count(distinct r.claim_id) filter (where r.movement_date <= y.prev_period_through_date)
        end                                                         as prev_period_recovery_count,
        case when y.has_prev_period_flows then
            coalesce(sum(r.amount_krw) filter (where r.movement_date <= y.prev_period_through_date), 0)
        end                                                         as prev_period_recovery_amount_krw
    from years as y
    left join recovery_legs as r
      on (r.movement_date between y.from_date and y.through_date)
      or (r.movement_date between y.prev_period_from_date and y.prev_period_through_date)
    group by y.year, y.has_prev_period_flows

),

combined as (

    select
        a.year,
        a.accident_count,
        a.accident_amount_krw,
        a.normalized_count,
        a.normalized_amount_krw,
        a.subrogation_count                         as claim_count,
        a.subrogation_amount_krw                    as claim_amount_krw,
        r.recovery_count,
        r.recovery_amount_krw,
        a.prev_period_accident_count,
        a.prev_period_accident_amount_krw,
        a.prev_period_normalized_count,
        a.prev_period_normalized_amount_krw,
        a.prev_period_subrogation_count             as prev_period_claim_count,
        a.prev_period_subrogation_amount_krw        as prev_period_claim_amount_krw,
        r.prev_period_recovery_count,
        r.prev_period_recovery_amount_krw
    from yearly as a
    join recoveries as r on r.year = a.year

)

select
    c.year::integer                                                         as year,
    {{ report_year_columns('y') }},
    {%- for m in metrics %}
    c.{{ m }}_count::integer                                                as {{ m }}_count,
    c.{{ m }}_amount_krw::bigint                                            as {{ m }}_amount_krw,
    {%- endfor %}
    {{ report_prev_period_columns('y') }},
    {%- for m in metrics %}
    c.prev_period_{{ m }}_count::integer                                    as prev_period_{{ m }}_count,
    c.prev_period_{{ m }}_amount_krw::bigint                                as prev_period_{{ m }}_amount_krw,
    {%- endfor %}
    {%- for m in metrics %}
    (c.{{ m }}_count - c.prev_period_{{ m }}_count)::integer                as {{ m }}_count_change,
    (c.{{ m }}_amount_krw - c.prev_period_{{ m }}_amount_krw)::bigint       as {{ m }}_amount_change_krw,
    {{ growth_pct('c.' ~ m ~ '_count', 'c.prev_period_' ~ m ~ '_count') }}
                                                                            as {{ m }}_count_growth_pct,
    {{ growth_pct('c.' ~ m ~ '_amount_krw', 'c.prev_period_' ~ m ~ '_amount_krw') }}
                                                                            as {{ m }}_amount_growth_pct
    {{- ',' if not loop.last }}
    {%- endfor %}
from combined as c
join years as y on y.year = c.year
