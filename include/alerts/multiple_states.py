"""The changes of state of the 보증운용배수 (operating multiple) that the risk alert reports.

The state of each day is not computed here: marts.fct_operating_multiple_daily classifies
every day (OK / WARN / BREACH / LEGAL, with the levels it used), and this module only finds
where that state changes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

OK, WARN, BREACH, LEGAL = "OK", "WARN", "BREACH", "LEGAL"
SEVERITY = {OK: 0, WARN: 1, BREACH: 2, LEGAL: 3}
MART_COLUMNS = ("as_of_date", "guarantee_balance_krw", "basic_assets_krw", "operating_multiple", "status",
                "headroom_krw", "warn_level", "policy_limit", "legal_limit")


@dataclass(frozen=True)
class Day:
    """One row of marts.fct_operating_multiple_daily (the columns of MART_COLUMNS)."""
    as_of_date: date
    guarantee_balance_krw: int
    basic_assets_krw: int
    operating_multiple: Decimal | float | None
    status: str | None
    headroom_krw: int | None
    warn_level: Decimal | float
    policy_limit: Decimal | float
    legal_limit: Decimal | float


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


def transitions(days: Iterable[Day], previous: str) -> list[Transition]:
    """Every change of the mart's status over `days` (in date order), starting from `previous`."""
    found = []
    current = previous
    for day in days:
        if day.status is None or day.status == current:
            continue
        found.append(Transition(current, day.status, day))
        current = day.status
    return found
