{#- Grants (dbt_project.yml `+grants`) go to the roles include/warehouse/roles.py creates. A warehouse
    whose user may not create roles may lack them: dbt grants to those that exist instead of failing
    the build (the migrations say in the log that the roles are missing). -#}
{% macro postgres__get_grant_sql(relation, privilege, grantees) -%}
    {%- set existing = existing_roles(grantees) -%}
    {%- if existing -%}
        grant {{ privilege }} on {{ relation.render() }} to {{ existing | join(', ') }}
    {%- else -%}
        select 'no role to grant {{ privilege }} on {{ relation.render() }} to' as skipped
    {%- endif -%}
{%- endmacro %}

{% macro existing_roles(names) -%}
    {%- set found = run_query("select rolname from pg_roles where rolname in ('" ~ names | join("', '") ~ "')") -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}
