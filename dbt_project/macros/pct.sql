{#- Percentages of the foundation's reports: one decimal, numeric, null when the base is 0/null. -#}
{% macro pct(numerator, denominator) -%}
    round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), 1)
{%- endmacro %}

{#- growth against the previous period: round(100 × (this − prev) / prev, 1) -#}
{% macro growth_pct(this_value, prev_value) -%}
    round(100.0 * (({{ this_value }}) - ({{ prev_value }})) / nullif({{ prev_value }}, 0), 1)
{%- endmacro %}
