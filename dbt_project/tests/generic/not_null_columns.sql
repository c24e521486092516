{#- No null in the columns of the model (or seed) that declare the constraint not_null
    (`constraints: [{type: not_null}]` in its YAML): one query for all of them, where a not_null
    test per column would cost dbt a node each (a night's build is mostly that per-node cost).

    A model whose contract is enforced and is rebuilt whole has the constraint in its table
    (PostgreSQL refuses the null): it needs no test. Every other model and seed with such columns
    has this one at the model level (tests/test_dag_integrity.py checks that none is left out).
    Fails with one row per column that holds nulls, and how many rows. -#}
{% test not_null_columns(model) %}
{%- set columns = not_null_constrained_columns() %}
select v.column_name, count(*) as null_rows
from (select * from {{ model }}) as t  -- a subquery: model may be a `where` subquery (macros/test_window.sql)
cross join lateral (values
    {%- for column in columns %}
    ('{{ column }}', t.{{ adapter.quote(column) }} is null){{ ',' if not loop.last }}
    {%- else %}
    (null::text, false)
    {%- endfor %}
) as v (column_name, is_null)
where v.is_null
group by v.column_name
{% endtest %}
