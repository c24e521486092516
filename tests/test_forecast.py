"""The 보증운용배수 forecast (issue 11: items 1, 2, 3): its grain, its band, the backtest, the scenarios and
the first-crossing dates, on the demo built by the real DAG (as tests/test_acceptance_report.py does).

The demo's figures are discussed in docs/forecast.md; the levels (9× / 10× / 15×) are read from the
marts, never written here.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest

HORIZON = 365
BACKTEST = [(date(2020, 6, 30), 3), (date(2020, 6, 30), 6), (date(2020, 9, 30), 3), (date(2020, 9, 30), 6)]


@pytest.fixture(scope="module")
def marts(demo_warehouse):
    with psycopg.connect(demo_warehouse["url"]) as conn:
        yield conn


def rows(conn, sql, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def test_one_row_per_as_of_date_scenario_and_horizon_day(marts):
    scenarios = {c for (c,) in rows(marts, "select scenario_code from reference.ref_forecast_scenarios")}
    assert {"BASELINE", "SUPPLY_UP_30", "CONTRIB_LATE_6M", "ACCIDENTS_X2"} <= scenarios
    grain = rows(marts, """
        select as_of_date, scenario_code, count(*), count(distinct horizon_day), min(horizon_day), max(horizon_day),
               bool_and(forecast_date = as_of_date + horizon_day)
        from marts.fct_operating_multiple_forecast group by as_of_date, scenario_code""")
    assert all(r[2:] == (HORIZON, HORIZON, 1, HORIZON, True) for r in grain)
    as_of_dates = {r[0] for r in grain}
    assert {s for (_, s, *_) in grain} == scenarios
    assert len(grain) == len(as_of_dates) * len(scenarios)
    # month-ends after the cut-over and the latest loaded day: not every day
    [(first, last)] = rows(marts, "select min(as_of_date), max(as_of_date) from marts.fct_operating_multiple_daily")
    month_ends = {d for (d,) in rows(marts, """
        select as_of_date from marts.fct_operating_multiple_daily
        where as_of_date = (date_trunc('month', as_of_date) + interval '1 month - 1 day')::date""")}
    assert as_of_dates == (month_ends - {first}) | {last}
    [(latest,)] = rows(marts, "select distinct as_of_date from marts.fct_operating_multiple_forecast "
                              "where is_latest_as_of")
    assert latest == last


def test_band_holds_the_central_value(marts):
    [(bad, banded, total)] = rows(marts, """
        select count(*) filter (where not (operating_multiple_p10 <= operating_multiple
                                           and operating_multiple <= operating_multiple_p90
                                           and guarantee_balance_p10_krw <= guarantee_balance_krw
                                           and guarantee_balance_krw <= guarantee_balance_p90_krw
                                           and basic_assets_p10_krw <= basic_assets_krw
                                           and basic_assets_krw <= basic_assets_p90_krw)),
               count(operating_multiple_p10), count(*)
        from marts.fct_operating_multiple_forecast""")
    assert bad == 0 and banded > total / 2
    # from 2020 on every forecast has a band (3+ earlier month-end forecasts have come true)
    [(unbanded,)] = rows(marts, "select count(*) from marts.fct_operating_multiple_forecast "
                                "where as_of_date >= '2020-01-01' and operating_multiple_p10 is null")
    assert unbanded == 0


def test_levels_are_the_daily_marts(marts):
    """The forecast reads the levels from the same vars as fct_operating_multiple_daily."""
    daily = rows(marts, "select distinct warn_level, policy_limit, legal_limit from marts.fct_operating_multiple_daily")
    forecast = rows(marts, "select distinct warn_level, policy_limit, legal_limit "
                           "from marts.fct_operating_multiple_forecast")
    assert forecast == daily and len(daily) == 1


def test_backtest_error_is_bounded(marts):
    """The demo's backtest: forecasts of 2020-06-30 and 2020-09-30 against 3 and 6 months later.

    Bound: each absolute error of the multiple ≤ 2.0 points, and their mean ≤ 1.25.
    Why: the demo's 2020 is the COVID surge — supply doubled from March to July 2020 and fell back
    in the autumn, and the contributions came in far above plan (2020: 629억 against a plan of
    153.5억). A method built on trailing flows and the plans cannot foresee either reversal: it
    gives 0.65 / 1.94 (2020-06-30, +3 / +6 months) and 1.05 / 0.53 (2020-09-30), mean 1.04 (see
    docs/forecast.md). 2.0 points is the gap between the warning level and the policy limit plus
    a margin: a forecast further off than that could not tell "approaching the limit" from
    "past it", and the bound is a regression guard over the figures above: a change of method that
    makes them worse must be deliberate and update the docs.
    """
    got = {(r[0], r[1]): r[2:] for r in rows(marts, """
        select as_of_date, months_ahead, target_date, abs_error, projected_operating_multiple,
               actual_operating_multiple, is_within_band, projected_operating_multiple_p10
        from marts.rpt_forecast_backtest""")}
    assert set(BACKTEST) <= set(got)
    errors = [got[key][1] for key in BACKTEST]
    assert all(e <= Decimal("2.0") for e in errors), errors
    assert sum(errors) / len(errors) <= Decimal("1.25"), errors
    for key in BACKTEST:
        target, error, projected, actual, inside, p10 = got[key]
        assert target.month == (key[0].month + key[1] - 1) % 12 + 1  # the month-end 3 / 6 months on
        assert error == abs(projected - actual) and p10 is not None and inside is not None


def test_first_crossing_of_the_warning_level_as_of_2020_09_30(marts):
    """Done-when: as of 2020-09-30 the forecast gives the first day ≥ the warning level, and the
    backtest says how far it was from the actual first such day."""
    [(projected, projected_p90, warn)] = rows(marts, """
        select first_warn_date, first_warn_date_p90, warn_level from marts.rpt_operating_multiple_outlook
        where as_of_date = '2020-09-30' and scenario_code = 'BASELINE'""")
    assert projected is not None and projected_p90 <= projected
    [(actual,)] = rows(marts, "select min(as_of_date) from marts.fct_operating_multiple_daily "
                              "where as_of_date > '2020-09-30' and operating_multiple >= %s", warn)
    assert actual is not None  # the demo reaches 9× in March 2021
    backtest = rows(marts, """
        select actual_first_warn_date, projected_first_warn_date, first_warn_error_days, first_warn_error_days_p90
        from marts.rpt_forecast_backtest where as_of_date = '2020-09-30'""")
    assert len(backtest) == 2
    for actual_day, projected_day, days, days_p90 in backtest:
        assert (actual_day, projected_day) == (actual, projected)
        assert days == (projected - actual).days and days_p90 == (projected_p90 - actual).days


def test_supply_up_30_projects_a_higher_multiple(marts):
    [(lower, total, higher_at_end)] = rows(marts, """
        select count(*) filter (where s.operating_multiple < b.operating_multiple), count(*),
               bool_and(s.operating_multiple > b.operating_multiple) filter (where b.horizon_day = 365)
        from marts.fct_operating_multiple_forecast as b
        join marts.fct_operating_multiple_forecast as s
          on s.as_of_date = b.as_of_date and s.horizon_day = b.horizon_day and s.scenario_code = 'SUPPLY_UP_30'
        where b.scenario_code = 'BASELINE'""")
    assert total > 0 and lower == 0 and higher_at_end


@pytest.mark.parametrize("column,path,op,level", [
    ("first_warn_date", "operating_multiple", ">=", "warn_level"),
    ("first_warn_date_p90", "operating_multiple_p90", ">=", "warn_level"),
    ("first_breach_date", "operating_multiple", ">", "policy_limit"),
    ("first_breach_date_p90", "operating_multiple_p90", ">", "policy_limit"),
    ("first_legal_breach_date", "operating_multiple", ">", "legal_limit"),
    ("first_legal_breach_date_p90", "operating_multiple_p90", ">", "legal_limit"),
])
def test_crossing_dates_follow_the_projected_path(marts, column, path, op, level):
    """A crossing date is a day the path is past the level, with no such day before it; null: none in the year."""
    [(wrong, crossings, outlooks)] = rows(marts, f"""
        with checked as (
            select o.as_of_date, o.scenario_code, o.{column} as crossing,
                   bool_or(f.{path} {op} f.{level}) filter (where f.forecast_date < o.{column}) as earlier,
                   bool_or(f.{path} {op} f.{level}) filter (where f.forecast_date = o.{column}) as on_the_day,
                   bool_or(f.{path} {op} f.{level}) as ever
            from marts.rpt_operating_multiple_outlook as o
            join marts.fct_operating_multiple_forecast as f
              on f.as_of_date = o.as_of_date and f.scenario_code = o.scenario_code
            group by o.as_of_date, o.scenario_code, o.{column}
        )
        select count(*) filter (where case when crossing is null then coalesce(ever, false)
                                           else coalesce(earlier, false) or not on_the_day end),
               count(crossing), count(*)
        from checked""")
    assert wrong == 0 and outlooks > 0
    if column == "first_warn_date":
        assert crossings > 0  # the demo's 2020 forecasts do reach the warning level


def test_assets_needed_bring_the_year_end_within_the_level(marts):
    outlook = rows(marts, """
        select year_end_guarantee_balance_krw, year_end_basic_assets_krw, policy_limit, warn_level,
               assets_needed_policy_krw, assets_needed_warn_krw
        from marts.rpt_operating_multiple_outlook""")
    assert any(r[4] > 0 for r in outlook)
    for balance, assets, policy, warn, needed_policy, needed_warn in outlook:
        assert balance / (assets + needed_policy) <= policy
        assert balance / (assets + needed_warn) <= warn
        if needed_policy > 0:  # and not more than needed (to the won)
            assert balance / (assets + needed_policy - 2) > policy
