"""Who issues what: weighted draws of branch, bank and program, the pricing and the terms of new
guarantees and extensions."""
from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date

BRANCH_107_OPENS = date(2021, 1, 5)
BRANCH_WEIGHTS = {"101": 24, "102": 15, "103": 19, "104": 17, "105": 12, "106": 13}
BRANCH_107_WEIGHT = 8
BANK_WEIGHTS = {"IBK": 28, "NH": 18, "SHINHAN": 14, "KB": 13, "WOORI": 12, "HANA": 12, "OTHER": 3}
PROGRAM_MIXES = (  # (from date, weights of programs for new guarantees)
    (date.min, {"GENERAL": 84, "JOBS": 4, "YOUTH": 4, "ALLEY": 3, "HOPE": 2, "SOCIAL": 1, "RESTART": 1,
                "REDEV": 0.5, "UNDERGROUND": 0.5}),
    (date(2019, 7, 15), {"GENERAL": 81, "JOBS": 4, "YOUTH": 4, "ALLEY": 3, "EXPORT": 3, "HOPE": 2,
                         "SOCIAL": 1, "RESTART": 1, "REDEV": 0.5, "UNDERGROUND": 0.5}),
    (date(2020, 2, 17), {"COVID19": 60, "GENERAL": 28, "JOBS": 3, "YOUTH": 3, "ALLEY": 2, "HOPE": 2,
                         "EXPORT": 1, "SOCIAL": 0.5, "RESTART": 0.5}),
    (date(2021, 1, 1), {"COVID19": 40, "GENERAL": 42, "JOBS": 4, "YOUTH": 4, "ALLEY": 3, "HOPE": 3,
                        "UNDERGROUND": 1.5, "REDEV": 1, "SOCIAL": 0.5, "RESTART": 1}),
)
NEW_TERMS = ((12, 24, 36, 48, 60), (25, 20, 25, 10, 20))
EXTENSION_TERMS = ((12, 24, 36), (70, 20, 10))
CENTER = "201"  # 소상공인디딤돌센터 handles part of the extensions
CENTER_EXTENSION_SHARE = 0.15


@dataclass(frozen=True)
class Weighted:
    """Choices with cumulative weights, for fast repeated draws."""
    values: tuple
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: dict) -> Weighted:
        total, cumulative = 0.0, []
        for weight in weights.values():
            total += weight
            cumulative.append(total)
        return cls(tuple(weights), tuple(cumulative))

    def draw(self, rng: random.Random):
        """= rng.choices(values, cum_weights=cumulative)[0] (the same draw), without its checks."""
        cumulative = self.cumulative
        return self.values[bisect(cumulative, rng.random() * (cumulative[-1] + 0.0), 0, len(cumulative) - 1)]


BRANCHES_BEFORE_107 = Weighted.of(BRANCH_WEIGHTS)
BRANCHES_WITH_107 = Weighted.of({**BRANCH_WEIGHTS, "107": BRANCH_107_WEIGHT})
BANK_CHOICE = Weighted.of(BANK_WEIGHTS)
PROGRAM_CHOICES = tuple((since, Weighted.of(weights)) for since, weights in PROGRAM_MIXES)


NEW_TERM_CHOICE = Weighted.of(dict(zip(*NEW_TERMS)))  # draws as rng.choices(*NEW_TERMS)[0] does
EXTENSION_TERM_CHOICE = Weighted.of(dict(zip(*EXTENSION_TERMS)))


def pick_branch(day: date, rng: random.Random) -> str:
    return (BRANCHES_WITH_107 if day >= BRANCH_107_OPENS else BRANCHES_BEFORE_107).draw(rng)


_PROGRAM_CHOICE_ON: dict[date, Weighted] = {}


def pick_program(day: date, rng: random.Random) -> str:
    choice = _PROGRAM_CHOICE_ON.get(day)
    if choice is None:
        choice = _PROGRAM_CHOICE_ON[day] = next(mix for since, mix in reversed(PROGRAM_CHOICES) if day >= since)
    return choice.draw(rng)


GENERAL_RATIOS, GENERAL_FEES = (85.0, 85.0, 85.0, 90.0, 95.0, 100.0), (0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5)
SPECIAL_RATIOS, SPECIAL_FEES = (90.0, 95.0, 100.0, 100.0, 100.0), (0.5, 0.6, 0.7, 0.8, 0.8, 0.9, 1.0)


def pick_pricing(program: str, rng: random.Random) -> tuple[float, float]:
    """(guarantee ratio %, fee rate %): special programs guarantee fully at lower fees."""
    below = rng._randbelow  # seq[below(len(seq))] is rng.choice(seq)
    ratios, fees = (GENERAL_RATIOS, GENERAL_FEES) if program == "GENERAL" else (SPECIAL_RATIOS, SPECIAL_FEES)
    ratio = ratios[below(len(ratios))]
    return ratio, fees[below(len(fees))]
