{#- Post-hook of fct_operating_multiple_forecast: the actual multiple of the forecast days a build
    restated, in the rows of the as-of dates it kept (before restate_point()); rows whose actual is
    already right are not written. -#}
{% macro forecast_actuals_restated() -%}
    {%- set restated_from = restate_point() -%}  {#- one query: restate_from() reads ops.deliveries -#}
    update {{ this }} as f
    set actual_operating_multiple = a.operating_multiple
    from {{ ref('fct_operating_multiple_daily') }} as a
    where a.as_of_date = f.forecast_date
      and f.forecast_date >= {{ restated_from }}
      and f.as_of_date < {{ restated_from }}
      and f.actual_operating_multiple is distinct from a.operating_multiple
{%- endmacro %}
