"""The generator's books: the ledger, the customers, the ids and the rows of the current day,
one method per event (ledger change and row together). A row is a tuple of the file's columns,
in the contract's order (None: an empty field)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from include.demo.business_calendar import add_months
from include.demo.customers import CustomerBook
from include.demo.ledger import ACCIDENT, NORMAL, Claim, Guarantee, Ledger
from include.ingest.contract import (
    CONTRIBUTIONS,
    FILES,
    GUARANTEES,
    HEADCOUNT,
    PRICED_EVENTS,
    REPAYMENTS,
)

SPECIAL_UNIT = "020"  # 영업관리부 manages write-offs and the special claims (특수채권)


class Ids:
    """Running numbers for every kind of id, unique across all deliveries."""

    def __init__(self) -> None:
        self._next = defaultdict(int)

    def take(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind]

    def event(self) -> str:
        return f"G{self.take('event'):09d}"

    def repayment(self) -> str:
        return f"R{self.take('repayment'):09d}"

    def contribution(self) -> str:
        return f"C{self.take('contribution'):07d}"

    def guarantee(self, year: int, branch: str) -> str:
        return f"{year}-{branch}-{self.take('guarantee'):07d}"


def pct(value: float) -> str:
    return f"{value:.1f}"


class Books:
    """The generator's books: ledger state, customers, ids and the rows of the current day.

    Every method applies one event to the ledger (which refuses anything the contract's ledger
    rules forbid) and writes the matching row.
    """

    def __init__(self, wide: bool = False) -> None:
        self.ledger = Ledger()
        self.customers = CustomerBook(wide)  # wide: room for millions of customers
        self.ids = Ids()
        self.day = date.min
        self.iso_day = ""
        self.rows: dict[str, list[tuple]] = {}
        self._maturities: dict[int, str] = {}  # term in months → maturity date of a supply today

    def start_day(self, day: date) -> None:
        self.day, self.iso_day = day, day.isoformat()
        self._maturities = {}
        self.rows = {spec.name: [] for spec in FILES}

    def _maturity(self, term: int) -> str:
        maturity = self._maturities.get(term)
        if maturity is None:
            maturity = self._maturities[term] = add_months(self.day, term).isoformat()
        return maturity

    # guarantees.csv

    def _guarantee_row(self, event_type: str, guarantee: Guarantee, amount: int,
                       branch: str | None = None, term: int | None = None) -> None:
        priced = event_type in PRICED_EVENTS
        customer = guarantee.customer
        self.rows[GUARANTEES.name].append((
            self.ids.event(), self.iso_day, event_type, guarantee.guarantee_id, branch or guarantee.branch,
            guarantee.program, customer.customer_id, customer.business_reg_no, customer.name, guarantee.bank,
            amount, pct(guarantee.ratio) if priced else None, pct(guarantee.fee) if priced else None,
            term, self._maturity(term) if term else None))

    def open_guarantee(self, guarantee: Guarantee, amount: int, status: str) -> None:
        self.ledger.open(guarantee, amount, status)
        self._guarantee_row("OPENING_ACCIDENT" if status == ACCIDENT else "OPENING", guarantee, amount)

    def new_guarantee(self, guarantee: Guarantee, amount: int, term: int) -> None:
        self.ledger.open(guarantee, amount, NORMAL)
        self._guarantee_row("NEW", guarantee, amount, term=term)

    def extend(self, guarantee: Guarantee, amount: int, term: int, branch: str) -> int:
        reduction = guarantee.balance - amount
        self.ledger.extend(guarantee, amount)
        guarantee.last_supply = self.day
        self._guarantee_row("EXTEND", guarantee, amount, branch=branch, term=term)
        return reduction

    def terminate(self, guarantee: Guarantee) -> int:
        released = self.ledger.terminate(guarantee)
        self._guarantee_row("TERMINATE", guarantee, released)
        return released

    def accident(self, guarantee: Guarantee, amount: int) -> None:
        self.ledger.accident(guarantee, amount, self.day)
        self._guarantee_row("ACCIDENT", guarantee, amount)

    def normalize(self, guarantee: Guarantee, amount: int) -> None:
        self.ledger.normalize(guarantee, amount)
        self._guarantee_row("NORMALIZE", guarantee, amount)

    def subrogate(self, guarantee: Guarantee, amount: int) -> None:
        self.ledger.subrogate(guarantee, amount)
        self._guarantee_row("SUBROGATE", guarantee, amount)

    # repayments.csv

    def _repayment_row(self, kind: str, guarantee_id: str, branch: str, amount: int) -> None:
        self.rows[REPAYMENTS.name].append((self.ids.repayment(), self.iso_day, kind, guarantee_id, branch, amount))

    def pay_principal(self, guarantee: Guarantee, amount: int) -> None:
        self.ledger.pay_principal(guarantee, amount)
        self._repayment_row("LOAN_PRINCIPAL", guarantee.guarantee_id, guarantee.branch, amount)

    def open_claim(self, claim_id: str, branch: str, recourse: int, special: int) -> None:
        claim = self.ledger.open_claim(claim_id, branch)
        self.ledger.add_opening_claim(claim, recourse, special)
        if recourse:
            self._repayment_row("OPENING_RECOURSE", claim_id, branch, recourse)
        if special:
            self._repayment_row("OPENING_SPECIAL", claim_id, SPECIAL_UNIT, special)

    def recover(self, claim: Claim, amount: int) -> str:
        ledger = self.ledger.recover(claim, amount)
        self._repayment_row("RECOVERY", claim.claim_id, claim.branch if ledger == "RECOURSE" else SPECIAL_UNIT, amount)
        return ledger

    def write_off(self, claim: Claim, amount: int) -> None:
        self.ledger.write_off(claim, amount)
        self._repayment_row("WRITE_OFF", claim.claim_id, SPECIAL_UNIT, amount)

    def remove_special(self, kind: str, claim: Claim, amount: int) -> None:
        self.ledger.remove_special(claim, amount)
        self._repayment_row(kind, claim.claim_id, SPECIAL_UNIT, amount)

    # contributions.csv and headcount.csv

    def fund_entry(self, entry_type: str, code: str, name: str, contributor_type: str | None,
                   program: str | None, amount: int) -> None:
        self.rows[CONTRIBUTIONS.name].append((self.ids.contribution(), self.iso_day, entry_type, code, name,
                                              contributor_type, program or None, amount))

    def roster_entry(self, employee_id: str, unit: str, grade: str, status: str) -> None:
        self.rows[HEADCOUNT.name].append((self.iso_day, employee_id, unit, grade, status))
