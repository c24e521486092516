{#
  보고서 대사: each published figure (ref_published_figures, in the report's unit) beside the
  warehouse value converted to the same unit (million_krw: round(krw / 1e6); hundred_million_krw:
  round(krw / 1e8); multiple: round(x, 2); count and pct as they are) and the difference.
  Metric names are the relation's column, qualified after ':' where the relation has more than
  one row per year (ledger, plan category, contributor, org unit, grade band).
  relation_ko, unit_ko and status_ko are the Korean labels of ref_code_labels (domains
  report_relation, report_unit, reconciliation_status).
#}
-- The unpivots below read each row's own columns, unqualified, in lateral value lists:
-- noqa: disable=RF02
with

published as (select * from {{ ref('ref_published_figures') }}),

loaded as (

    select min(delivery_date) as cutover_date, max(delivery_date) as last_delivery_date
    from {{ ref('stg_deliveries') }}
    where status = 'LOADED'

),

supply as (

    select 'rpt_supply_yearly' as relation, year, null::date as as_of_date, v.metric, v.value
    from {{ ref('rpt_supply_yearly') }}
    cross join lateral (values
        ('supply_count', supply_count::numeric), ('supply_amount_krw', supply_amount_krw),
        ('new_count', new_count), ('new_amount_krw', new_amount_krw),
        ('extension_count', extension_count), ('extension_amount_krw', extension_amount_krw),
        ('balance_count', balance_count), ('balance_amount_krw', balance_amount_krw),
        ('plan_count', plan_count), ('plan_amount_krw', plan_amount_krw),
        ('count_attainment_pct', count_attainment_pct), ('amount_attainment_pct', amount_attainment_pct),
        ('supply_count_change', supply_count_change), ('supply_amount_change_krw', supply_amount_change_krw),
        ('supply_count_growth_pct', supply_count_growth_pct), ('supply_amount_growth_pct', supply_amount_growth_pct),
        ('balance_count_change', balance_count_change), ('balance_amount_change_krw', balance_amount_change_krw),
        ('balance_count_growth_pct', balance_count_growth_pct), ('balance_amount_growth_pct', balance_amount_growth_pct)
    ) as v (metric, value)

),

supply_plans as (

    select 'ref_supply_plans' as relation, year, null::date as as_of_date, v.metric, v.value
    from {{ ref('ref_supply_plans') }}
    cross join lateral (values
        ('plan_count', plan_count::numeric), ('plan_amount_krw', plan_amount_krw),
        ('new_plan_count', new_plan_count), ('new_plan_amount_krw', new_plan_amount_krw),
        ('extension_plan_count', extension_plan_count), ('extension_plan_amount_krw', extension_plan_amount_krw)
    ) as v (metric, value)

),

accidents as (

    select 'rpt_accidents_yearly' as relation, year, null::date as as_of_date, v.metric, v.value
    from {{ ref('rpt_accidents_yearly') }}
    cross join lateral (values
        {%- set parts = [] %}
        {%- for m in ['accident', 'normalized', 'claim', 'recovery'] %}
        {%- for c in [m ~ '_count', m ~ '_amount_krw', m ~ '_count_change', m ~ '_amount_change_krw',
                      m ~ '_count_growth_pct', m ~ '_amount_growth_pct'] %}
        {%- do parts.append("('" ~ c ~ "', " ~ c ~ "::numeric)") %}
        {%- endfor %}
        {%- endfor %}
        {{ parts | join(',\n        ') }}
    ) as v (metric, value)

),

basic_assets as (

    select 'rpt_basic_assets_yearly' as relation, year, null::date as as_of_date, v.metric, v.value
    from {{ ref('rpt_basic_assets_yearly') }}
    cross join lateral (values
        ('opening_krw', opening_krw::numeric), ('contributions_krw', contributions_krw),
        ('losses_krw', losses_krw), ('closing_krw', closing_krw)
    ) as v (metric, value)

),

contributions as (

    select 'rpt_contributions_yearly' as relation, year, null::date as as_of_date,
           v.metric || ':' || plan_category as metric, v.value
    from {{ ref('rpt_contributions_yearly') }}
    cross join lateral (values
        ('plan_amount_krw', plan_amount_krw::numeric), ('actual_amount_krw', actual_amount_krw),
        ('attainment_pct', attainment_pct)
    ) as v (metric, value)

    union all

    select 'rpt_contributions_yearly', year, null::date, v.metric || ':TOTAL', v.value
    from (
        select year, sum(plan_amount_krw) as plan_krw, sum(actual_amount_krw) as actual_krw
        from {{ ref('rpt_contributions_yearly') }}
        group by year
    ) as t
    cross join lateral (values
        ('plan_amount_krw', plan_krw), ('actual_amount_krw', actual_krw),
        ('attainment_pct', {{ pct('actual_krw', 'plan_krw') }})
    ) as v (metric, value)

),

by_contributor as (

    select 'rpt_contributions_by_contributor_yearly' as relation, year, null::date as as_of_date,
           'amount_krw:' || plan_category || ':' || contributor_code as metric,
           sum(amount_krw)::numeric as value
    from {{ ref('rpt_contributions_by_contributor_yearly') }}
    group by year, plan_category, contributor_code

    union all

    select 'rpt_contributions_by_contributor_yearly', year, null::date,
           'amount_krw:' || plan_category || ':' || contributor_code || ':'
           || coalesce(program_code, 'GENERAL'),
           sum(amount_krw)::numeric
    from {{ ref('rpt_contributions_by_contributor_yearly') }}
    group by year, plan_category, contributor_code, coalesce(program_code, 'GENERAL')

    union all

    select 'rpt_contributions_by_contributor_yearly', year, null::date,
           'amount_krw:' || plan_category || ':type:' || contributor_type,
           sum(amount_krw)::numeric
    from {{ ref('rpt_contributions_by_contributor_yearly') }}
    group by year, plan_category, contributor_type

),

multiple as (

    select 'fct_operating_multiple_daily' as relation,
           extract(year from as_of_date)::integer as year, as_of_date, v.metric, v.value
    from {{ ref('fct_operating_multiple_daily') }}
    cross join lateral (values
        ('operating_multiple', operating_multiple), ('guarantee_balance_krw', guarantee_balance_krw::numeric),
        ('basic_assets_krw', basic_assets_krw::numeric), ('policy_limit', policy_limit),
        ('legal_limit', legal_limit)
    ) as v (metric, value)
    where as_of_date in (select as_of_date from published where relation = 'fct_operating_multiple_daily')

),

headcount_rows as (

    select * from {{ ref('rpt_headcount_vs_quota') }}
    where as_of_date in (select as_of_date from published where relation = 'rpt_headcount_vs_quota')

),

headcount as (

    select 'rpt_headcount_vs_quota' as relation, extract(year from as_of_date)::integer as year,
           as_of_date, v.metric || ':' || grade_band as metric, v.value
    from (
        select as_of_date, grade_band, sum(quota) as quota, sum(headcount) as headcount
        from headcount_rows group by as_of_date, grade_band
    ) as b
    cross join lateral (values ('quota', quota), ('headcount', headcount)) as v (metric, value)

    union all

    select 'rpt_headcount_vs_quota', extract(year from as_of_date)::integer, as_of_date,
           v.metric || ':TOTAL', v.value
    from (
        select as_of_date, sum(quota) as quota, sum(headcount) as headcount,
               sum(on_leave_count) as on_leave_count
        from headcount_rows group by as_of_date
    ) as t
    cross join lateral (values
        ('quota', quota), ('headcount', headcount), ('on_leave_count', on_leave_count)
    ) as v (metric, value)

    union all

    select 'rpt_headcount_vs_quota', extract(year from as_of_date)::integer, as_of_date,
           'active_count:' || org_unit_code, sum(active_count)
    from headcount_rows
    group by as_of_date, org_unit_code

),

programs as (

    select 'rpt_program_utilisation' as relation, year, null::date as as_of_date,
           'size_krw:' || program_code as metric, size_krw::numeric as value
    from {{ ref('rpt_program_utilisation') }}

),

warehouse as (

    select * from supply
    union all select * from supply_plans
    union all select * from accidents
    union all select * from basic_assets
    union all select * from contributions
    union all select * from by_contributor
    union all select * from multiple
    union all select * from headcount
    union all select * from programs

),

compared as (

    select
        p.figure_id,
        p.relation,
        p.year,
        p.metric,
        p.unit,
        p.value                                             as published_value,
        case p.unit
            when 'million_krw' then round(w.value / 1e6)
            when 'hundred_million_krw' then round(w.value / 1e8)
            when 'multiple' then round(w.value, 2)
            else w.value
        end                                                 as warehouse_value,
        -- a figure of a period the loaded deliveries do not fully cover yet (the nightly build
        -- runs on partial years) is not compared; plans and sizes are reference values
        (p.relation like 'ref\_%'
         or p.metric like 'plan\_%'
         or p.metric like 'size\_krw%'
         or p.metric in ('policy_limit', 'legal_limit')
         or l.last_delivery_date >= coalesce(p.as_of_date, make_date(p.year, 12, 31)))
                                                            as is_period_covered,
        coalesce(p.as_of_date, make_date(p.year, 12, 31))   as period_end_date,
        p.relation in (select wr.relation from warehouse as wr) as is_in_warehouse,
        l.cutover_date,
        l.last_delivery_date,
        p.note
    from published as p
    cross join loaded as l
    left join warehouse as w
      on w.relation = p.relation
     and w.year = p.year
     and w.metric = p.metric
     and (p.as_of_date is null or w.as_of_date = p.as_of_date)

),

classified as (

    select
        *,
        case
            when warehouse_value is null or not is_period_covered then 'NOT_COVERED'
            when warehouse_value = published_value then 'MATCH'
            else 'DIFF'
        end                                                 as status,
        -- why a figure is not compared (every NOT_COVERED row says it)
        case
            when not is_in_warehouse then
                '보고서에만 있는 수치 (figure of the report only): no relation of the warehouse '
                || 'holds it — it is not derivable from the extracts'
            when period_end_date < cutover_date then
                '이관 이전 (before the cut-over): the warehouse starts at the cut-over of '
                || to_char(cutover_date, 'YYYY-MM-DD') || ' and holds nothing before it'
            when not is_period_covered then
                '기간 미경과 (period not yet covered): the deliveries loaded end on '
                || to_char(last_delivery_date, 'YYYY-MM-DD') || ', before the end of the '
                || 'figure''s period (' || to_char(period_end_date, 'YYYY-MM-DD') || ')'
            when warehouse_value is null then
                '웨어하우스 값 없음 (no warehouse value): ' || relation || ' has no row for '
                || metric || ' in ' || year
        end                                                 as not_covered_reason
    from compared

)

select
    c.figure_id,
    c.relation,
    relation_label.label_ko                                 as relation_ko,
    c.year,
    c.metric,
    c.unit,
    unit_label.label_ko                                     as unit_ko,
    c.published_value,
    c.warehouse_value,
    c.warehouse_value - c.published_value                   as difference,
    c.status,
    status_label.label_ko                                   as status_ko,
    case
        when c.status = 'NOT_COVERED' then
            c.not_covered_reason || coalesce('; ' || nullif(c.note, ''), '')
        else c.note
    end                                                     as note
from classified as c
{{ code_label_join('report_relation', 'c.relation', 'relation_label') }}
{{ code_label_join('report_unit', 'c.unit', 'unit_label') }}
{{ code_label_join('reconciliation_status', 'c.status', 'status_label') }}
