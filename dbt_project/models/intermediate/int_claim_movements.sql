{#
  Claims ledger (구상채권·특수채권) per claim (claim id = guarantee_id): one row per ledger leg.

  RECOURSE (구상채권): + SUBROGATE (대위변제, from guarantees.csv), + OPENING_RECOURSE (cut-over),
                       − RECOVERY while the claim's recourse balance > 0, − WRITE_OFF.
  SPECIAL  (특수채권): + OPENING_SPECIAL (cut-over), + WRITE_OFF (the recourse write-off moves here),
                       − RECOVERY once the recourse balance is 0, − EXTINGUISH / SALE / WAIVER.

  Routing a RECOVERY depends on the running recourse balance, so a recursive CTE walks each
  claim's ordered movements (claims have few movements). A WRITE_OFF gives two legs.

  Incremental (strategy 'restate'): legs dated >= restate_from() are deleted and recomputed
  from each claim's balances before that date, read from {{ this }}.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='movement_date',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['claim_id', 'movement_date']},
        {'columns': ['movement_date']},
    ],
) }}

with recursive

subrogations as (

    select
        event_id                as movement_id,
        guarantee_id            as claim_id,
        event_date              as movement_date,
        'SUBROGATE'             as movement_type,
        branch_code,
        amount_krw,
        file_order,
        line_no
    from {{ ref('stg_guarantee_events') }}
    where event_type = 'SUBROGATE'
    {{ restate_filter('event_date', 'and', delivered_on='delivery_date') }}

),

claim_repayments as (

    select
        repayment_id            as movement_id,
        claim_id,
        repayment_date          as movement_date,
        kind                    as movement_type,
        branch_code,
        amount_krw,
        file_order,
        line_no
    from {{ ref('stg_repayments') }}
    where kind in ('OPENING_RECOURSE', 'OPENING_SPECIAL', 'RECOVERY', 'WRITE_OFF',
                   'EXTINGUISH', 'SALE', 'WAIVER')
    {{ restate_filter('repayment_date', 'and', delivered_on='delivery_date') }}

),

movements as materialized (

    select
        *,
        row_number() over (
            partition by claim_id order by movement_date, file_order, line_no
        )::integer as rn
    from (
        select * from subrogations
        union all
        select * from claim_repayments
    ) as m

),

{% if is_incremental() %}
prior_state as (

    select distinct on (t.claim_id)
        t.claim_id,
        t.recourse_balance_after_krw,
        t.special_balance_after_krw,
        t.movement_seq
    from {{ this }} as t
    where t.claim_id in (select mv.claim_id from movements as mv)
      and t.movement_date < {{ restate_from() }}
    order by t.claim_id asc, t.movement_date desc, t.file_order desc, t.line_no desc

),
{% endif %}

anchors as (

    select
        c.claim_id,
        {% if is_incremental() %}
        coalesce(p.recourse_balance_after_krw, 0)::bigint  as recourse_balance_krw,
        coalesce(p.special_balance_after_krw, 0)::bigint   as special_balance_krw,
        coalesce(p.movement_seq, 0)::integer                as seq_offset
        {% else %}
        0::bigint                                           as recourse_balance_krw,
        0::bigint                                           as special_balance_krw,
        0::integer                                          as seq_offset
        {% endif %}
    from (select distinct claim_id from movements) as c
    {% if is_incremental() %}
    -- p's columns are read in the incremental branch of the select above
    left join prior_state as p on p.claim_id = c.claim_id  -- noqa: ST11
    {% endif %}

),

routed (
    claim_id, rn, seq_offset, movement_id, movement_date, movement_type, branch_code,
    amount_krw, file_order, line_no, recovery_ledger, recourse_delta_krw, special_delta_krw,
    recourse_balance_krw, special_balance_krw
) as (

    select
        claim_id, 0, seq_offset, null::text, null::date, null::text, null::text,
        0::bigint, 0, 0, null::text, 0::bigint, 0::bigint,
        recourse_balance_krw, special_balance_krw
    from anchors

    union all

    select
        m.claim_id, m.rn, r.seq_offset, m.movement_id, m.movement_date, m.movement_type,
        m.branch_code, m.amount_krw, m.file_order, m.line_no,
        case when m.movement_type = 'RECOVERY' then
            case when r.recourse_balance_krw > 0 then 'RECOURSE' else 'SPECIAL' end
        end,
        {{ claim_recourse_delta('m', 'r') }},
        {{ claim_special_delta('m', 'r') }},
        r.recourse_balance_krw + {{ claim_recourse_delta('m', 'r') }},
        r.special_balance_krw + {{ claim_special_delta('m', 'r') }}
    from routed as r
    join movements as m
      on m.claim_id = r.claim_id
     and m.rn = r.rn + 1

),

legs as (

    select
        *,
        'RECOURSE'              as ledger,
        recourse_delta_krw      as delta_krw,
        case movement_type
            when 'OPENING_RECOURSE' then 'opening'
            when 'SUBROGATE' then 'generated'
            when 'RECOVERY' then 'recovered'
            when 'WRITE_OFF' then 'written_off'
        end                     as flow
    from routed
    where rn > 0
      and (movement_type in ('OPENING_RECOURSE', 'SUBROGATE', 'WRITE_OFF')
           or recovery_ledger = 'RECOURSE')

    union all

    select
        *,
        'SPECIAL'               as ledger,
        special_delta_krw       as delta_krw,
        case movement_type
            when 'OPENING_SPECIAL' then 'opening'
            when 'WRITE_OFF' then 'generated'
            when 'RECOVERY' then 'recovered'
            when 'EXTINGUISH' then 'extinguished'
            when 'SALE' then 'sold'
            when 'WAIVER' then 'waived'
        end                     as flow
    from routed
    where rn > 0
      and (movement_type in ('OPENING_SPECIAL', 'WRITE_OFF', 'EXTINGUISH', 'SALE', 'WAIVER')
           or recovery_ledger = 'SPECIAL')

)

select
    movement_id,
    ledger,
    claim_id,
    (rn + seq_offset)::integer                        as movement_seq,
    movement_date,
    extract(year from movement_date)::integer         as movement_year,
    movement_type,
    flow,
    branch_code,
    amount_krw,
    delta_krw,
    recourse_balance_krw                              as recourse_balance_after_krw,
    special_balance_krw                               as special_balance_after_krw,
    file_order,
    line_no
from legs
