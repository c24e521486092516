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
    EXTENSION_TERMS,
    NEW_TERMS,
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
        found = best_fit((g for g in (pool.pick(rng) for _ in range(size)) if g.last_supply < aged_before), amount)
        if found:
            return found
    return (best_fit((g for g in pool if g.last_supply < aged_before), amount)
            or best_fit((g for g in ledger.normal if g.last_supply < day), amount, fallback_to_largest=True))


def find_accident_guarantee(ledger: Ledger, amount: int, day: date) -> Guarantee | None:
    """The best-fitting guarantee in accident status, preferring accidents at least two weeks old
    (or the largest when none covers the amount)."""
    settled_before = day - RESOLVE_MIN_AGE
    settled = best_fit((g for g in ledger.in_accident if g.accident_date <= settled_before), amount)
    return settled or best_fit((g for g in ledger.in_accident if g.accident_date < day), amount,
                               fallback_to_largest=True)


# Each action carries out one planned event for (up to) `amount` won and returns the amount it
# took, or None when no guarantee qualifies today. Less than asked happens only when no
# guarantee's balance covers the amount; the period carries the rest over to later events.

def do_new(books: Books, period: Period, amount: int, rng: random.Random) -> int:
    day = books.day
    branch, program = pick_branch(day, rng), pick_program(day, rng)
    ratio, fee = pick_pricing(program, rng)
    guarantee = Guarantee(books.ids.guarantee(day.year, branch), branch, program,
                          books.customers.for_new_guarantee(rng), BANK_CHOICE.draw(rng), ratio, fee, last_supply=day)
    books.new_guarantee(guarantee, amount, rng.choices(*NEW_TERMS)[0])
    return amount


def do_extend(books: Books, period: Period, amount: int, rng: random.Random) -> int | None:
    guarantee = find_normal_guarantee(books.ledger, amount, books.day, EXTEND_MIN_AGE, rng)
    if guarantee is None:
        return None
    before, amount = guarantee.balance, min(amount, guarantee.balance)
    branch = CENTER if rng.random() < CENTER_EXTENSION_SHARE else guarantee.branch
    books.extend(guarantee, amount, rng.choices(*EXTENSION_TERMS)[0], branch)
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
