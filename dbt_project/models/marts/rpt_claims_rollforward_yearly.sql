-- 구상채권·특수채권 관리: roll-forward of each claims ledger per year.
-- closing = opening + generated − recovered − written_off − extinguished − sold − waived.
-- The cut-over claims (OPENING_RECOURSE / OPENING_SPECIAL) count as the opening balance of
-- the cut-over year, not as generated. SPECIAL's generated = what RECOURSE wrote off.
-- One row per report year (int_report_years) and ledger; closing is at through_date.
with

legs as (select * from {{ ref('int_claim_movements') }}),

years as (select * from {{ ref('int_report_years') }}),

ledgers as (select 'RECOURSE' as ledger union all select 'SPECIAL'),

flows as (

    select
        movement_year                                                       as year,
        ledger,
        coalesce(sum(delta_krw) filter (where flow = 'opening'), 0)         as cutover_krw,
        coalesce(sum(amount_krw) filter (where flow = 'generated'), 0)      as generated_krw,
        coalesce(sum(amount_krw) filter (where flow = 'recovered'), 0)      as recovered_krw,
        coalesce(sum(amount_krw) filter (where flow = 'written_off'), 0)    as written_off_krw,
        coalesce(sum(amount_krw) filter (where flow = 'extinguished'), 0)   as extinguished_krw,
        coalesce(sum(amount_krw) filter (where flow = 'sold'), 0)           as sold_krw,
        coalesce(sum(amount_krw) filter (where flow = 'waived'), 0)         as waived_krw,
        sum(delta_krw)                                                      as net_krw
    from legs
    group by movement_year, ledger

),

grid as (

    select
        y.*,
        l.ledger,
        coalesce(f.cutover_krw, 0)          as cutover_krw,
        coalesce(f.generated_krw, 0)        as generated_krw,
        coalesce(f.recovered_krw, 0)        as recovered_krw,
        coalesce(f.written_off_krw, 0)      as written_off_krw,
        coalesce(f.extinguished_krw, 0)     as extinguished_krw,
        coalesce(f.sold_krw, 0)             as sold_krw,
        coalesce(f.waived_krw, 0)           as waived_krw,
        coalesce(f.net_krw, 0)              as net_krw
    from years as y
    cross join ledgers as l
    left join flows as f on f.year = y.year and f.ledger = l.ledger

),

running as (

    select
        *,
        sum(net_krw) over (partition by ledger order by year) as closing_krw
    from grid

)

select
    r.year::integer                                             as year,
    {{ report_year_columns('r') }},
    r.ledger::text                                              as ledger,
    ledger_label.label_ko::text                                 as ledger_ko,
    (r.closing_krw - r.net_krw + r.cutover_krw)::bigint         as opening_krw,
    r.generated_krw::bigint                                     as generated_krw,
    r.recovered_krw::bigint                                     as recovered_krw,
    r.written_off_krw::bigint                                   as written_off_krw,
    r.extinguished_krw::bigint                                  as extinguished_krw,
    r.sold_krw::bigint                                          as sold_krw,
    r.waived_krw::bigint                                        as waived_krw,
    r.closing_krw::bigint                                       as closing_krw
from running as r
{{ code_label_join('claim_ledger', 'r.ledger', 'ledger_label') }}
