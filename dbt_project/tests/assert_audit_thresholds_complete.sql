-- 감사 20-6: both thresholds are in ref_audit_thresholds (fct_audit_large_guarantees_daily
-- selects nothing without DAILY_REVIEW and flags nothing without PRE_AUDIT), and the pre-audit
-- threshold is not below the daily-review one.
with

thresholds as (

    {{ audit_thresholds() }}

)

select *
from thresholds
where review_threshold_krw is null
   or pre_audit_threshold_krw is null
   or pre_audit_threshold_krw < review_threshold_krw
