{#- The period columns every yearly report carries, from int_report_years (alias y): what the
    year covers. Documented once, in models/report_years.md (doc blocks). -#}
{% macro report_year_columns(y='y') -%}
    {{ y }}.from_date::date                 as from_date,
    {{ y }}.through_date::date              as through_date,
    {{ y }}.is_partial_year::boolean        as is_partial_year,
    {{ y }}.is_cutover_year::boolean        as is_cutover_year
{%- endmacro %}

{#- The comparison period of the reports with changes against the previous year. -#}
{% macro report_prev_period_columns(y='y') -%}
    {{ y }}.prev_period_from_date::date     as prev_period_from_date,
    {{ y }}.prev_period_through_date::date  as prev_period_through_date
{%- endmacro %}
