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


{#- The one update both post-hooks issue: column := the seed's value where they differ. -#}
{% macro sync_column_from_seed(column, seed, seed_value, match) -%}
    {{- "update " ~ this ~ " as t set " ~ column ~ " = s." ~ seed_value
        ~ " from " ~ seed ~ " as s where " ~ match
        ~ " and t." ~ column ~ " is distinct from s." ~ seed_value -}}
{%- endmacro %}
