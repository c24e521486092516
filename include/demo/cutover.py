"""The cut-over delivery: OPENING rows for the outstanding book, the opening claims and the fund."""
from __future__ import annotations

import random
from datetime import date, timedelta

from include.demo.amounts import split_amounts
from include.demo.books import Books
from include.demo.choices import (
    BANK_CHOICE,
    BRANCHES_BEFORE_107,
    pick_pricing,
    pick_program,
)
from include.demo.fund import CUTOVER_DEFICIT, OPENING_FUNDS
from include.demo.ledger import ACCIDENT, NORMAL, Guarantee
from include.demo.plan import OPENING_STOCK, SHAPES, scaled_krw


def opening_guarantee(books: Books, day: date, rng: random.Random) -> Guarantee:
    branch = BRANCHES_BEFORE_107.draw(rng)
    program = pick_program(date(2018, 6, 30), rng)
    ratio, fee = pick_pricing(program, rng)
    guarantee_id = books.ids.guarantee(rng.randint(min(2012, day.year - 6), day.year), branch)
    return Guarantee(guarantee_id, branch, program, books.customers.create(rng),
                     BANK_CHOICE.draw(rng), ratio, fee, last_supply=day - timedelta(days=rng.randint(30, 1500)))


def write_cutover(books: Books, day: date, scale: float, rng: random.Random) -> None:
    """OPENING rows for the outstanding book, the opening claims and the fund at cut-over."""
    total_count, total_krw = OPENING_STOCK.guarantees.scaled(scale)
    accident_count, accident_krw = OPENING_STOCK.accidents.scaled(scale)
    for status, count, amount_krw, shape in (
            (NORMAL, total_count - accident_count, total_krw - accident_krw, SHAPES["OPENING"]),
            (ACCIDENT, accident_count, accident_krw, SHAPES["OPENING_ACCIDENT"])):
        for amount in split_amounts(amount_krw, count, shape, rng):
            guarantee = opening_guarantee(books, day, rng)
            if status == ACCIDENT:
                guarantee.accident_date = day - timedelta(days=rng.randint(15, 300))
            books.open_guarantee(guarantee, amount, status)
    open_claims(books, day, scale, rng)
    for code, name, contributor_type, million in OPENING_FUNDS:
        books.fund_entry("OPENING", code, name, contributor_type, None, scaled_krw(million, scale))
    code, name, million = CUTOVER_DEFICIT
    books.fund_entry("LOSS", code, name, None, None, scaled_krw(million, scale))


def open_claims(books: Books, day: date, scale: float, rng: random.Random) -> None:
    """Claims of guarantees subrogated before the cut-over (their guarantees are in no file)."""
    for kind, flow in (("OPENING_RECOURSE", OPENING_STOCK.recourse), ("OPENING_SPECIAL", OPENING_STOCK.special)):
        count, amount_krw = flow.scaled(scale)
        for amount in split_amounts(amount_krw, count, SHAPES[kind], rng):
            branch = BRANCHES_BEFORE_107.draw(rng)
            claim_id = books.ids.guarantee(rng.randint(min(2006, day.year - 12), day.year), branch)
            recourse, special = (amount, 0) if kind == "OPENING_RECOURSE" else (0, amount)
            books.open_claim(claim_id, branch, recourse, special)
