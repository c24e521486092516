{#-
  코드 표시명: the Korean label of a status/type code, from the one seed ref_code_labels (domain,
  code, label_ko, label_en). A mart joins it once per labelled column and selects
  <alias>.label_ko as <column>_ko beside the code:

      select s.status, status_label.label_ko as status_ko
      from ... as s
      {{ code_label_join('multiple_status', 's.status', 'status_label') }}

  (a join, not a scalar subquery: hashed, it costs nothing on the large facts). Names of org
  units, programs, banks and contributor types come from their own seeds instead.
-#}
{% macro code_label_join(domain, code_expr, alias) -%}
    left join {{ ref('ref_code_labels') }} as {{ alias }}
      on {{ alias }}.domain = '{{ domain }}' and {{ alias }}.code = ({{ code_expr }})::text
{%- endmacro %}


{#-
  Post-hook of the incremental marts: bring the stored labels of rows built earlier in line with
  ref_code_labels (a label edited in the seed, or a label column added to an existing table by
  on_schema_change='append_new_columns'). Rows whose label already matches are not written, so a
  night with nothing changed rewrites nothing. labels: {label_column: (domain, code_column)}.
-#}
{% macro sync_code_labels(labels) -%}
    {%- set statements = [] -%}
    {%- for label_column, spec in labels.items() -%}
        {%- do statements.append(sync_column_from_seed(
            label_column, ref('ref_code_labels'), 'label_ko',
            "s.domain = '" ~ spec[0] ~ "' and s.code = t." ~ spec[1] ~ "::text")) -%}
    {%- endfor -%}
    {{ statements | join(';\n') }}
{%- endmacro %}


{#-
  Post-hook of the incremental marts, for names beside codes (org units, programs, banks): like
  sync_code_labels, but from the code's own seed (code, name_ko). Brings the stored names of rows
  built earlier in line with the seed (a name edited in the seed, or a name column appended to an
  existing table by on_schema_change='append_new_columns'); rows whose name already matches are
  not written. names: {name_column: (seed, code_column)}, e.g.
  {'bank_name': ('ref_banks', 'bank_code')}.
-#}
{% macro sync_code_names(names) -%}
    {%- set statements = [] -%}
    {%- for name_column, spec in names.items() -%}
        {%- do statements.append(sync_column_from_seed(
            name_column, ref(spec[0]), 'name_ko', "s.code = t." ~ spec[1])) -%}
    {%- endfor -%}
    {{ statements | join(';\n') }}
{%- endmacro %}


{#-
  The one update both post-hooks issue: column := the seed's value where they differ.

  Checking every stored row costs a scan of the whole table (fct_guarantee_events: millions of
  rows, once per label column) although a night's rows are built with the seed as it is. So the
  update runs only when the column has not been synced with this version of the seed:
  label_sync_state (below) keeps, per table and column, the checksum of the seed file (dbt's own,
  from the manifest) and the column's identity in PostgreSQL (table oid and attribute number) of
  the last sync. A seed edited, a column appended (or dropped and appended again), a table built
  anew: the whole table is synced once, then not again until one of them changes. The gate is a
  one-time filter of the update (an uncorrelated `not exists`: no row is read when it holds), and
  the sync is recorded in the same transaction as the update (the model's).
-#}
{% macro sync_column_from_seed(column, seed, seed_value, match) -%}
    {%- set update = "update " ~ this ~ " as t set " ~ column ~ " = s." ~ seed_value
        ~ " from " ~ seed ~ " as s where " ~ match
        ~ " and t." ~ column ~ " is distinct from s." ~ seed_value -%}
    {%- set checksum = seed_checksum(seed) -%}
    {%- if checksum is none -%}
        {{- update -}}
    {%- else -%}
        {%- set key = "'" ~ this.schema ~ "." ~ this.identifier ~ "', '" ~ column ~ "'" -%}
        {%- set column_id = "(select a.attrelid::text || '.' || a.attnum from pg_attribute as a where a.attrelid = '"
            ~ adapter.quote(this.schema) ~ "." ~ adapter.quote(this.identifier) ~ "'::regclass and a.attname = '"
            ~ column ~ "')" -%}
        {{- update ~ " and not exists (select from " ~ label_sync_state() ~ " as z"
            ~ " where (z.relation_name, z.label_column) = (" ~ key ~ ") and z.seed_checksum = '" ~ checksum ~ "'"
            ~ " and z.column_id = " ~ column_id ~ ");\n"
            ~ "insert into " ~ label_sync_state() ~ " as z (relation_name, label_column, seed_checksum, column_id)"
            ~ " values (" ~ key ~ ", '" ~ checksum ~ "', " ~ column_id ~ ") on conflict (relation_name, label_column)"
            ~ " do update set seed_checksum = excluded.seed_checksum, column_id = excluded.column_id, synced_at = now()"
            ~ " where (z.seed_checksum, z.column_id) is distinct from (excluded.seed_checksum, excluded.column_id)" -}}
    {%- endif -%}
{%- endmacro %}


{#- label_sync_state: which seed version each label or name column of the incremental marts was
    last synced with. Created by the project's on-run-start hook (dbt_project.yml). -#}
{% macro label_sync_state() -%}
    {{- generate_schema_name('intermediate', none) ~ '.label_sync_state' -}}
{%- endmacro %}

{% macro create_label_sync_state() -%}
    create table if not exists {{ label_sync_state() }} (
        relation_name text not null,
        label_column text not null,
        seed_checksum text not null,
        column_id text not null,
        synced_at timestamptz not null default now(),
        primary key (relation_name, label_column)
    )
{%- endmacro %}


{#- dbt's checksum of a seed's file (from the manifest), none when not known (then always synced). -#}
{% macro seed_checksum(seed) -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'seed'
                and node.alias == seed.identifier and node.schema == seed.schema -%}
            {{- return(node.checksum.checksum) -}}
        {%- endfor -%}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}
