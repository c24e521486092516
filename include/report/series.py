"""The figures behind the council report's charts, read from the marts.

- the 보증운용배수 of every day of the 24 months up to the end of the period, with the levels the
  mart applied that day (warn_level, policy_limit, legal_limit: the settings dbt applied, never
  constants here);
- its projection when the forecast mart exists (marts.fct_operating_multiple_forecast: the
  baseline scenario's central multiple and p10–p90 band, as forecast on the latest as-of date up
  to the end of the period); without it, the chart shows the actuals and the levels only;
- 보증공급 by month and program of the year (marts.fct_supply_balance_monthly).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from include.warehouse import db

MULTIPLE_MONTHS = 24
FORECAST_RELATION = "marts.fct_operating_multiple_forecast"
FORECAST_SCENARIO = "BASELINE"  # 기준 전망 of reference.ref_forecast_scenarios; the others are stress scenarios
# the three levels of fct_operating_multiple_daily (include.alerts.mail.LEVEL_NAMES names them)
LEVEL_COLUMNS = {"warn": "warn_level", "policy": "policy_limit", "legal": "legal_limit"}


@dataclass(frozen=True)
class MultipleDay:
    as_of_date: date
    multiple: float
    levels: dict[str, float]  # warn, policy, legal of that day


@dataclass(frozen=True)
class ForecastDay:
    forecast_date: date
    central: float
    p10: float | None  # the band is null until enough earlier forecasts have come true
    p90: float | None


@dataclass(frozen=True)
class Forecast:
    as_of_date: date  # the day the forecast was made
    days: tuple[ForecastDay, ...]


@dataclass(frozen=True)
class MonthlySupply:
    months: tuple[date, ...]  # first day of each month of the year covered
    amounts_krw: dict[str, tuple[int, ...]]  # program name → supply amount per month, largest program first


def multiple_days(conn: psycopg.Connection, through: date) -> list[MultipleDay]:
    """The multiple of each day of the MULTIPLE_MONTHS months up to `through`, with that day's levels."""
    levels = sql.SQL(", ").join(sql.Identifier(c) for c in LEVEL_COLUMNS.values())
    rows = conn.execute(sql.SQL(
        "select as_of_date, operating_multiple, {} from marts.fct_operating_multiple_daily "
        "where as_of_date <= %s and as_of_date > %s::date - make_interval(months => %s) "
        "and operating_multiple is not null order by as_of_date").format(levels),
        (through, through, MULTIPLE_MONTHS)).fetchall()
    return [MultipleDay(day, float(multiple), {key: float(v) for key, v in zip(LEVEL_COLUMNS, values)})
            for day, multiple, *values in rows]


def forecast(conn: psycopg.Connection, through: date) -> Forecast | None:
    """The baseline forecast made on the latest as-of date up to `through`; None without the mart or one."""
    if not db.relation_exists(conn, FORECAST_RELATION):
        return None
    rows = conn.execute(
        f"select as_of_date, forecast_date, operating_multiple, operating_multiple_p10, operating_multiple_p90 "
        f"from {FORECAST_RELATION} where scenario_code = %(scenario)s and as_of_date = ("
        f"  select max(as_of_date) from {FORECAST_RELATION} where scenario_code = %(scenario)s "
        f"  and as_of_date <= %(through)s) order by forecast_date",
        {"scenario": FORECAST_SCENARIO, "through": through}).fetchall()
    if not rows:
        return None
    return Forecast(rows[0][0], tuple(ForecastDay(day, float(central), _number(p10), _number(p90))
                                      for _, day, central, p10, p90 in rows))


def _number(value) -> float | None:
    return None if value is None else float(value)


def monthly_supply(conn: psycopg.Connection, year: int, through: date) -> MonthlySupply:
    """보증공급 (NEW + EXTEND) of each month of the year up to `through`, by program."""
    rows = conn.execute(
        "select month_start_date, program_name, sum(supply_amount_krw) from marts.fct_supply_balance_monthly "
        "where year = %s and month_start_date <= %s group by 1, 2 order by 1, 2", (year, through)).fetchall()
    months = tuple(sorted({month for month, _, _ in rows}))
    amounts = {(month, program): int(amount) for month, program, amount in rows}
    programs = sorted({p for _, p, _ in rows}, key=lambda p: -sum(a for (_, q), a in amounts.items() if q == p))
    return MonthlySupply(months, {p: tuple(amounts.get((m, p), 0) for m in months) for p in programs})
