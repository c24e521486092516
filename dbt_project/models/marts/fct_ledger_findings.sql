{#
  원장 점검 (ledger checks): data-quality findings on loaded data that need the warehouse's state,
  per the extract contract. They are reported and alerted, not rejections.

  One row per finding: an EXTEND, ACCIDENT, NORMALIZE or SUBROGATE larger than the balance
  before it; an event for an unknown or closed guarantee; a claim movement larger than the
  claim's ledger balance; opening rows after the cut-over delivery.
  Incremental like the ledgers it reads (strategy 'restate'): findings dated >= restate_from()
  are deleted and recomputed. The *_ko columns are the codes' Korean labels (ref_code_labels);
  the post-hook keeps the labels of earlier findings in line with the seed.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='finding_date',
    on_schema_change='append_new_columns',
    post_hook="{{ sync_code_labels({
        'rule_ko': ('finding_rule', 'rule'),
        'source_kind_ko': ('source_kind', 'source_kind'),
        'event_type_ko': ('event_type', 'event_type'),
    }) }}",
) }}

with

guarantee_events as (

    select * from {{ ref('int_guarantee_events') }}
    {{ restate_filter('event_date') }}

),

claim_movements as (

    select * from {{ ref('int_claim_movements') }}
    {{ restate_filter('movement_date') }}

),

cutover as (

    select min(delivery_date) as cutover_date
    from {{ ref('stg_deliveries') }}
    where status = 'LOADED'

),

guarantee_findings as (

    select
        event_date                                  as finding_date,
        case
            when event_type in ('OPENING', 'OPENING_ACCIDENT') then 'OPENING_AFTER_CUTOVER'
            when status_before is null then 'UNKNOWN_GUARANTEE'
            when status_before = 'CLOSED' then 'CLOSED_GUARANTEE'
            else 'EXCEEDS_BALANCE'
        end                                         as rule,
        source_kind,
        event_key,
        guarantee_id,
        event_type,
        amount_krw,
        balance_before_krw
    from guarantee_events
    where (event_type in ('OPENING', 'OPENING_ACCIDENT') and event_date > (select c.cutover_date from cutover as c))
       or (status_before is null and event_type not in ('NEW', 'OPENING', 'OPENING_ACCIDENT'))
       or (status_before = 'CLOSED' and event_type not in ('OPENING', 'OPENING_ACCIDENT'))
       or (event_type in ('EXTEND', 'ACCIDENT', 'NORMALIZE', 'SUBROGATE')
           and status_before is not null and amount_krw > balance_before_krw)

),

claim_findings as (

    select
        movement_date                               as finding_date,
        case
            when movement_type in ('OPENING_RECOURSE', 'OPENING_SPECIAL') then 'OPENING_AFTER_CUTOVER'
            else 'CLAIM_EXCEEDS_BALANCE'
        end                                         as rule,
        'repayments'                                as source_kind,
        movement_id                                 as event_key,
        claim_id                                    as guarantee_id,
        movement_type                               as event_type,
        amount_krw,
        case ledger
            when 'RECOURSE' then recourse_balance_after_krw
            else special_balance_after_krw
        end - delta_krw                             as balance_before_krw
    from claim_movements
    where (ledger = 'RECOURSE' and recourse_balance_after_krw < 0)
       or (ledger = 'SPECIAL' and special_balance_after_krw < 0)
       or (movement_type in ('OPENING_RECOURSE', 'OPENING_SPECIAL')
           and movement_date > (select c.cutover_date from cutover as c))

),

findings as (

    select * from guarantee_findings
    union all
    select * from claim_findings

)

select
    f.*,
    rule_label.label_ko             as rule_ko,
    source_label.label_ko           as source_kind_ko,
    type_label.label_ko             as event_type_ko
from findings as f
{{ code_label_join('finding_rule', 'f.rule', 'rule_label') }}
{{ code_label_join('source_kind', 'f.source_kind', 'source_label') }}
{{ code_label_join('event_type', 'f.event_type', 'type_label') }}
