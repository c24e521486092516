{#
  보증 이벤트 팩트: one row per guarantee event and per loan principal repayment, with the
  balance and status before/after. No PII (customer_key is a keyed hash, HMAC-SHA256).
  Incremental by event_date from restate_from() (strategy 'restate'). The *_ko columns are the
  codes' Korean labels (ref_code_labels) and the *_name columns the names of the org units,
  programs and banks (ref_org_units, ref_programs, ref_banks); the post-hooks keep the labels and
  names of earlier events in line with the seeds.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='event_date',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['event_date']},
        {'columns': ['guarantee_id']},
    ],
    post_hook=[
        "{{ sync_code_labels({
            'event_type_ko': ('event_type', 'event_type'),
            'source_kind_ko': ('source_kind', 'source_kind'),
            'status_before_ko': ('guarantee_status', 'status_before'),
            'status_after_ko': ('guarantee_status', 'status_after'),
        }) }}",
        "{{ sync_code_names({
            'handling_branch_name': ('ref_org_units', 'handling_branch_code'),
            'owning_branch_name': ('ref_org_units', 'owning_branch_code'),
            'program_name': ('ref_programs', 'program_code'),
            'bank_name': ('ref_banks', 'bank_code'),
        }) }}",
    ],
) }}

select
    e.event_key,
    e.source_kind,
    e.event_date,
    e.event_year,
    date_trunc('month', e.event_date)::date                 as event_month,
    e.event_type,
    e.guarantee_id,
    e.event_seq,
    e.amount_krw,
    e.handling_branch_code,
    e.owning_branch_code,
    e.program_code,
    e.bank_code,
    e.customer_key,
    e.balance_before_krw,
    e.balance_after_krw,
    e.balance_delta_krw,
    e.status_before,
    e.status_after,
    e.event_type in ('NEW', 'EXTEND')                       as is_supply,
    e.event_type = 'NEW'                                    as is_new,
    e.event_type = 'EXTEND'                                 as is_extension,
    e.event_type = 'ACCIDENT'                               as is_accident,
    e.event_type = 'SUBROGATE'                              as is_subrogation,
    e.file_order,
    e.line_no,
    e.load_id,
    -- added columns last: an existing table gets them appended (on_schema_change)
    type_label.label_ko                                     as event_type_ko,
    source_label.label_ko                                   as source_kind_ko,
    before_label.label_ko                                   as status_before_ko,
    after_label.label_ko                                    as status_after_ko,
    h.name_ko                                               as handling_branch_name,
    o.name_ko                                               as owning_branch_name,
    p.name_ko                                               as program_name,
    b.name_ko                                               as bank_name
from {{ ref('int_guarantee_events') }} as e
left join {{ ref('ref_org_units') }} as h on h.code = e.handling_branch_code
left join {{ ref('ref_org_units') }} as o on o.code = e.owning_branch_code
left join {{ ref('ref_programs') }} as p on p.code = e.program_code
left join {{ ref('ref_banks') }} as b on b.code = e.bank_code
{{ code_label_join('event_type', 'e.event_type', 'type_label') }}
{{ code_label_join('source_kind', 'e.source_kind', 'source_label') }}
{{ code_label_join('guarantee_status', 'e.status_before', 'before_label') }}
{{ code_label_join('guarantee_status', 'e.status_after', 'after_label') }}
{{ restate_filter('e.event_date') }}
