{#
  보증운용배수: guarantee balance ÷ basic assets for every calendar day from the first to the
  last delivery date loaded. Days without a delivery carry the previous day's balances.
  Status: LEGAL above the legal limit, BREACH above the policy limit, WARN from the warning
  level, else OK (null without basic assets). The levels are the vars operating_multiple_*
  (env CGF_MULTIPLE_*) of the build that computed the day.
  Incremental by as_of_date from restate_from() (strategy 'restate'; the running totals are
  recomputed from the small daily rollup, so a restated day fixes every later day).
  status_ko is the status's Korean label (ref_code_labels); the post-hook keeps the labels of
  earlier days in line with the seed.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='as_of_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['as_of_date'], 'unique': true}],
    post_hook="{{ sync_code_labels({'status_ko': ('multiple_status', 'status')}) }}",
) }}

with

calendar as (select date_day from {{ ref('dim_calendar') }}),

daily as (select * from {{ ref('int_daily_balance_changes') }}),

running as (

    select
        c.date_day                                                          as as_of_date,
        sum(coalesce(d.guarantee_balance_delta_krw, 0)) over (order by c.date_day) as guarantee_balance_krw,
        sum(coalesce(d.basic_assets_delta_krw, 0)) over (order by c.date_day)      as basic_assets_krw
    from calendar as c
    left join daily as d on d.activity_date = c.date_day

),

levels as (

    select
        *,
        {{ var('operating_multiple_policy_limit') }}::numeric  as policy_limit,
        {{ var('operating_multiple_warn_level') }}::numeric    as warn_level,
        {{ var('operating_multiple_legal_limit') }}::numeric   as legal_limit,
        round(guarantee_balance_krw::numeric / nullif(basic_assets_krw, 0), 6) as operating_multiple
    from running

),

classified as (

    select
        *,
        {{ multiple_status('operating_multiple') }} as status
    from levels

)

select
    c.as_of_date::date                                          as as_of_date,
    c.guarantee_balance_krw::bigint                             as guarantee_balance_krw,
    c.basic_assets_krw::bigint                                  as basic_assets_krw,
    c.operating_multiple::numeric(12, 6)                        as operating_multiple,
    c.policy_limit::numeric(6, 2)                               as policy_limit,
    c.warn_level::numeric(6, 2)                                 as warn_level,
    c.legal_limit::numeric(6, 2)                                as legal_limit,
    c.status::text                                              as status,
    (c.policy_limit * c.basic_assets_krw - c.guarantee_balance_krw)::bigint as headroom_krw,
    -- added columns last: an existing table gets them appended (on_schema_change)
    status_label.label_ko::text                                 as status_ko
from classified as c
{{ code_label_join('multiple_status', 'c.status', 'status_label') }}
{{ restate_filter('c.as_of_date') }}
