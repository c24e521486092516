"""Ledger state: guarantee balances and statuses, the recourse (구상채권) and special (특수채권)
claim ledgers and pools for random picks; it refuses what the contract's ledger rules forbid."""
from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from include.demo.customers import Customer
from include.demo.errors import GenerationError
from include.demo.plan import MILLION

LARGE_KRW = 30 * MILLION  # guarantees at or above this are also kept in a pool of their own
NORMAL, ACCIDENT, CLOSED = "NORMAL", "ACCIDENT", "CLOSED"


class Pool:
    """Objects with O(1) add, discard and uniform random pick, in a deterministic order."""

    __slots__ = ("_items", "_positions")

    def __init__(self) -> None:
        self._items: list = []
        self._positions: dict = {}

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def place(self, item, member: bool) -> None:
        if member and item not in self._positions:
            self._positions[item] = len(self._items)
            self._items.append(item)
        elif not member and item in self._positions:
            position = self._positions.pop(item)
            last = self._items.pop()
            if position < len(self._items):
                self._items[position] = last
                self._positions[last] = position

    def pick(self, rng: random.Random):
        return self._items[rng._randbelow(len(self._items))]  # = rng.randrange(len), without its checks

    def position(self, item) -> int:
        return self._positions[item]

    def picks(self, rng: random.Random, count: int) -> Iterator:
        """`count` uniform picks (as `pick` `count` times)."""
        items, size, bits = self._items, len(self._items), rng.getrandbits
        if not size:
            raise ValueError("no item to pick")  # as rng.randrange(0)
        width = size.bit_length()
        for _ in range(count):  # rng._randbelow(size), inlined
            index = bits(width)
            while index >= size:
                index = bits(width)
            yield items[index]


class SortedKeys:
    """A sorted list of keys in blocks (add, remove: O(log n + block)); ascending and descending walks."""

    __slots__ = ("_blocks", "_maxes")
    BLOCK = 512

    def __init__(self) -> None:
        self._blocks: list[list] = []
        self._maxes: list = []

    def add(self, key) -> None:
        blocks, maxes = self._blocks, self._maxes
        if not maxes:
            blocks.append([key])
            maxes.append(key)
            return
        index = bisect_left(maxes, key)
        if index == len(maxes):
            index -= 1
            blocks[index].append(key)
            maxes[index] = key
        else:
            insort(blocks[index], key)
        block = blocks[index]
        if len(block) > 2 * self.BLOCK:
            blocks[index:index + 1] = [block[:self.BLOCK], block[self.BLOCK:]]
            maxes[index:index + 1] = [block[self.BLOCK - 1], block[-1]]

    def remove(self, key) -> None:
        blocks, maxes = self._blocks, self._maxes
        index = bisect_left(maxes, key)
        block = blocks[index]
        del block[bisect_left(block, key)]
        if block:
            maxes[index] = block[-1]
        else:
            del blocks[index], maxes[index]

    def ascending_from(self, key) -> Iterator:
        """The keys not below `key`, smallest first."""
        blocks, maxes = self._blocks, self._maxes
        index = bisect_left(maxes, key)
        if index == len(maxes):
            return
        block = blocks[index]
        yield from block[bisect_left(block, key):]
        for block in blocks[index + 1:]:
            yield from block

    def descending(self) -> Iterator:
        for block in reversed(self._blocks):
            yield from reversed(block)


class BalancePool(Pool):
    """A Pool of guarantees also kept sorted by (balance, position in the pool): the best fit for an
    amount without scanning the pool, exactly as a scan in pool order finds it."""

    __slots__ = ("_keys", "_sorted")

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict = {}  # member → its key in _sorted: (balance, position, member)
        self._sorted = SortedKeys()

    def _index(self, item, position: int) -> None:
        key = self._keys[item] = (item.balance, position, item)
        self._sorted.add(key)

    def place(self, item, member: bool) -> None:
        positions, keys = self._positions, self._keys
        if member:
            if item not in positions:
                positions[item] = len(self._items)
                self._items.append(item)
                self._index(item, positions[item])
            elif keys[item][0] != item.balance:
                self._sorted.remove(keys[item])
                self._index(item, positions[item])
        elif item in positions:
            position = positions.pop(item)
            self._sorted.remove(keys.pop(item))
            last = self._items.pop()
            if position < len(self._items):
                self._items[position] = last
                positions[last] = position
                self._sorted.remove(keys[last])
                self._index(last, position)

    def best_fit(self, amount: int, allowed: Callable, rank: Callable | None = None):
        """The allowed member with the smallest balance ≥ amount (ties: the lowest `rank`, by default
        the position in this pool), or None."""
        found = None
        for balance, _, item in self._sorted.ascending_from((amount, -1)):
            if found is not None and balance != found.balance:
                break
            if allowed(item):
                if rank is None:
                    return item
                if found is None or rank(item) < rank(found):
                    found = item
        return found

    def largest(self, allowed: Callable, rank: Callable | None = None):
        """The allowed member with the largest balance (ties: the lowest `rank`, by default the
        position in this pool), or None."""
        found = None
        for balance, _, item in self._sorted.descending():
            if found is not None and balance != found.balance:
                break
            if allowed(item) and (found is None or rank is None or rank(item) < rank(found)):
                found = item
        return found


