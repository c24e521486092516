"""A business day: the planned events, then terminations and loan principal repayments steering
the book to the period's targets, then recoveries and the work on the claim ledgers."""
from __future__ import annotations

import random
from datetime import date, timedelta

from include.demo.books import Books
from include.demo.errors import GenerationError
from include.demo.events import run_planned_events
from include.demo.ledger import Guarantee, Ledger
from include.demo.periods import RECOVERY_UNIT, Period

PRINCIPAL_UNIT = 10_000
PRINCIPAL_MISSES = 10_000  # draws in a row that fit no payment: the book has nothing left to repay


def termination_candidate(ledger: Ledger, day: date, rng: random.Random) -> Guarantee:
    """A NORMAL guarantee not supplied in the last month, leaning to small (paid-down) balances."""
    cutoff = day - timedelta(days=30)
    sampled = [g for g in ledger.normal.picks(rng, 4) if g.last_supply < cutoff]
    if sampled:
        return min(sampled, key=lambda g: g.balance)
    fallback = next((g for g in ledger.normal if g.last_supply < day), None)
    if fallback is None:
        raise GenerationError(f"no guarantee left to terminate on {day}")
    return fallback


def close_towards_target(books: Books, period: Period, rng: random.Random) -> None:
    """Terminations spread over the period so that it closes at its target count exactly."""
    gap = period.count_gap(books.ledger)
    if gap < 0:
        raise GenerationError(f"period {period.key}: {-gap} guarantees too few on {books.day}")
    days_left = period.days_left(books.day)
    count = gap if days_left == 1 else min(gap, round(gap / days_left * rng.uniform(0.6, 1.4)))
    for _ in range(count):
        period.stats.released += books.terminate(termination_candidate(books.ledger, books.day, rng))
        period.stats.terminations += 1


OUTFLOW_SAFETY = 1.5  # over-estimate what later events will take off, never over-repay


def expected_excess(ledger: Ledger, period: Period) -> float:
    """Balance still to be repaid in the period after what later events are expected to remove."""
    stats, remaining = period.stats, period.remaining
    average_balance = ledger.total_balance / max(1, ledger.live_count)
    per_release = stats.released / stats.terminations if stats.terminations >= 30 else 0.5 * average_balance
    per_followup = stats.followup_released / stats.subrogations if stats.subrogations >= 30 else 0.0
    extension_cut = max(0.05, (stats.extended_before - stats.extended_after) / stats.extended_after
                        if stats.extended_after else 0.0)
    uncertain = (max(0, period.count_gap(ledger)) * per_release + remaining["SUBROGATE"][0] * per_followup
                 + remaining["EXTEND"][1] * extension_cut)
    known = remaining["NEW"][1] - remaining["SUBROGATE"][1]
    return ledger.total_balance + known - OUTFLOW_SAFETY * uncertain - period.target_krw


def repay_towards_target(books: Books, period: Period, rng: random.Random) -> None:
    """Loan principal repayments steering the book to its target balance (exact on the last day)."""
    ledger = books.ledger
    if period.days_left(books.day) == 1:
        amount = ledger.total_balance - period.target_krw
        if amount < 0:
            raise GenerationError(f"period {period.key} closes {-amount} won below its target balance")
    else:
        share = max(0.0, expected_excess(ledger, period)) / period.days_left(books.day)
        amount = int(share * rng.uniform(0.5, 1.1)) // PRINCIPAL_UNIT * PRINCIPAL_UNIT
    pay_principal_spread(books, amount, rng)


def pay_principal_spread(books: Books, amount: int, rng: random.Random) -> None:
    """Spread `amount` as LOAN_PRINCIPAL rows over NORMAL guarantees, never emptying one."""
    ledger, day = books.ledger, books.day
    misses = 0
    while amount > 0:
        misses += 1
        if misses > PRINCIPAL_MISSES or not len(ledger.normal):
            raise GenerationError(f"no guarantee left to take {amount} won of principal on {day}")
        guarantee = ledger.normal.pick(rng)
        if guarantee.last_supply >= day or guarantee.balance <= PRINCIPAL_UNIT:
            continue
        payment = int(guarantee.balance * rng.uniform(0.05, 0.35)) // PRINCIPAL_UNIT * PRINCIPAL_UNIT
        if amount < PRINCIPAL_UNIT or payment >= amount:
            payment = amount
        if 0 < payment < guarantee.balance:
            books.pay_principal(guarantee, payment)
            amount -= payment
            misses = 0


def run_recoveries(books: Books, period: Period) -> None:
    for claim, amount in period.recoveries.pop(books.day, []):
        if books.recover(claim, amount) != "RECOURSE":
            raise GenerationError(f"planned recourse recovery on {claim.claim_id} hit the special ledger")


def run_claim_tasks(books: Books, period: Period, rng: random.Random) -> None:
    for kind, amount in period.claim_tasks.pop(books.day, []):
        if kind == "WRITE_OFF":
            write_off_claims(books, period, amount, rng)
        else:
            work_special_claims(books, kind, amount, rng)


CLAIM_TRIES = 5_000  # draws per claim task before giving up on the rest of its amount
SPECIAL_SHARES = {"RECOVERY": (0.05, 0.3), "WAIVER": (0.2, 0.5), "EXTINGUISH": (1.0, 1.0), "SALE": (1.0, 1.0)}


def write_off_claims(books: Books, period: Period, amount: int, rng: random.Random) -> None:
    """상각: whole recourse balances of claims not planned for recovery, up to `amount`."""
    pool = books.ledger.recourse
    for _ in range(CLAIM_TRIES):
        if amount <= 0 or not len(pool):
            return
        claim = pool.pick(rng)
        if claim not in period.recovery_claims:
            moved = min(claim.recourse, amount)
            books.write_off(claim, moved)
            amount -= moved


def work_special_claims(books: Books, kind: str, amount: int, rng: random.Random) -> None:
    """Recoveries, 소각, 매각 and 원금감면 on claims held only on the special ledger."""
    pool = books.ledger.special_only
    low, high = SPECIAL_SHARES[kind]
    for _ in range(CLAIM_TRIES):
        if amount < RECOVERY_UNIT or not len(pool):
            return
        claim = pool.pick(rng)
        portion = int(claim.special * rng.uniform(low, high)) // RECOVERY_UNIT * RECOVERY_UNIT
        moved = min(amount, claim.special if high >= 1.0 or not portion else portion)
        if kind == "RECOVERY":
            books.recover(claim, moved)
        else:
            books.remove_special(kind, claim, moved)
        amount -= moved


def run_business_day(books: Books, period: Period, rng: random.Random) -> None:
    """Guarantee events first (planned, then terminations), then repayments and claim work."""
    run_planned_events(books, period, rng)
    close_towards_target(books, period, rng)
    repay_towards_target(books, period, rng)
    run_recoveries(books, period)
    run_claim_tasks(books, period, rng)
