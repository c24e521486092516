-- 출연기관별 출연 실적: contributions per report year (int_report_years), contributor and
-- earmarked program (program_code null = general contribution, 일반출연), with the names of the
-- contributor type (ref_contributor_types) and program (ref_programs).
with

entries as (

    select
        received_year,
        plan_category,
        contributor_type,
        contributor_code,
        max(contributor_name)                   as contributor_name,
        program_code,
        count(*)                                as contribution_count,
        sum(amount_krw)                         as amount_krw
    from {{ ref('int_fund_ledger') }}
    where entry_type = 'CONTRIBUTION'
    group by received_year, plan_category, contributor_type, contributor_code, program_code

)

select
    e.received_year::integer                    as year,
    {{ report_year_columns('y') }},
    e.plan_category,
    e.contributor_type,
    t.name_ko                                   as contributor_type_ko,
    e.contributor_code,
    e.contributor_name,
    e.program_code,
    p.name_ko                                   as program_name,
    e.contribution_count::integer               as contribution_count,
    e.amount_krw::bigint                        as amount_krw
from entries as e
join {{ ref('int_report_years') }} as y on y.year = e.received_year
left join {{ ref('ref_contributor_types') }} as t on t.contributor_type = e.contributor_type
left join {{ ref('ref_programs') }} as p on p.code = e.program_code
