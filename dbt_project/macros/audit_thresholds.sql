{#- 감사 20-6: the two thresholds of reference.ref_audit_thresholds as one row (review, pre-audit),
    read by fct_audit_large_guarantees_daily and its completeness test alike. -#}
{% macro audit_thresholds() -%}
    select
        max(amount_krw) filter (where threshold_code = 'DAILY_REVIEW') as review_threshold_krw,
        max(amount_krw) filter (where threshold_code = 'PRE_AUDIT') as pre_audit_threshold_krw
    from {{ ref('ref_audit_thresholds') }}
{%- endmacro %}
