-- 감사 20-6 지점별 감사기능 강화: every guarantee issued (NEW or EXTEND) over 30,000,000 won,
-- per day, with the audit group (I: 서인천·계양·부평 → head of audit; II: 남동·연수·남부·중부 →
-- deputy head). The group is the handling branch's; for the center 201 (no group) the owning
-- branch's. pre_audit_required for guarantees over 100,000,000 won. No PII.
-- Incremental: the days from restate_from() on are deleted and recomputed.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_restated('as_of_date') }}",
) }}

with

events as (

    select * from {{ ref('int_guarantee_events') }}
    where event_type in ('NEW', 'EXTEND')
      and amount_krw > {{ var('audit_large_guarantee_krw', 30000000) }}
    {% if is_incremental() %}
      and event_date >= {{ restate_from() }}
    {% endif %}

),

units as (select * from {{ ref('ref_org_units') }})

select
    e.event_date                                                as as_of_date,
    e.event_key                                                 as event_id,
    e.guarantee_id,
    e.event_type,
    e.amount_krw,
    e.handling_branch_code,
    h.name_ko                                                   as handling_branch_name,
    e.owning_branch_code,
    o.name_ko                                                   as owning_branch_name,
    e.program_code,
    e.bank_code,
    e.customer_key,
    coalesce(h.audit_group, o.audit_group)                      as audit_group,
    case coalesce(h.audit_group, o.audit_group)
        when 'I' then '감사실장 (head of audit)'
        when 'II' then '감사실 부실장 (deputy head of audit)'
    end                                                         as reviewer,
    e.amount_krw > {{ var('audit_pre_audit_krw', 100000000) }}  as pre_audit_required
from events as e
left join units as h on h.code = e.handling_branch_code
left join units as o on o.code = e.owning_branch_code
