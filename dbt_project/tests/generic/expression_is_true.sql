{# Every row satisfies the SQL expression (no dbt_utils dependency). #}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