@dataclass(eq=False, slots=True)
class Guarantee:
    guarantee_id: str
    branch: str
    program: str
    customer: Customer
    bank: str
    ratio: float
    fee: float
    last_supply: date  # date of its OPENING, NEW or latest EXTEND
    balance: int = 0
    status: str = NORMAL
    accident_date: date | None = None


@dataclass(eq=False, slots=True)
class Claim:
    claim_id: str  # = the guarantee id
    branch: str
    recourse: int = 0  # 구상채권
    special: int = 0  # 특수채권


def require(condition: bool, message: str) -> None:
    if not condition:
        raise GenerationError(f"ledger rule broken by the generator: {message}")


class Ledger:
    """Guarantee balances and statuses, and the two claim ledgers, as the contract defines them."""

    def __init__(self) -> None:
        self.guarantees: dict[str, Guarantee] = {}
        self.normal, self.large, self.in_accident = Pool(), BalancePool(), BalancePool()
        self.total_balance = 0
        self.claims: dict[str, Claim] = {}
        self.recourse, self.special_only = Pool(), Pool()

    @property
    def live_count(self) -> int:
        return len(self.normal) + len(self.in_accident)

    def _set(self, guarantee: Guarantee, balance: int, status: str) -> None:
        self.total_balance += balance - guarantee.balance
        guarantee.balance, guarantee.status = balance, status
        live = balance > 0
        self.normal.place(guarantee, live and status == NORMAL)
        self.large.place(guarantee, live and status == NORMAL and balance >= LARGE_KRW)
        self.in_accident.place(guarantee, live and status == ACCIDENT)

    def _live(self, guarantee: Guarantee) -> bool:
        return self.guarantees.get(guarantee.guarantee_id) is guarantee and guarantee.status != CLOSED

    def open(self, guarantee: Guarantee, amount: int, status: str) -> None:
        require(guarantee.guarantee_id not in self.guarantees and amount > 0, "duplicate or empty guarantee")
        self.guarantees[guarantee.guarantee_id] = guarantee
        self._set(guarantee, amount, status)

    def extend(self, guarantee: Guarantee, amount: int) -> None:
        require(self._live(guarantee) and 0 < amount <= guarantee.balance, "EXTEND above the balance")
        self._set(guarantee, amount, guarantee.status)

    def terminate(self, guarantee: Guarantee) -> int:
        require(self._live(guarantee), "TERMINATE of a closed guarantee")
        released = guarantee.balance
        self._set(guarantee, 0, CLOSED)
        return released

    def accident(self, guarantee: Guarantee, amount: int, day: date) -> None:
        require(self._live(guarantee) and 0 < amount <= guarantee.balance, "ACCIDENT above the balance")
        guarantee.accident_date = day
        self._set(guarantee, guarantee.balance, ACCIDENT)

    def normalize(self, guarantee: Guarantee, amount: int) -> None:
        require(self._live(guarantee) and 0 < amount <= guarantee.balance, "NORMALIZE above the balance")
        self._set(guarantee, guarantee.balance, NORMAL)

    def subrogate(self, guarantee: Guarantee, amount: int) -> None:
        require(self._live(guarantee) and 0 < amount <= guarantee.balance, "SUBROGATE above the balance")
        rest = guarantee.balance - amount
        self._set(guarantee, rest, ACCIDENT if rest else CLOSED)
        claim = self.claims.get(guarantee.guarantee_id) or self.open_claim(guarantee.guarantee_id, guarantee.branch)
        self._move_claim(claim, recourse=amount)

    def pay_principal(self, guarantee: Guarantee, amount: int) -> None:
        require(self._live(guarantee) and 0 < amount < guarantee.balance, "LOAN_PRINCIPAL not below the balance")
        self._set(guarantee, guarantee.balance - amount, guarantee.status)

    def open_claim(self, claim_id: str, branch: str) -> Claim:
        require(claim_id not in self.claims, "duplicate claim")
        claim = self.claims[claim_id] = Claim(claim_id, branch)
        return claim

    def _move_claim(self, claim: Claim, recourse: int = 0, special: int = 0) -> None:
        claim.recourse += recourse
        claim.special += special
        require(claim.recourse >= 0 and claim.special >= 0, "claim movement larger than the claim")
        self.recourse.place(claim, claim.recourse > 0)
        self.special_only.place(claim, claim.recourse == 0 and claim.special > 0)

    def add_opening_claim(self, claim: Claim, recourse: int = 0, special: int = 0) -> None:
        self._move_claim(claim, recourse, special)

    def recover(self, claim: Claim, amount: int) -> str:
        """Cash recovered: from the recourse ledger while it holds anything, else from special."""
        if claim.recourse > 0:
            self._move_claim(claim, recourse=-amount)
            return "RECOURSE"
        self._move_claim(claim, special=-amount)
        return "SPECIAL"

    def write_off(self, claim: Claim, amount: int) -> None:
        self._move_claim(claim, recourse=-amount, special=amount)

    def remove_special(self, claim: Claim, amount: int) -> None:
        self._move_claim(claim, special=-amount)
