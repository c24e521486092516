"""The states of the 보증운용배수 (operating multiple) that the risk alert reports, and when they change.

marts.fct_operating_multiple_daily classifies every day (OK / WARN / BREACH / LEGAL, with the levels
it used). Two rules are added here, in this one place, and every risk alert follows them:

- PROJECTED (운용한도 초과 예상): a day below the policy limit (OK or WARN) whose forecast — the
  BASELINE central path of marts.fct_operating_multiple_forecast from the latest as-of date on or
  before the day — is above the policy limit on a day within N days after it
  (CGF_PROJECTED_WITHIN_DAYS, default 90; 0 switches PROJECTED off). Severity: OK < WARN <
  PROJECTED < BREACH < LEGAL. The forecast cannot live in the daily mart (it is built from it),
  so the day's projection is joined to it by include.alerts.streams and judged by observed_state().
- Hysteresis: a more severe state is reported at once; a less severe one only once the days
  below the current state have held for K consecutive days (CGF_DEESCALATE_AFTER_DAYS, default 5;
  1 reports every change), so a multiple hovering at a level does not flap BREACH → WARN → BREACH.
  The state it steps down to is the highest of those K days, from the first of them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

OK, WARN, PROJECTED, BREACH, LEGAL = "OK", "WARN", "PROJECTED", "BREACH", "LEGAL"
SEVERITY = {OK: 0, WARN: 1, PROJECTED: 2, BREACH: 3, LEGAL: 4}
MART_COLUMNS = ("as_of_date", "guarantee_balance_krw", "basic_assets_krw", "operating_multiple", "status",
                "headroom_krw", "warn_level", "policy_limit", "legal_limit")
PROJECTION_COLUMNS = ("projection_as_of", "projected_date", "assets_needed_krw", "year_end_date")


@dataclass(frozen=True)
class Day:
    """One row of marts.fct_operating_multiple_daily (MART_COLUMNS), with its projection (PROJECTION_COLUMNS).

    projection_as_of: the as-of date of the forecast the day is judged by; projected_date: the first
    day after it with the central multiple above the policy limit (None: not within the forecast's
    year); assets_needed_krw: basic assets to add by year_end_date to end the year within the
    policy limit (rpt_operating_multiple_outlook.assets_needed_policy_krw).
    """
    as_of_date: date
    guarantee_balance_krw: int
    basic_assets_krw: int
    operating_multiple: Decimal | float | None
    status: str | None
    headroom_krw: int | None
    warn_level: Decimal | float
    policy_limit: Decimal | float
    legal_limit: Decimal | float
    projection_as_of: date | None = None
    projected_date: date | None = None
    assets_needed_krw: int | None = None
    year_end_date: date | None = None


@dataclass(frozen=True)
class Rules:
    """N and K of the module docstring (include.warehouse.settings reads them from the environment)."""
    projected_within_days: int = 90
    deescalate_after_days: int = 5


def configured_rules() -> Rules:
    from include.warehouse import settings

    return Rules(settings.projected_within_days(), settings.deescalate_after_days())


@dataclass(frozen=True)
class Transition:
    """The state changed on `day` (the first date of the new state); a step down is `confirmed` K days on."""
    previous: str
    status: str
    day: Day
    confirmed: date | None = None

    @property
    def first_date(self) -> date:
        return self.day.as_of_date

    @property
    def escalates(self) -> bool:
        return SEVERITY[self.status] > SEVERITY[self.previous]


def observed_state(day: Day, rules: Rules = Rules()) -> str | None:
    """The day's own state: the mart's status, raised to PROJECTED below the policy limit (None: no multiple)."""
    if day.status is None:
        return None
    horizon = day.as_of_date + timedelta(days=rules.projected_within_days)
    if SEVERITY[day.status] < SEVERITY[PROJECTED] and day.projected_date is not None and day.projected_date <= horizon:
        return PROJECTED
    return day.status


def _below(days: Iterable[Day], current: str, rules: Rules) -> list[tuple[Day, str]]:
    """The trailing run of `days` whose state is below `current`: the step down still pending."""
    run: list[tuple[Day, str]] = []
    for day in days:
        state = observed_state(day, rules)
        if state is None:
            continue
        run = [*run, (day, state)] if SEVERITY[state] < SEVERITY[current] else []
    return run


def transitions(days: Iterable[Day], previous: str, rules: Rules = Rules(),
                lead_in: Iterable[Day] = ()) -> list[Transition]:
    """The reported changes of state over `days` (in date order), starting from `previous`.

    lead_in: the days just before `days` (already judged, ending in `previous`): those below it
    count towards the K days of a step down, so hysteresis holds across nightly runs.
    """
    found = []
    current, pending = previous, _below(lead_in, previous, rules)
    for day in days:
        state = observed_state(day, rules)
        if state is None:
            continue
        if SEVERITY[state] > SEVERITY[current]:
            found.append(Transition(current, state, day))
            current, pending = state, []
        elif state == current:
            pending = []
        else:
            pending.append((day, state))
            if len(pending) >= rules.deescalate_after_days:
                lower = max((s for _, s in pending), key=SEVERITY.__getitem__)
                found.append(Transition(current, lower, pending[0][0], confirmed=day.as_of_date))
                current, pending = lower, _below([d for d, _ in pending], lower, rules)
    return found


def final_state(days: Iterable[Day], previous: str, rules: Rules = Rules()) -> str:
    """The reported state after `days`."""
    changes = transitions(days, previous, rules)
    return changes[-1].status if changes else previous
