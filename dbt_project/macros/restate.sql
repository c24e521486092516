{#
  The first delivery date an incremental run must (re)compute: the earliest delivery loaded
  since the last successful build (ops.deliveries.dbt_built_at is null). A re-sent day D makes
  this D, so everything from D onwards is recomputed and nothing before it.
  Returns a SQL date expression; with nothing pending it is a date after all data.
  Read through source('ops', 'deliveries'), so that the lineage shows it.

  When dbt executes, the date is read once per node and written into its SQL as a literal
  (date 'YYYY-MM-DD'): with a literal the planner reads the restated days through the date
  indexes, while with the subquery it must guess and scans the whole table (measured: 1 s
  instead of 16 ms for a test of one day of fct_guarantee_events at --scale 10). The value does
  not change during a build: the pipeline marks the deliveries built after it (mark_built). When
  dbt parses (execute false) it is the subquery, which is also what sqlfluff lints.
#}
{% macro restate_from() -%}
    {%- set deliveries = source('ops', 'deliveries') -%}
    {%- set pending -%}
        (select coalesce(min(delivery_date), date '9999-12-31')
           from {{ deliveries }}
          where status = 'LOADED' and dbt_built_at is null)
    {%- endset -%}
    {%- if execute -%}
        {%- set found = run_query('select ' ~ pending ~ '::text') -%}
        date '{{ found.columns[0].values()[0] }}'
    {%- else -%}
        {{ pending }}
    {%- endif -%}
{%- endmacro %}


{#
  The filter of the restated window on an incremental run: `<keyword> <column> >= restate_from()`;
  nothing on a full build. restate_from() is also called while dbt parses (execute is false, and
  so is is_incremental()), because that is when dbt records a model's sources: this puts
  ops.deliveries in the lineage of every model that uses it. A unit test (is_incremental()
  overridden to false) needs no fixture for it.

  delivered_on: a staging view's delivery_date, filtered on too. The extract contract makes a
  row's date its delivery's (equals_delivery_date), so the rows are the same; but raw's index is
  on delivery_date, and through it a night reads its days instead of scanning the raw table.
#}
{% macro restate_filter(column, keyword='where', delivered_on=none) -%}
    {%- if not execute or is_incremental() -%}
        {%- set restate_point = restate_from() -%}
        {%- if is_incremental() -%}
            {{ keyword }} {{ column }} >= {{ restate_point }}
            {%- if delivered_on %} and {{ delivered_on }} >= {{ restate_point }}{% endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#
  Where the running model restates from: restate_from(), or with the model config
  restate_from_month_end the month-end before it (a model of month-end rows whose latest row,
  the latest loaded day, is replaced by the next build: fct_operating_multiple_forecast). The
  deletion of the strategy below and the model's own filter both read it.
#}
{% macro restate_point() -%}
    {%- if restate_config('restate_from_month_end') -%}
        (date_trunc('month', {{ restate_from() }}) - interval '1 day')::date
    {%- else -%}
        {{ restate_from() }}
    {%- endif -%}
{%- endmacro %}


{#- A config of the running model for the strategy 'restate' (restate_column,
    restate_from_month_end); also read from meta, where dbt wants custom config keys on the adapters
    whose configs it validates. None where config has no get (sqlfluff's stand-in for it). -#}
{% macro restate_config(name) -%}
    {%- if config.get is not defined -%}{{ return(none) }}{%- endif -%}
    {{- return(config.get(name) or (config.get('meta') or {}).get(name)) -}}
{%- endmacro %}


{#
  Custom incremental strategy 'restate' (dbt looks up get_incremental_<strategy>_sql):
  delete the target's rows with restate_column >= restate_point(), then insert the rows the
  model computed (the temp relation of the incremental materialization). Both statements run in
  the materialization's one transaction, committed at its end.

      {{ config(materialized='incremental', incremental_strategy='restate',
                restate_column='as_of_date') }}

  The model itself must select only its rows from restate_point() on (restate_filter(), or
  restate_point() itself).
#}
{% macro get_incremental_restate_sql(arg_dict) -%}
    {%- set restate_column = restate_config('restate_column') -%}
    {%- if not restate_column -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'restate' needs the config restate_column (the date column "
            ~ "restated from restate_from()) in model " ~ model.name) }}
    {%- endif -%}
    {%- set deliveries = 'source.' ~ project_name ~ '.ops.deliveries' -%}
    {%- if deliveries not in model.depends_on.nodes -%}
        {{ exceptions.raise_compiler_error(
            "model " ~ model.name ~ " uses incremental_strategy 'restate' but dbt did not record "
            ~ "source('ops', 'deliveries') as its parent: call restate_filter() (or restate_from() "
            ~ "outside is_incremental()) in the model") }}
    {%- endif -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}

    delete from {{ target_relation }}
    where {{ adapter.quote(restate_column) }} >= {{ restate_point() }};

    insert into {{ target_relation }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
