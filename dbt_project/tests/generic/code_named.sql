{#- The name column carries the name of its code from the code's seed (reference.<seed>.name_ko,
    e.g. ref_org_units, ref_programs, ref_banks) wherever the code is not null: never null there,
    never another name. Fails with the codes and names that do not. Applied to the name column:

        - name: bank_name
          data_tests:
            - code_named:
                arguments: {code_column: bank_code, to: ref('ref_banks')}
-#}
{% test code_named(model, column_name, code_column, to) %}
select distinct
    m.{{ code_column }}::text       as code,
    m.{{ column_name }}             as mart_name,
    s.name_ko                       as seed_name
from (select * from {{ model }}) as m  -- a subquery: model may be a `where` subquery (macros/test_window.sql)
left join {{ to }} as s
  on s.code = m.{{ code_column }}::text
where m.{{ code_column }} is not null
  and (m.{{ column_name }} is null or m.{{ column_name }} is distinct from s.name_ko)
{% endtest %}
