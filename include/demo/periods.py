"""Plan periods: the figures that apply, the guarantee events scheduled on the business days, the
planned recoveries and claim work, the closing targets and the progress towards them."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from include.demo.amounts import (
    capped_partition,
    partition,
    split_amounts,
    weighted_sample,
)
from include.demo.business_calendar import business_days, month_end
from include.demo.ledger import Claim, Ledger
from include.demo.plan import (
    DEFAULT_START,
    GENERIC_MONTH,
    HISTORY_MONTH,
    MILLION,
    MONTHLY_FIGURES,
    PLANNED_GUARANTEE_EVENTS,
    SHAPES,
    YEARLY_FIGURES,
    Flow,
    PeriodFigures,
    scaled_krw,
)


@dataclass
class ControlStats:
    """What terminations, extensions and subrogations took off the book, recent periods weighing most."""
    released: float = 0
    terminations: float = 0
    extended_before: float = 0
    extended_after: float = 0
    followup_released: float = 0
    subrogations: float = 0

    def fade(self) -> None:
        """Halve the weight of everything so far (called when a new period starts)."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) / 2)


@dataclass
class Period:
    """One plan period: its scheduled events, claim work, closing targets and progress."""
    key: str
    days: list[date]  # business days
    target_count: int
    target_krw: int
    schedule: dict[date, list[tuple[str, int]]]
    recoveries: dict[date, list[tuple[Claim, int]]]
    claim_tasks: dict[date, list[tuple[str, int]]]
    recovery_claims: set[Claim]
    remaining: dict[str, list[int]]  # event type → [count, amount] not yet carried out
    stats: ControlStats
    deferred: list[tuple[str, int]] = field(default_factory=list)
    carry: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # amount still to place

    def days_left(self, day: date) -> int:
        return sum(1 for other in self.days if other >= day)

    def take(self, day: date) -> list[tuple[str, int]]:
        items, self.deferred = self.deferred + self.schedule.pop(day, []), []
        return items

    def done(self, kind: str, amount: int) -> None:
        self.remaining[kind][0] -= 1
        self.remaining[kind][1] -= amount

    def defer(self, kind: str, amount: int) -> None:
        self.deferred.append((kind, amount))

    def count_gap(self, ledger: Ledger) -> int:
        """Terminations still needed to close the period at its target count."""
        new_count, subrogations = self.remaining["NEW"][0], self.remaining["SUBROGATE"][0]
        return ledger.live_count + new_count - subrogations - self.target_count


HISTORY = " (history)"  # the key's suffix of a history month


def period_bounds(start: date, end: date, window_start: date | None = None) -> Iterator[tuple[str, date, date]]:
    """(key, first, last) of the plan periods after the cut-over: the history's months up to
    `window_start` (when the cut-over is earlier, --years), then the report's years whole (from the
    default window only), else calendar months."""
    window_start = window_start or start
    day = start + timedelta(days=1)
    while day <= end:
        year_key = str(day.year)
        if day <= window_start:
            key, last = f"{day.year}-{day.month:02d}{HISTORY}", min(month_end(day), window_start)
        elif window_start == DEFAULT_START and year_key in YEARLY_FIGURES and (day.month, day.day) == (1, 1):
            key, last = year_key, date(day.year, 12, 31)
        else:
            key, last = f"{day.year}-{day.month:02d}", month_end(day)
        yield key, day, last
        day = last + timedelta(days=1)


def figures_for(key: str, scenario: str, start: date) -> PeriodFigures:
    """The report's plan applies to the book as it was at the default cut-over (`start`: where the
    window begins); from any other cut-over every month follows the generic plan, in the history 2019's
    volumes by month."""
    if key.endswith(HISTORY):
        return HISTORY_MONTH
    if start != DEFAULT_START:
        return GENERIC_MONTH
    return YEARLY_FIGURES.get(key) or MONTHLY_FIGURES.get((key, scenario)) or GENERIC_MONTH


def build_period(key: str, first: date, last: date, figures: PeriodFigures, ledger: Ledger,
                 scale: float, stats: ControlStats, rng: random.Random,
                 steer: tuple[int, int, int] | None = None) -> Period:
    """`steer` (history months): (count, won, periods left) the book is to reach at the end of the
    history; each month closes its share of the way there."""
    days = business_days(first, last)
    stats.fade()
    if not days:
        return Period(key, [], ledger.live_count, ledger.total_balance, {}, {}, {}, set(),
                      {kind: [0, 0] for kind in PLANNED_GUARANTEE_EVENTS}, stats)
    schedule, remaining = schedule_guarantee_events(figures, days, scale, rng)
    if steer:
        count, krw, left = steer
        target_count = ledger.live_count + round((count - ledger.live_count) / left)
        target_krw = ledger.total_balance + (krw - ledger.total_balance) // left
    else:
        target_count, target_krw = closing_targets(figures, ledger, remaining, scale)
    recoveries, recovery_claims = plan_recourse_recoveries(figures.recovery, ledger, days, scale, rng)
    return Period(key, days, target_count, target_krw, schedule, recoveries,
                  plan_claim_tasks(figures, days, scale), recovery_claims, remaining, stats)


