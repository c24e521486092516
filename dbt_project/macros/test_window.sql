{#
  What a dbt test looks at: the whole history, or only the days the run restated.

  The var test_window is 'all' (the default: a hand-run `dbt build` or `dbt test`, a rebuild
  with --full-refresh) or 'restated' (the nightly DAG, include/transform/cosmos_dbt.py). With
  'restated', a test of a relation that names its restate column (the config restate_column of
  the incremental models; meta.restate_column of the staging views and raw sources) looks only
  at the rows dated >= restate_from(): the rows the run (re)computed. Rows before that date are
  the ones earlier builds wrote and tested, and nothing of the run touched them (the
  incremental models delete and recompute exactly the rows >= restate_from()). On a run that
  builds everything (a new warehouse: every delivery unbuilt) restate_from() is the first
  delivery, so the window is the whole history.

  restate_from() is read in SQL when the test runs, during the build and before mark_built: the
  window is the one the models restated, whatever the loader did earlier (a failed night's
  deliveries stay unbuilt and are restated, and tested, the next night). The var itself never
  changes from night to night, so dbt's partial parse is kept (a var that changed would force a
  full parse).

  Uniqueness tests see the window only: a key that repeats an older row outside it is excluded
  by the warehouse itself (the raw tables' unique keys, the daily marts' keys are the restated
  dates).
#}
{% macro test_window_is_restated() -%}
    {{- return(var('test_window', 'all') == 'restated') -}}
{%- endmacro %}


{#- The restate column of the model or source behind `relation`, one of the test's parents (none
    when it has none). -#}
{% macro restate_column_of(relation) -%}
    {%- for unique_id in model.depends_on.nodes -%}
        {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
        {%- if node and node.resource_type in ('model', 'source')
              and (node.identifier if node.resource_type == 'source' else node.alias) == relation.identifier
              and node.schema == relation.schema -%}
            {%- set column = node.config.get('restate_column')
                  or (node.config.get('meta') or {}).get('restate_column')
                  or (node.get('meta') or {}).get('restate_column') -%}
            {{- return(column or none) -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(none) -}}
{%- endmacro %}


{#
  dbt wraps the model of every generic test in get_where_subquery(); this version adds the
  restated window (above) to the test's own `where` config, if any.
#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do filters.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- if execute and test_window_is_restated() -%}
        {%- set column = restate_column_of(relation) -%}
        {%- if column -%}{%- do filters.append(adapter.quote(column) ~ ' >= ' ~ restate_from()) -%}{%- endif -%}
    {%- endif -%}
    {%- if filters -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ filters | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{- return(filtered) -}}
    {%- endif -%}
    {{- return(relation) -}}
{%- endmacro %}


{#
  The same window for a singular test (dbt_project/tests): `<column> >= restate_from()` with
  test_window 'restated', else `true` (the whole history). from_year_start: from 1 January of
  the year of restate_from() (a test of yearly figures reads the whole first restated year).

      where balance_after_krw < 0 and {{ in_test_window('event_date') }}
#}
{% macro in_test_window(column, from_year_start=false) -%}
    {%- if test_window_is_restated() and from_year_start -%}
        {{ column }} >= date_trunc('year', {{ restate_from() }})::date
    {%- elif test_window_is_restated() -%}
        {{ column }} >= {{ restate_from() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
