-- 기구 및 인원: quota (정원) against headcount (현원 = ACTIVE + LEAVE) per roster snapshot,
-- org unit and grade band (1, 2, 3, 4, 5-6, OTHER). Quota cells without staff are kept.
-- vacancy = quota − headcount as the spec defines it (negative when over quota); open_positions
-- (미충원) and overstaffed (정원 초과 현원) split it into two columns that are never negative.
-- Incremental: the snapshots from restate_from() on are deleted and recomputed (strategy 'restate'),
-- found through the index on as_of_date.
-- The post-hooks fill the columns added later on the snapshots built before them and keep
-- grade_band_ko in line with ref_code_labels.
{{ config(
    materialized='incremental',
    incremental_strategy='restate',
    restate_column='as_of_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['as_of_date']}],
    post_hook=[
        "update {{ this }} set open_positions = greatest(quota - headcount, 0),
                               overstaffed = greatest(headcount - quota, 0)
          where open_positions is null or overstaffed is null",
        "{{ sync_code_labels({'grade_band_ko': ('grade_band', 'grade_band')}) }}",
    ],
) }}

with

roster as (
    select * from {{ ref('stg_headcount') }}
    {{ restate_filter('snapshot_date', delivered_on='delivery_date') }}
),

quota as (select * from {{ ref('ref_quota') }}),

units as (select * from {{ ref('ref_org_units') }}),

snapshots as (select distinct snapshot_date from roster),

cells as (

    -- one aggregation over the quota cells of every snapshot and the roster's employees
    select s.snapshot_date, q.org_unit_code, q.grade_band, q.quota, 0 as active, 0 as on_leave
    from snapshots as s
    cross join quota as q

    union all

    select
        snapshot_date,
        org_unit_code,
        grade_band,
        0,
        (employment_status = 'ACTIVE')::int,
        (employment_status = 'LEAVE')::int
    from roster

),

counted as (

    select
        snapshot_date,
        org_unit_code,
        grade_band,
        sum(quota)      as quota,
        sum(active)     as active_count,
        sum(on_leave)   as on_leave_count
    from cells
    group by snapshot_date, org_unit_code, grade_band

)

select
    c.snapshot_date::date                                   as as_of_date,
    c.org_unit_code::text                                   as org_unit_code,
    u.name_ko::text                                         as org_unit_name,
    c.grade_band::text                                      as grade_band,
    c.quota::integer                                        as quota,
    (c.active_count + c.on_leave_count)::integer            as headcount,
    c.active_count::integer                                 as active_count,
    c.on_leave_count::integer                               as on_leave_count,
    (c.quota - c.active_count - c.on_leave_count)::integer  as vacancy,
    -- added columns last: an existing table gets them appended (on_schema_change)
    greatest(c.quota - c.active_count - c.on_leave_count, 0)::integer as open_positions,
    greatest(c.active_count + c.on_leave_count - c.quota, 0)::integer as overstaffed,
    band_label.label_ko::text                               as grade_band_ko
from counted as c
left join units as u on u.code = c.org_unit_code
{{ code_label_join('grade_band', 'c.grade_band', 'band_label') }}
