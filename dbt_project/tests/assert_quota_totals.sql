-- 정원: the quota seed sums to 86 with the report's grade-band totals.
with expected (grade_band, quota) as (
    values ('1', 2), ('2', 6), ('3', 13), ('4', 20), ('5-6', 44), ('OTHER', 1)
),

actual as (
    select grade_band, sum(quota) as quota from {{ ref('ref_quota') }} group by grade_band
)

select e.grade_band, e.quota as expected_quota, a.quota as actual_quota
from expected as e
full outer join actual as a using (grade_band)
where e.quota is distinct from a.quota
