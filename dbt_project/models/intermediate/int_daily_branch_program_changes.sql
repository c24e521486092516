-- Daily rollup by unit and program: per date, handling branch, owning branch and program, the
-- day's supply (NEW + EXTEND) and the change of the guarantee balance and of the number of
-- guarantees with a balance. The monthly and yearly marts by branch or program
-- (fct_supply_balance_monthly, rpt_program_utilisation) read this instead of the events.
-- Incremental: the days from restate_from() on are deleted and recomputed (strategy 'restate').
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='activity_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['activity_date']}],
) }}

select
    event_date                                                          as activity_date,
    handling_branch_code,
    owning_branch_code,
    program_code,
    count(*)::integer                                                   as event_count,
    {{ event_flow_columns([
        ('supply', ['NEW', 'EXTEND']), ('new', ['NEW']), ('extension', ['EXTEND']),
    ]) }},
    sum((balance_after_krw > 0)::int - (balance_before_krw > 0)::int)::integer
                                                                        as balance_count_delta,
    sum(balance_delta_krw)::bigint                                      as balance_delta_krw
from {{ ref('int_guarantee_events') }}
{{ restate_filter('event_date') }}
group by event_date, handling_branch_code, owning_branch_code, program_code