def schedule_guarantee_events(figures: PeriodFigures, days: list[date], scale: float, rng: random.Random):
    schedule: dict[date, list[tuple[str, int]]] = defaultdict(list)
    remaining = {}
    for kind in PLANNED_GUARANTEE_EVENTS:
        count, amount_krw = getattr(figures, kind.lower()).scaled(scale)
        amounts = split_amounts(amount_krw, count, SHAPES[kind], rng)
        weights = [figures.new_month_weights[day.month - 1] if kind == "NEW" else 1.0 for day in days]
        for day, amount in zip(rng.choices(days, weights=weights, k=count), amounts):
            schedule[day].append((kind, amount))
        remaining[kind] = [count, amount_krw]
    return schedule, remaining


def closing_targets(figures: PeriodFigures, ledger: Ledger, remaining: dict, scale: float) -> tuple[int, int]:
    if figures.balance is not None:
        return figures.balance.scaled(scale)
    (new_count, new_krw), (sub_count, sub_krw) = remaining["NEW"], remaining["SUBROGATE"]
    return (ledger.live_count + (new_count - sub_count) // 2,
            ledger.total_balance + (new_krw - sub_krw) // 2)


MIN_RECOVERY_BASE = 5 * MILLION
RECOVERY_CAP_SHARE = 0.7  # a period never recovers more than this share of a claim's balance
RECOVERY_UNIT = 1_000


def plan_recourse_recoveries(flow: Flow, ledger: Ledger, days: list[date], scale: float, rng: random.Random):
    """Recoveries on the recourse ledger: exactly `count` distinct claims and the exact amount."""
    count, amount_krw = flow.scaled(scale)
    candidates = [claim for claim in ledger.recourse if claim.recourse >= MIN_RECOVERY_BASE]
    chosen = weighted_sample(candidates, [claim.recourse / MILLION for claim in candidates], count, rng)
    caps = [int(claim.recourse * RECOVERY_CAP_SHARE) // RECOVERY_UNIT for claim in chosen]
    total_units = min(amount_krw // RECOVERY_UNIT, sum(caps))  # less only when claims are few (small scales)
    amounts = capped_partition(total_units, caps, rng) if chosen else []
    recoveries: dict[date, list[tuple[Claim, int]]] = defaultdict(list)
    for claim, units in zip(chosen, amounts):
        pieces = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        for part in partition(units, min(pieces, units), rng, sigma=0.5, low=1, high=units):
            recoveries[rng.choice(days)].append((claim, part * RECOVERY_UNIT))
    return recoveries, set(chosen)


def plan_claim_tasks(figures: PeriodFigures, days: list[date], scale: float) -> dict[date, list[tuple[str, int]]]:
    """Write-offs at quarter ends, special-ledger work at month ends (won amounts to reach)."""
    month_ends = sorted({max(day for day in days if day.month == month) for month in {d.month for d in days}})
    quarter_ends = [day for day in month_ends if day.month % 3 == 0] or month_ends[-1:]
    tasks: dict[date, list[tuple[str, int]]] = defaultdict(list)
    for day in quarter_ends:
        tasks[day].append(("WRITE_OFF", scaled_krw(figures.write_off, scale) // len(quarter_ends)))
    for day in month_ends:
        for kind, million in figures.special:
            tasks[day].append((kind, scaled_krw(million, scale) // len(month_ends)))
    return tasks


class PeriodCalendar:
    """The plan periods of a run, each built when its first day comes (from the state then).

    With a history (`window_start` after the cut-over `start`), the history's months steer the
    book to `window_book` (count, won) at `window_start`: the book of the cut-over without history.
    """

    def __init__(self, start: date, end: date, seed: int, scale: float, scenario: str,
                 window_start: date | None = None, window_book: tuple[int, int] | None = None) -> None:
        self._window_start = window_start or start
        self._bounds = list(period_bounds(start, end, self._window_start))
        self._history_keys = [key for key, _, _ in period_bounds(start, max(end, self._window_start),
                                                                 self._window_start) if key.endswith(HISTORY)]
        self._window_book = window_book
        self._seed, self._scale, self._scenario = seed, scale, scenario
        self._current: Period | None = None
        self._current_last = date.min
        self._stats = ControlStats()

    def period_on(self, day: date, ledger: Ledger) -> Period:
        if self._current is None or day > self._current_last:
            key, first, last = next(bound for bound in self._bounds if bound[1] <= day <= bound[2])
            figures = figures_for(key, self._scenario, self._window_start)
            rng = random.Random(f"{self._seed}:plan:{key}")
            steer, scale = None, self._scale
            if key.endswith(HISTORY) and self._window_book:  # volumes grow with the book
                steer = (*self._window_book, len(self._history_keys) - self._history_keys.index(key))
                scale *= min(1.0, ledger.live_count / max(1, self._window_book[0]))
            self._current = build_period(key, first, last, figures, ledger, scale, self._stats, rng, steer)
            self._current_last = last
        return self._current
