-- No balance is ever negative: guarantee balances (by construction), basic assets, monthly balances.
-- Claim balances are checked per movement in int_claim_movements (severity warn: a claim movement
-- larger than the claim is a ledger finding of the data, not a build failure).
-- The nightly run checks the days it restated (macros/test_window.sql).
select 'guarantee' as kind, event_key as id from {{ ref('int_guarantee_events') }}
where (balance_after_krw < 0 or balance_before_krw < 0) and {{ in_test_window('event_date') }}
union all
select 'multiple_daily', as_of_date::text from {{ ref('fct_operating_multiple_daily') }}
where guarantee_balance_krw < 0 or basic_assets_krw < 0
union all
select 'monthly', month_start_date::text || branch_code || program_code
from {{ ref('fct_supply_balance_monthly') }}
where balance_amount_krw < 0 or balance_count < 0
