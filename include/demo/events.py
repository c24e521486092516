"""The planned guarantee events of a business day (NEW, EXTEND, ACCIDENT, NORMALIZE, SUBROGATE),
each carried out on the guarantee whose balance fits it best."""
from __future__ import annotations

import random
from datetime import date, timedelta

from include.demo.books import Books
from include.demo.choices import (
    BANK_CHOICE,
    CENTER,
    CENTER_EXTENSION_SHARE,
    EXTENSION_TERM_CHOICE,
    NEW_TERM_CHOICE,
    pick_branch,
    pick_pricing,
    pick_program,
)
from include.demo.ledger import CLOSED, LARGE_KRW, Guarantee, Ledger
from include.demo.periods import Period

SAMPLE_SIZES = (24, 400)
EXTEND_MIN_AGE = timedelta(days=180)
ACCIDENT_MIN_AGE = timedelta(days=60)
RESOLVE_MIN_AGE = timedelta(days=14)


def best_fit(candidates, amount: int, fallback_to_largest: bool = False):
    """The candidate with the smallest balance that still covers `amount`; if none covers it,
    the one with the largest balance (when asked to) or None."""
    best = largest = None
    for guarantee in candidates:
        balance = guarantee.balance
        if balance >= amount and (best is None or balance < best.balance):
            best = guarantee
        if largest is None or balance > largest.balance:
            largest = guarantee
    return best or (largest if fallback_to_largest else None)


def sample_fit(sampled, amount: int, supplied_before: date) -> Guarantee | None:
    """best_fit among the sampled guarantees supplied before the given day (a fast loop)."""
    best = None
    for guarantee in sampled:
        if guarantee.last_supply < supplied_before:
            balance = guarantee.balance
            if balance >= amount and (best is None or balance < best.balance):
                best = guarantee
    return best


def find_normal_guarantee(ledger: Ledger, amount: int, day: date, min_age: timedelta,
                          rng: random.Random) -> Guarantee | None:
    """A NORMAL guarantee for `amount`: the best fit among growing samples of those supplied at
    least `min_age` ago, else among all of them, else among all not supplied today (or the
    largest of those when none covers the amount)."""
    pool = ledger.large if amount >= LARGE_KRW and len(ledger.large) else ledger.normal
    aged_before = day - min_age
    for size in SAMPLE_SIZES:
        if not len(pool):
            break
        found = sample_fit(pool.picks(rng, size), amount, aged_before)
        if found:
            return found
    if pool is ledger.large:  # sorted by balance: no scan (same answers as the scans below)
        found = pool.best_fit(amount, lambda g: g.last_supply < aged_before)
        if found:
            return found
        # a NORMAL guarantee covering amount (≥ LARGE_KRW) is a large one: the first in normal's order
        supplied_before_today, rank = (lambda g: g.last_supply < day), ledger.normal.position
        found = pool.best_fit(amount, supplied_before_today, rank) or pool.largest(supplied_before_today, rank)
        if found:
            return found
    return (best_fit((g for g in pool if g.last_supply < aged_before), amount)
            or best_fit((g for g in ledger.normal if g.last_supply < day), amount, fallback_to_largest=True))


def find_accident_guarantee(ledger: Ledger, amount: int, day: date) -> Guarantee | None:
    """The best-fitting guarantee in accident status, preferring accidents at least two weeks old
    (or the largest when none covers the amount)."""
    settled_before = day - RESOLVE_MIN_AGE
    pool = ledger.in_accident  # sorted by balance: the answers of a scan in pool order, without it
    return (pool.best_fit(amount, lambda g: g.accident_date <= settled_before)
            or pool.best_fit(amount, lambda g: g.accident_date < day)
            or pool.largest(lambda g: g.accident_date < day))


# Each action carries out one planned event for (up to) `amount` won and returns the amount it
# took, or None when no guarantee qualifies today. Less than asked happens only when no
# guarantee's balance covers the amount; the period carries the rest over to later events.

def do_new(books: Books, period: Period, amount: int, rng: random.Random) -> int:
    day = books.day
    branch, program = pick_branch(day, rng), pick_program(day, rng)
    ratio, fee = pick_pricing(program, rng)
    guarantee = Guarantee(books.ids.guarantee(day.year, branch), branch, program,
                          books.customers.for_new_guarantee(rng), BANK_CHOICE.draw(rng), ratio, fee, last_supply=day)
    books.new_guarantee(guarantee, amount, NEW_TERM_CHOICE.draw(rng))
    return amount


def do_extend(books: Books, period: Period, amount: int, rng: random.Random) -> int | None:
    guarantee = find_normal_guarantee(books.ledger, amount, books.day, EXTEND_MIN_AGE, rng)
    if guarantee is None:
        return None
    before, amount = guarantee.balance, min(amount, guarantee.balance)
    branch = CENTER if rng.random() < CENTER_EXTENSION_SHARE else guarantee.branch
    books.extend(guarantee, amount, EXTENSION_TERM_CHOICE.draw(rng), branch)
    period.stats.extended_before += before
    period.stats.extended_after += amount
    return amount


def do_accident(books: Books, period: Period, amount: int, rng: random.Random) -> int | None:
    guarantee = find_normal_guarantee(books.ledger, amount, books.day, ACCIDENT_MIN_AGE, rng)
    if guarantee is None:
        return None
    amount = min(amount, guarantee.balance)
    books.accident(guarantee, amount)
    return amount


def do_normalize(books: Books, period: Period, amount: int, rng: random.Random) -> int | None:
    guarantee = find_accident_guarantee(books.ledger, amount, books.day)
    if guarantee is None:
        return None
    amount = min(amount, guarantee.balance)
    books.normalize(guarantee, amount)
    return amount


def do_subrogate(books: Books, period: Period, amount: int, rng: random.Random) -> int | None:
    """대위변제; what the payment leaves of the guarantee is released right after (TERMINATE)."""
    guarantee = find_accident_guarantee(books.ledger, amount, books.day)
    if guarantee is None:
        return None
    amount = min(amount, guarantee.balance)
    books.subrogate(guarantee, amount)
    if guarantee.status != CLOSED:
        period.stats.followup_released += books.terminate(guarantee)
    period.stats.subrogations += 1
    return amount


GUARANTEE_ACTIONS = {"NEW": do_new, "EXTEND": do_extend, "ACCIDENT": do_accident,
                     "NORMALIZE": do_normalize, "SUBROGATE": do_subrogate}


def run_planned_events(books: Books, period: Period, rng: random.Random) -> None:
    """The day's planned events, each with what earlier ones of its kind could not take; one
    that finds no guarantee waits for the next business day (on the period's last, it lapses)."""
    items = period.take(books.day)
    rng.shuffle(items)
    last_day = books.day == period.days[-1]
    for kind, planned in items:
        wanted = planned + period.carry[kind]
        taken = GUARANTEE_ACTIONS[kind](books, period, wanted, rng)
        if taken is not None:
            period.done(kind, taken)
            period.carry[kind] = wanted - taken
        elif last_day:
            period.done(kind, 0)
        else:
            period.defer(kind, planned)
