-- 조직 차원: org units with kind, audit group (감사 그룹) and total quota (정원).
with

units as (select * from {{ ref('ref_org_units') }}),

quota as (

    select org_unit_code, sum(quota)::integer as quota_total
    from {{ ref('ref_quota') }}
    group by org_unit_code

)

select
    u.code                                      as org_unit_code,
    u.name_ko,
    u.name_en,
    u.kind,
    u.audit_group,
    case u.audit_group
        when 'I' then '감사실장 (head of audit)'
        when 'II' then '감사실 부실장 (deputy head of audit)'
    end                                         as audit_reviewer,
    u.code in ('101', '102', '103', '104', '105', '106', '107', '201') as issues_guarantees,
    u.opened_on,
    coalesce(q.quota_total, 0)::integer          as quota_total
from units as u
left join quota as q on q.org_unit_code = u.code
