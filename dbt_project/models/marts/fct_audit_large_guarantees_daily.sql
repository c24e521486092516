-- 감사 20-6 지점별 감사기능 강화: every guarantee issued (NEW or EXTEND) over the daily-review
-- threshold (ref_audit_thresholds DAILY_REVIEW, 3천만원), per day, with the audit group and its
-- reviewer (ref_audit_groups: I 서인천·계양·부평 → head of audit; II 남동·연수·남부·중부 → deputy
-- head). The group is the handling branch's; for the center 201 (no group) the owning branch's.
-- pre_audit_required above the pre-audit threshold (PRE_AUDIT, 1억원); the thresholds used are
-- kept on the row. No PII.
-- Incremental: the days from restate_from() on are deleted and recomputed (strategy 'restate'),
-- found through the index on as_of_date, as the night's tests find them.
-- event_type_ko is the Korean label (ref_code_labels); the *_name columns are the names of the
-- org units, program and bank (ref_org_units, ref_programs, ref_banks). The post-hooks keep the
-- labels and names of earlier days in line with the seeds.
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='as_of_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['as_of_date']}],
    post_hook=[
        "{{ sync_code_labels({'event_type_ko': ('event_type', 'event_type')}) }}",
        "{{ sync_code_names({
            'handling_branch_name': ('ref_org_units', 'handling_branch_code'),
            'owning_branch_name': ('ref_org_units', 'owning_branch_code'),
            'program_name': ('ref_programs', 'program_code'),
            'bank_name': ('ref_banks', 'bank_code'),
        }) }}",
    ],
) }}

with

thresholds as (

    {{ audit_thresholds() }}

),

events as (

    select
        e.*,
        t.review_threshold_krw,
        t.pre_audit_threshold_krw
    from {{ ref('int_guarantee_events') }} as e
    cross join thresholds as t
    where e.event_type in ('NEW', 'EXTEND')
      and e.amount_krw > t.review_threshold_krw
    {{ restate_filter('e.event_date', 'and') }}

),

units as (select * from {{ ref('ref_org_units') }}),

programs as (select * from {{ ref('ref_programs') }}),

banks as (select * from {{ ref('ref_banks') }}),

audit_groups as (select * from {{ ref('ref_audit_groups') }}),

grouped as (

    select
        e.*,
        h.name_ko                                                   as handling_branch_name,
        o.name_ko                                                   as owning_branch_name,
        coalesce(h.audit_group, o.audit_group)                      as audit_group
    from events as e
    left join units as h on h.code = e.handling_branch_code
    left join units as o on o.code = e.owning_branch_code

)

select
    e.event_date                                                as as_of_date,
    e.event_key                                                 as event_id,
    e.guarantee_id,
    e.event_type,
    e.amount_krw,
    e.handling_branch_code,
    e.handling_branch_name,
    e.owning_branch_code,
    e.owning_branch_name,
    e.program_code,
    e.bank_code,
    e.customer_key,
    e.audit_group,
    g.group_name_ko                                             as audit_group_name_ko,
    g.group_name_en                                             as audit_group_name_en,
    g.reviewer_ko || ' (' || g.reviewer_en || ')'               as reviewer,
    g.reviewer_ko,
    g.reviewer_en,
    e.review_threshold_krw::bigint                              as review_threshold_krw,
    e.pre_audit_threshold_krw::bigint                           as pre_audit_threshold_krw,
    e.amount_krw > e.pre_audit_threshold_krw                    as pre_audit_required,
    -- added columns last: an existing table gets them appended (on_schema_change)
    type_label.label_ko                                         as event_type_ko,
    p.name_ko                                                   as program_name,
    b.name_ko                                                   as bank_name
from grouped as e
left join audit_groups as g on g.audit_group = e.audit_group
left join programs as p on p.code = e.program_code
left join banks as b on b.code = e.bank_code
{{ code_label_join('event_type', 'e.event_type', 'type_label') }}
