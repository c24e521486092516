{#- Percentages of the foundation's reports: one decimal, numeric, null when the base is 0/null. -#}
{% macro pct(numerator, denominator) -%}
    round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), 1)
{%- endmacro %}

{#- growth against the previous period: round(100 × (this − prev) / prev, 1) -#}
{% macro growth_pct(this_value, prev_value) -%}
    round(100.0 * (({{ this_value }}) - ({{ prev_value }})) / nullif({{ prev_value }}, 0), 1)
{%- endmacro %}

{#- The delete of the incremental window, used as pre_hook of the incremental models. -#}
{% macro delete_restated(date_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ date_column }} >= {{ restate_from() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
