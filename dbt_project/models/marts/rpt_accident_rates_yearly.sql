-- 사고율·대위변제율: accident rate = accident amount ÷ average guarantee balance (mean of the
-- opening balance, at the previous year end, and the closing balance, at through_date) × 100;
-- subrogation rate likewise with the amount subrogated (대위변제). The *_on_opening_pct variants
-- divide by the opening balance instead. In the cut-over year there is no opening balance (the
-- warehouse starts at the cut-over) and its flows are only the opening snapshot: no rates. A
-- partial year's rates are year-to-date (not annualised).
with

years as (select * from {{ ref('int_report_years') }}),

yearly as (select * from {{ ref('int_yearly_activity') }}),

joined as (

    select
        a.year,
        a.opening_balance_amount_krw                                        as opening_balance_krw,
        a.balance_amount_krw                                                as closing_balance_krw,
        (a.opening_balance_amount_krw + a.balance_amount_krw) / 2.0         as average_balance_krw,
        a.accident_count,
        a.accident_amount_krw,
        a.subrogation_count,
        a.subrogation_amount_krw
    from yearly as a

)

select
    j.year::integer                                                     as year,
    {{ report_year_columns('y') }},
    j.opening_balance_krw::bigint                                       as opening_balance_krw,
    j.closing_balance_krw::bigint                                       as closing_balance_krw,
    round(j.average_balance_krw)::bigint                                as average_balance_krw,
    j.accident_count::integer                                           as accident_count,
    j.accident_amount_krw::bigint                                       as accident_amount_krw,
    j.subrogation_count::integer                                        as subrogation_count,
    j.subrogation_amount_krw::bigint                                    as subrogation_amount_krw,
    {{ pct('j.accident_amount_krw', 'j.average_balance_krw') }}         as accident_rate_pct,
    {{ pct('j.subrogation_amount_krw', 'j.average_balance_krw') }}      as subrogation_rate_pct,
    {{ pct('j.accident_amount_krw', 'j.opening_balance_krw') }}         as accident_rate_on_opening_pct,
    {{ pct('j.subrogation_amount_krw', 'j.opening_balance_krw') }}      as subrogation_rate_on_opening_pct
from joined as j
join years as y on y.year = j.year
