-- 기본재산: basic assets per year. The cut-over entries (OPENING contributions and the
-- cumulative deficit LOSS of the cut-over day) form the opening balance of the cut-over year;
-- contributions/losses are the flows after it. closing = opening + contributions − losses.
with

ledger as (select * from {{ ref('int_fund_ledger') }}),

years as (select distinct year from {{ ref('int_yearly_activity') }}
          union
          select distinct received_year from ledger),

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
        y.year,
        coalesce(f.cutover_krw, 0)          as cutover_krw,
        coalesce(f.contributions_krw, 0)    as contributions_krw,
        coalesce(f.losses_krw, 0)           as losses_krw,
        coalesce(f.net_krw, 0)              as net_krw,
        sum(coalesce(f.net_krw, 0)) over (order by y.year) as closing_krw
    from years as y
    left join flows as f on f.year = y.year

)

select
    year::integer                                               as year,
    (closing_krw - net_krw + cutover_krw)::bigint               as opening_krw,
    contributions_krw::bigint                                   as contributions_krw,
    losses_krw::bigint                                          as losses_krw,
    closing_krw::bigint                                         as closing_krw,
    (net_krw - cutover_krw)::bigint                             as change_krw
from running
