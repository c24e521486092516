-- 출연기관 차원: every contributor seen in the fund ledger, with type and plan category.
with

ledger as (

    select * from {{ ref('int_fund_ledger') }}
    where contributor_type is not null

),

latest as (

    select distinct on (contributor_code)
        contributor_code, contributor_name, contributor_type, plan_category
    from ledger
    order by contributor_code asc, received_date desc, contribution_id desc

),

totals as (

    select
        contributor_code,
        min(received_date)                                      as first_received_date,
        max(received_date)                                      as last_received_date,
        sum(amount_krw) filter (where entry_type = 'CONTRIBUTION')::bigint as contributed_since_cutover_krw
    from ledger
    group by contributor_code

)

select
    l.contributor_code,
    l.contributor_name,
    l.contributor_type,
    ct.name_ko                                          as contributor_type_ko,
    l.plan_category,
    t.first_received_date,
    t.last_received_date,
    coalesce(t.contributed_since_cutover_krw, 0)::bigint as contributed_since_cutover_krw
from latest as l
join totals as t using (contributor_code)
left join {{ ref('ref_contributor_types') }} as ct on ct.contributor_type = l.contributor_type
