-- 기본재산: basic assets per year. The cut-over entries (OPENING contributions and the
-- cumulative deficit LOSS of the cut-over day) form the opening balance of the cut-over year;
-- contributions/losses are the flows after it. closing = opening + contributions − losses.
-- One row per report year (int_report_years); closing is at through_date (year end, or the
-- latest delivery in the current year).
with

ledger as (select * from {{ ref('int_fund_ledger') }}),

years as (select * from {{ ref('int_report_years') }}),

flows as (

    select
        received_year                                                               as year,
        coalesce(sum(signed_amount_krw) filter (where is_cutover), 0)               as cutover_krw,
        coalesce(sum(amount_krw) filter (where entry_type = 'CONTRIBUTION' and not is_cutover), 0)
                                                                                    as contributions_krw,
        coalesce(sum(amount_krw) filter (where entry_type = 'LOSS' and not is_cutover), 0)
                                                                                    as losses_krw,
        sum(signed_amount_krw)                                                      as net_krw
    from ledger
    group by received_year

),

running as (

    select
        y.*,
        coalesce(f.cutover_krw, 0)          as cutover_krw,
        coalesce(f.contributions_krw, 0)    as contributions_krw,
        coalesce(f.losses_krw, 0)           as losses_krw,
        coalesce(f.net_krw, 0)              as net_krw,
        sum(coalesce(f.net_krw, 0)) over (order by y.year) as closing_krw
    from years as y
    left join flows as f on f.year = y.year

)

select
    r.year::integer                                             as year,
    {{ report_year_columns('r') }},
    (r.closing_krw - r.net_krw + r.cutover_krw)::bigint         as opening_krw,
    r.contributions_krw::bigint                                 as contributions_krw,
    r.losses_krw::bigint                                        as losses_krw,
    r.closing_krw::bigint                                       as closing_krw,
    (r.net_krw - r.cutover_krw)::bigint                         as change_krw
from running as r
