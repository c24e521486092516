{{ config(severity=var('reconciliation_severity', 'warn')) }}
-- Severity warn by default (scaled or partial data legitimately differs); CI on the full demo runs
-- with --vars "{reconciliation_severity: error}".
-- 보고서 대사: every published figure the warehouse covers is reproduced exactly.
select figure_id, relation, year, metric, published_value, warehouse_value, difference
from {{ ref('rpt_reconciliation') }}
where status = 'DIFF'
