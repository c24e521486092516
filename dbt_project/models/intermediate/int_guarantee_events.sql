{#
  The balance state machine of every guarantee (보증잔액·상태).

  One row per guarantee event (guarantees.csv) and per LOAN_PRINCIPAL repayment, in the order
  the core system applies them: by day, guarantees.csv before repayments.csv, then file order.

  Between two "set" events (OPENING*, NEW, EXTEND, TERMINATE) the balance only decreases
  (SUBROGATE, LOAN_PRINCIPAL), so
      balance_after = greatest(0, last set amount − running sum of decreases since it)
  which window functions compute without recursion. Status is the last status-setting event.

  Incremental (strategy 'restate'): rows dated >= restate_from() are deleted and recomputed,
  starting from each guarantee's last state before that date, read from {{ this }} as an
  "anchor" row.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='event_date',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['guarantee_id', 'event_date']},
        {'columns': ['event_date']},
    ],
) }}

with

guarantee_events as (

    select
        event_id                as event_key,
        'guarantees'            as source_kind,
        event_date,
        event_type,
        guarantee_id,
        branch_code             as handling_branch_code,
        program_code,
        bank_code,
        customer_key,
        amount_krw,
        file_order,
        line_no,
        load_id
    from {{ ref('stg_guarantee_events') }}
    {{ restate_filter('event_date', delivered_on='delivery_date') }}

),

principal_repayments as (

    select
        repayment_id            as event_key,
        'repayments'            as source_kind,
        repayment_date          as event_date,
        kind                    as event_type,
        guarantee_id,
        branch_code             as handling_branch_code,
        null::text              as program_code,
        null::text              as bank_code,
        null::text              as customer_key,
        amount_krw,
        file_order,
        line_no,
        load_id
    from {{ ref('stg_repayments') }}
    where kind = 'LOAN_PRINCIPAL'
    {{ restate_filter('repayment_date', 'and', delivered_on='delivery_date') }}

),

new_rows as (

    select *, false as is_anchor,
           null::bigint as anchor_balance_krw, null::text as anchor_status,
           null::text as anchor_owning_branch_code, null::integer as anchor_event_seq
    from guarantee_events
    union all
    select *, false, null::bigint, null::text, null::text, null::integer
    from principal_repayments

),

{% if is_incremental() %}
prior_state as (

    -- the last state of each touched guarantee before the restated window
    select distinct on (t.guarantee_id)
        t.guarantee_id,
        t.balance_after_krw,
        t.status_after,
        t.owning_branch_code,
        t.program_code,
        t.bank_code,
        t.customer_key,
        t.event_seq
    from {{ this }} as t
    where t.guarantee_id in (select n.guarantee_id from new_rows as n)
      and t.event_date < {{ restate_from() }}
    order by t.guarantee_id asc, t.event_date desc, t.file_order desc, t.line_no desc

),

anchors as (

    select
        null::text              as event_key,
        'anchor'                as source_kind,
        date '0001-01-01'       as event_date,
        'ANCHOR'                as event_type,
        guarantee_id,
        null::text              as handling_branch_code,
        program_code,
        bank_code,
        customer_key,
        0::bigint               as amount_krw,
        0                       as file_order,
        0                       as line_no,
        null::bigint            as load_id,
        true                    as is_anchor,
        balance_after_krw       as anchor_balance_krw,
        status_after            as anchor_status,
        owning_branch_code      as anchor_owning_branch_code,
        event_seq               as anchor_event_seq
    from prior_state

),

all_rows as (

    select * from anchors
    union all
    select * from new_rows

),
{% else %}
all_rows as (

    select * from new_rows

),
{% endif %}

