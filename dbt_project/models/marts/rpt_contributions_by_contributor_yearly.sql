-- 출연기관별 출연 실적: contributions per year, contributor and earmarked program
-- (program_code null = general contribution, 일반출연).
select
    received_year::integer                      as year,
    plan_category,
    contributor_type,
    contributor_code,
    max(contributor_name)                       as contributor_name,
    program_code,
    count(*)::integer                           as contribution_count,
    sum(amount_krw)::bigint                     as amount_krw
from {{ ref('int_fund_ledger') }}
where entry_type = 'CONTRIBUTION'
group by received_year, plan_category, contributor_type, contributor_code, program_code
