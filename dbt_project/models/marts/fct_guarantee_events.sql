{#
  보증 이벤트 팩트: one row per guarantee event and per loan principal repayment, with the
  balance and status before/after. No PII (customer_key is a salted hash).
  Incremental by event_date from restate_from() (strategy 'restate').
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
) }}

select
    event_key,
    source_kind,
    event_date,
    event_year,
    date_trunc('month', event_date)::date                   as event_month,
    event_type,
    guarantee_id,
    event_seq,
    amount_krw,
    handling_branch_code,
    owning_branch_code,
    program_code,
    bank_code,
    customer_key,
    balance_before_krw,
    balance_after_krw,
    balance_delta_krw,
    status_before,
    status_after,
    event_type in ('NEW', 'EXTEND')                         as is_supply,
    event_type = 'NEW'                                      as is_new,
    event_type = 'EXTEND'                                   as is_extension,
    event_type = 'ACCIDENT'                                 as is_accident,
    event_type = 'SUBROGATE'                                as is_subrogation,
    file_order,
    line_no,
    load_id
from {{ ref('int_guarantee_events') }}
{{ restate_filter('event_date') }}
