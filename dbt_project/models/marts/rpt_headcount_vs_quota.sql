-- 기구 및 인원: quota (정원) against headcount (현원 = ACTIVE + LEAVE) per roster snapshot,
-- org unit and grade band (1, 2, 3, 4, 5-6, OTHER). Quota cells without staff are kept.
with

roster as (select * from {{ ref('stg_headcount') }}),

quota as (select * from {{ ref('ref_quota') }}),

units as (select * from {{ ref('ref_org_units') }}),

snapshots as (select distinct snapshot_date from roster),

actual as (

    select
        snapshot_date,
        org_unit_code,
        grade_band,
        count(*) filter (where employment_status = 'ACTIVE')    as active_count,
        count(*) filter (where employment_status = 'LEAVE')     as on_leave_count
    from roster
    group by snapshot_date, org_unit_code, grade_band

),

grid as (

    select s.snapshot_date, q.org_unit_code, q.grade_band
    from snapshots as s
    cross join quota as q
    union
    select snapshot_date, org_unit_code, grade_band
    from actual

)

select
    g.snapshot_date::date                                               as as_of_date,
    g.org_unit_code::text                                               as org_unit_code,
    u.name_ko::text                                                     as org_unit_name,
    g.grade_band::text                                                  as grade_band,
    coalesce(q.quota, 0)::integer                                       as quota,
    (coalesce(a.active_count, 0) + coalesce(a.on_leave_count, 0))::integer as headcount,
    coalesce(a.active_count, 0)::integer                                as active_count,
    coalesce(a.on_leave_count, 0)::integer                              as on_leave_count,
    (coalesce(q.quota, 0) - coalesce(a.active_count, 0) - coalesce(a.on_leave_count, 0))::integer
                                                                        as vacancy
from grid as g
left join quota as q
  on q.org_unit_code = g.org_unit_code and q.grade_band = g.grade_band
left join actual as a
  on a.snapshot_date = g.snapshot_date and a.org_unit_code = g.org_unit_code
 and a.grade_band = g.grade_band
left join units as u on u.code = g.org_unit_code
