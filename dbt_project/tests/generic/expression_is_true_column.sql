{# The column satisfies `<column> <expression>` on every row, e.g. expression ">= 0". #}
{% test expression_is_true_column(model, column_name, expression) %}
select *
from {{ model }}
where not ({{ column_name }} {{ expression }})
{% endtest %}
