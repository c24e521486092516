{{ config(severity=var('reconciliation_severity', 'error')) }}
-- 보고서 대사: every published figure the warehouse covers is reproduced exactly.
select figure_id, relation, year, metric, published_value, warehouse_value, difference
from {{ ref('rpt_reconciliation') }}
where status = 'DIFF'
