-- 조직 차원: org units with kind, audit group (감사 그룹, reviewer from ref_audit_groups) and total quota (정원).
with

units as (select * from {{ ref('ref_org_units') }}),

audit_groups as (select * from {{ ref('ref_audit_groups') }}),

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
    kind_label.label_ko                         as kind_ko,
    u.audit_group,
    g.reviewer_ko || ' (' || g.reviewer_en || ')' as audit_reviewer,
    u.code in ('101', '102', '103', '104', '105', '106', '107', '201') as issues_guarantees,
    u.opened_on,
    coalesce(q.quota_total, 0)::integer          as quota_total
from units as u
left join audit_groups as g on g.audit_group = u.audit_group
left join quota as q on q.org_unit_code = u.code
{{ code_label_join('org_unit_kind', 'u.kind', 'kind_label') }}
