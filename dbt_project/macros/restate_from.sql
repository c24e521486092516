{#
  The first delivery date an incremental run must (re)compute: the earliest delivery loaded
  since the last successful build (ops.deliveries.dbt_built_at is null). A re-sent day D makes
  this D, so everything from D onwards is recomputed and nothing before it.
  Returns a SQL date expression; with nothing pending it is a date after all data.
#}
{% macro restate_from() -%}
    (select coalesce(min(delivery_date), date '9999-12-31')
       from ops.deliveries
      where status = 'LOADED' and dbt_built_at is null)
{%- endmacro %}
