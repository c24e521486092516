{#- The columns of the node the running test is attached to whose constraints include not_null. -#}
{% macro not_null_constrained_columns() -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- set node = graph.nodes.get(model.attached_node) -%}
        {%- for column in (node.columns.values() if node else []) -%}
            {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
                {%- do columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(columns) -}}
{%- endmacro %}
