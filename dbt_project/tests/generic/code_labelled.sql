{#- Every code of the column has a label in reference.ref_code_labels (domain), and the mart's
    label column (default <column>_ko) carries it. Fails with the codes and labels that do not. -#}
{% test code_labelled(model, column_name, domain, label_column=none) %}
{%- set label_column = label_column or column_name ~ '_ko' %}
select distinct
    m.{{ column_name }}::text       as code,
    m.{{ label_column }}            as mart_label,
    l.label_ko                      as seed_label
from (select * from {{ model }}) as m  -- a subquery: model may be a `where` subquery (macros/test_window.sql)
left join {{ ref('ref_code_labels') }} as l
  on l.domain = '{{ domain }}' and l.code = m.{{ column_name }}::text
where m.{{ column_name }} is not null
  and (l.code is null or m.{{ label_column }} is distinct from l.label_ko)
{% endtest %}