ordered as (

    select
        *,
        row_number() over (
            partition by guarantee_id order by event_date, file_order, line_no
        ) as rn,
        case
            when is_anchor then anchor_balance_krw
            when event_type in ('OPENING', 'OPENING_ACCIDENT', 'NEW', 'EXTEND') then amount_krw
            when event_type = 'TERMINATE' then 0
        end as set_amount_krw,
        case
            when event_type in ('SUBROGATE', 'LOAN_PRINCIPAL') then amount_krw
            else 0
        end as decrease_krw
    from all_rows

),

set_groups as (

    select
        *,
        count(set_amount_krw) over (
            partition by guarantee_id order by rn rows between unbounded preceding and current row
        ) as set_group
    from ordered

),

balances as (

    select
        *,
        greatest(
            0,
            coalesce(max(set_amount_krw) over (partition by guarantee_id, set_group), 0)
            - sum(decrease_krw) over (
                partition by guarantee_id, set_group
                order by rn rows between unbounded preceding and current row
            )
        )::bigint as balance_after_krw
    from set_groups

),

status_sets as (

    select
        *,
        case
            when is_anchor then anchor_status
            when event_type in ('OPENING', 'NEW', 'NORMALIZE') then 'NORMAL'
            when event_type in ('OPENING_ACCIDENT', 'ACCIDENT') then 'ACCIDENT'
            when event_type = 'TERMINATE' then 'CLOSED'
            when event_type = 'SUBROGATE' then
                case when balance_after_krw = 0 then 'CLOSED' else 'ACCIDENT' end
        end as status_set
    from balances

),

status_groups as (

    select
        *,
        count(status_set) over (
            partition by guarantee_id order by rn rows between unbounded preceding and current row
        ) as status_group
    from status_sets

),

states as (

    select
        *,
        max(status_set) over (partition by guarantee_id, status_group) as status_after,
        -- the guarantee belongs to the branch of its NEW/OPENING row for good
        max(case
                when is_anchor then anchor_owning_branch_code
                when event_type in ('NEW', 'OPENING', 'OPENING_ACCIDENT') then handling_branch_code
            end) over (partition by guarantee_id) as owning_branch_code,
        max(case
                when is_anchor or event_type in ('NEW', 'OPENING', 'OPENING_ACCIDENT') then program_code
            end) over (partition by guarantee_id) as guarantee_program_code,
        max(case
                when is_anchor or event_type in ('NEW', 'OPENING', 'OPENING_ACCIDENT') then bank_code
            end) over (partition by guarantee_id) as guarantee_bank_code,
        max(case
                when is_anchor or event_type in ('NEW', 'OPENING', 'OPENING_ACCIDENT') then customer_key
            end) over (partition by guarantee_id) as guarantee_customer_key,
        coalesce(max(anchor_event_seq - 1) over (partition by guarantee_id), 0) as seq_offset
    from status_groups

),

final as (

    select
        event_key,
        source_kind,
        event_date,
        extract(year from event_date)::integer                       as event_year,
        event_type,
        guarantee_id,
        (rn + seq_offset)::integer                                   as event_seq,
        file_order,
        line_no,
        amount_krw,
        handling_branch_code,
        owning_branch_code,
        coalesce(guarantee_program_code, program_code)               as program_code,
        coalesce(guarantee_bank_code, bank_code)                     as bank_code,
        coalesce(guarantee_customer_key, customer_key)               as customer_key,
        coalesce(lag(balance_after_krw) over w, 0)::bigint           as balance_before_krw,
        balance_after_krw,
        (balance_after_krw - coalesce(lag(balance_after_krw) over w, 0))::bigint
                                                                     as balance_delta_krw,
        lag(status_after) over w                                     as status_before,
        status_after,
        load_id,
        is_anchor
    from states
    window w as (partition by guarantee_id order by rn)

)

select
    event_key, source_kind, event_date, event_year, event_type, guarantee_id, event_seq,
    file_order, line_no, amount_krw, handling_branch_code, owning_branch_code, program_code,
    bank_code, customer_key, balance_before_krw, balance_after_krw, balance_delta_krw,
    status_before, status_after, load_id
from final
where not is_anchor
