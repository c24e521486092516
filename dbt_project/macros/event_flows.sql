{#
  The day's flows of guarantee events, one count and one amount column per flow:
  <flow>_count and <flow>_amount_krw over the rows whose event_type is one of the flow's types
  (supply = NEW + EXTEND). The daily rollups (int_daily_balance_changes,
  int_daily_branch_program_changes) take their flows from here, so they agree by construction.
#}
{% macro event_flow_columns(flows) -%}
    {%- for flow, event_types in flows %}
    {%- set kinds = "'" ~ event_types | join("', '") ~ "'" %}
    count(*) filter (where event_type in ({{ kinds }}))::integer as {{ flow }}_count,
    coalesce(sum(amount_krw) filter (where event_type in ({{ kinds }})), 0)::bigint as {{ flow }}_amount_krw
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
