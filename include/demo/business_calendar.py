"""The demo's calendar: Korean business days (public holidays of 2019–2021), month arithmetic."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

FIXED_HOLIDAYS = {(1, 1), (3, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25)}
MOVABLE_HOLIDAYS = frozenset(date.fromisoformat(d) for d in (
    "2019-02-04", "2019-02-05", "2019-02-06", "2019-05-06", "2019-09-12", "2019-09-13",
    "2020-01-24", "2020-01-27", "2020-04-15", "2020-04-30", "2020-08-17", "2020-09-30",
    "2020-10-01", "2020-10-02", "2021-02-11", "2021-02-12", "2021-05-19", "2021-08-16",
    "2021-09-20", "2021-09-21", "2021-09-22", "2021-10-04", "2021-10-11",
))


def is_business_day(day: date) -> bool:
    """Weekdays that are no Korean public holiday (fixed dates, plus lunar ones of 2019–2021)."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS and day not in MOVABLE_HOLIDAYS


def calendar_days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def business_days(first: date, last: date) -> list[date]:
    return [day for day in calendar_days(first, last) if is_business_day(day)]


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    first = date(day.year + index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))
