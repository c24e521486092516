"""Splitting totals exactly: integer parts within bounds or caps that sum to the planned total,
and weighted sampling without replacement."""
from __future__ import annotations

import math
import random

from include.demo.errors import GenerationError
from include.demo.plan import AmountShape


def partition(total: int, count: int, rng: random.Random, *, sigma: float, low: int, high: int) -> list[int]:
    """`count` integers in [low, high], lognormally spread, summing exactly to `total`."""
    if count <= 0:
        if total:
            raise GenerationError(f"cannot split {total} into no parts")
        return []
    if not count * low <= total <= count * high:
        raise GenerationError(f"cannot split {total} into {count} parts within [{low}, {high}]")
    weights = [rng.lognormvariate(0.0, sigma) for _ in range(count)]
    factor = (total - count * low) / sum(weights)
    parts = [min(high, low + int(weight * factor)) for weight in weights]
    _fill_up(parts, [high] * count, total - sum(parts), rng)
    return parts


def capped_partition(total: int, caps: list[int], rng: random.Random) -> list[int]:
    """One positive integer per cap, each at most its cap, summing exactly to `total`."""
    count = len(caps)
    if not count <= total <= sum(caps):
        raise GenerationError(f"cannot split {total} under caps summing to {sum(caps)}")
    weights = [cap * rng.uniform(0.2, 1.0) for cap in caps]
    factor = (total - count) / sum(weights)
    parts = [min(cap, 1 + int(weight * factor)) for cap, weight in zip(caps, weights)]
    _fill_up(parts, caps, total - sum(parts), rng)
    return parts


def _fill_up(parts: list[int], caps: list[int], residual: int, rng: random.Random) -> None:
    """Add the residual (≥ 0) to randomly chosen parts without going over their caps."""
    room = [index for index, part in enumerate(parts) if part < caps[index]]
    rng.shuffle(room)
    while residual > 0:
        if not room:
            raise GenerationError("no room left to place the residual")
        share = max(1, residual // len(room))
        still_open = []
        for index in room:
            added = min(share, caps[index] - parts[index], residual)
            parts[index] += added
            residual -= added
            if parts[index] < caps[index]:
                still_open.append(index)
            if not residual:
                break
        room = still_open


def split_amounts(total_krw: int, count: int, shape: AmountShape, rng: random.Random) -> list[int]:
    """Split a won total into `count` amounts of the shape's unit (remainder on the first)."""
    units, remainder = divmod(total_krw, shape.unit)
    low = min(shape.low, units // max(count, 1))
    high = max(shape.high, -(-units // max(count, 1)))
    amounts = [part * shape.unit for part in partition(units, count, rng, sigma=shape.sigma, low=low, high=high)]
    if amounts:
        amounts[0] += remainder
    return amounts


def weighted_sample(items: list, weights: list[float], count: int, rng: random.Random) -> list:
    """`count` items without replacement, chance proportional to weight (Efraimidis–Spirakis)."""
    keyed = sorted(((math.log(rng.random() or 1e-300) / weight, index) for index, weight in enumerate(weights)),
                   reverse=True)
    return [items[index] for _, index in keyed[:count]]
