"""보증운용배수 (operating multiple) levels and the changes of state the risk alert reports.

OK below the warn level, WARN at or above it, BREACH above the policy limit, LEGAL above the
legal limit (지역신용보증재단법 §19). The three levels come from Airflow Variables
(cgf_multiple_warn_level, cgf_multiple_policy_limit, cgf_multiple_legal_limit), else from the
environment (CGF_MULTIPLE_WARN_LEVEL, …), else the defaults 9 / 10 / 15.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

OK, WARN, BREACH, LEGAL = "OK", "WARN", "BREACH", "LEGAL"
SEVERITY = {OK: 0, WARN: 1, BREACH: 2, LEGAL: 3}


@dataclass(frozen=True)
class Levels:
    warn: float = 9.0
    policy: float = 10.0
    legal: float = 15.0

    def __post_init__(self) -> None:
        if not self.warn <= self.policy <= self.legal:
            raise ValueError(f"multiple levels must rise: warn {self.warn} ≤ policy {self.policy} ≤ legal {self.legal}")


@dataclass(frozen=True)
class Day:
    """One row of marts.fct_operating_multiple_daily."""
    as_of_date: date
    guarantee_balance_krw: int
    basic_assets_krw: int
    operating_multiple: Decimal | float | None


@dataclass(frozen=True)
class Transition:
    """The state changed on `day` (the first date the new state was reached)."""
    previous: str
    status: str
    day: Day

    @property
    def first_date(self) -> date:
        return self.day.as_of_date

    @property
    def escalates(self) -> bool:
        return SEVERITY[self.status] > SEVERITY[self.previous]


def _setting(variable: str, env: str, default: float) -> float:
    try:
        from airflow.sdk import Variable

        value = Variable.get(variable, default=None)
    except Exception:  # outside a task (CLI, tests) there may be no Variable store to ask
        value = None
    if value in (None, ""):
        value = os.environ.get(env) or default
    return float(value)


def configured_levels() -> Levels:
    return Levels(
        warn=_setting("cgf_multiple_warn_level", "CGF_MULTIPLE_WARN_LEVEL", Levels.warn),
        policy=_setting("cgf_multiple_policy_limit", "CGF_MULTIPLE_POLICY_LIMIT", Levels.policy),
        legal=_setting("cgf_multiple_legal_limit", "CGF_MULTIPLE_LEGAL_LIMIT", Levels.legal),
    )


def classify(multiple: Decimal | float | None, levels: Levels) -> str | None:
    """The state of one day's multiple; None when it is undefined (no basic assets)."""
    if multiple is None:
        return None
    value = float(multiple)
    if value > levels.legal:
        return LEGAL
    if value > levels.policy:
        return BREACH
    if value >= levels.warn:
        return WARN
    return OK


def transitions(days: Iterable[Day], previous: str, levels: Levels) -> list[Transition]:
    """Every change of state over `days` (in date order), starting from state `previous`."""
    found = []
    current = previous
    for day in days:
        status = classify(day.operating_multiple, levels)
        if status is None or status == current:
            continue
        found.append(Transition(current, status, day))
        current = status
    return found
