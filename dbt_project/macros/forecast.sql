{#- Post-hook of fct_operating_multiple_forecast: the actual multiple of the forecast days a build
    restated, in the rows of the as-of dates it kept (before restate_point()); rows whose actual is
    already right are not written. -#}
{% macro forecast_actuals_restated() -%}
    update {{ this }} as f
    set actual_operating_multiple = a.operating_multiple
    from {{ ref('fct_operating_multiple_daily') }} as a
    where a.as_of_date = f.forecast_date
      and f.forecast_date >= {{ restate_point() }}
      and f.as_of_date < {{ restate_point() }}
      and f.actual_operating_multiple is distinct from a.operating_multiple
{%- endmacro %}
