-- 보증운용배수 전망 요약 (outlook): per as-of date and scenario, from the forecast's paths, the first
-- projected day at or above the warning level / above the policy and legal limits (central and
-- pessimistic = p90), and the basic assets to add by the year-end to end the year within the levels.
with

forecast as (select * from {{ ref('fct_operating_multiple_forecast') }}),

actuals as (select * from {{ ref('fct_operating_multiple_daily') }}),

crossings as (

    select
        as_of_date,
        scenario_code,
        min(forecast_date) filter (where operating_multiple >= warn_level)          as first_warn_date,
        min(forecast_date) filter (where operating_multiple_p90 >= warn_level)      as first_warn_date_p90,
        min(forecast_date) filter (where operating_multiple > policy_limit)         as first_breach_date,
        min(forecast_date) filter (where operating_multiple_p90 > policy_limit)     as first_breach_date_p90,
        min(forecast_date) filter (where operating_multiple > legal_limit)          as first_legal_breach_date,
        min(forecast_date) filter (where operating_multiple_p90 > legal_limit)      as first_legal_breach_date_p90,
        max(operating_multiple)                                                     as peak_operating_multiple
    from forecast
    group by as_of_date, scenario_code

),

year_end as (

    -- the first 31 December after the as-of date (the next year's on an as-of 31 December)
    select *
    from forecast
    where forecast_date = (date_trunc('year', as_of_date + 1) + interval '1 year - 1 day')::date

)

select
    y.as_of_date::date                                                          as as_of_date,
    y.is_latest_as_of::boolean                                                  as is_latest_as_of,
    y.scenario_code::text                                                       as scenario_code,
    y.scenario_name_ko::text                                                    as scenario_name_ko,
    a.operating_multiple::numeric(12, 6)                                        as as_of_operating_multiple,
    y.warn_level::numeric(6, 2)                                                 as warn_level,
    y.policy_limit::numeric(6, 2)                                               as policy_limit,
    y.legal_limit::numeric(6, 2)                                                as legal_limit,
    c.first_warn_date::date                                                     as first_warn_date,
    c.first_warn_date_p90::date                                                 as first_warn_date_p90,
    c.first_breach_date::date                                                   as first_breach_date,
    c.first_breach_date_p90::date                                               as first_breach_date_p90,
    c.first_legal_breach_date::date                                             as first_legal_breach_date,
    c.first_legal_breach_date_p90::date                                         as first_legal_breach_date_p90,
    c.peak_operating_multiple::numeric(12, 6)                                   as peak_operating_multiple,
    y.forecast_date::date                                                       as year_end_date,
    y.guarantee_balance_krw::bigint                                             as year_end_guarantee_balance_krw,
    y.basic_assets_krw::bigint                                                  as year_end_basic_assets_krw,
    y.operating_multiple::numeric(12, 6)                                        as year_end_operating_multiple,
    y.operating_multiple_p90::numeric(12, 6)                                    as year_end_operating_multiple_p90,
    -- X such that balance ÷ (assets + X) is at the level on the year-end: balance ÷ level − assets;
    -- on the p90 path (no balance of its own): assets × (multiple ÷ level − 1)
    greatest(ceil(y.guarantee_balance_krw / y.policy_limit - y.basic_assets_krw), 0)::bigint
                                                                                as assets_needed_policy_krw,
    greatest(ceil(y.basic_assets_krw * (y.operating_multiple_p90 / y.policy_limit - 1)), 0)::bigint
                                                                                as assets_needed_policy_p90_krw,
    greatest(ceil(y.guarantee_balance_krw / y.warn_level - y.basic_assets_krw), 0)::bigint
                                                                                as assets_needed_warn_krw,
    greatest(ceil(y.basic_assets_krw * (y.operating_multiple_p90 / y.warn_level - 1)), 0)::bigint
                                                                                as assets_needed_warn_p90_krw
from year_end as y
join crossings as c on c.as_of_date = y.as_of_date and c.scenario_code = y.scenario_code
join actuals as a on a.as_of_date = y.as_of_date
