"""Deterministic demo landing area of 인천신용보증재단, following the extract contract.

`generate_landing` writes one delivery folder `YYYYMMDD` per calendar day from the cut-over
(`start`) to `end`, each with the five files of the contract (include.ingest.contract), manifest last.

How the figures come out exactly (scale 1, the default cut-over): every plan period (the years
2019 and 2020, then calendar months) has exact counts and amounts per event type. Each total
is split into single amounts that sum exactly, the amounts are scheduled on business days, and
on its day every event is matched to the guarantee whose balance fits it best, so EXTEND,
ACCIDENT, NORMALIZE and SUBROGATE never exceed the balance (should no balance cover an amount,
the event takes the largest and later events of its kind take the rest). Claim movements are
planned against the claims' balances and never exceed them. Terminations and loan principal
repayments steer the book each business day towards the period's closing count and balance,
which its last business day hits exactly. The fund, the cut-over state and the roster are
fixed tables. Scenario "breach" differs from "normal" only in 2021 (faster supply growth).
From another cut-over (or scale) the same mechanics run on a generic monthly plan.

Same seed, same arguments → byte-identical files: every random choice comes from
`random.Random` seeded with strings (seed, day or period), and all iteration is ordered.

    python -m include.demo.generator --landing-dir var/landing [--seed N] [--scale F]
        [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--scenario normal|breach]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

from include.ingest.contract import (
    CONTRIBUTIONS,
    FILES,
    GUARANTEES,
    HEADCOUNT,
    MANIFEST_FILE,
    MANIFEST_HEADER,
    PRICED_EVENTS,
    REPAYMENTS,
)

DEFAULT_SEED = 20201231
DEFAULT_START = date(2018, 12, 31)  # the cut-over
DEFAULT_END = date(2021, 3, 31)
SCENARIOS = ("normal", "breach")
PROGRESS_EVERY = 50

MILLION = 1_000_000
LARGE_KRW = 30 * MILLION  # guarantees at or above this are also kept in a pool of their own
NORMAL, ACCIDENT, CLOSED = "NORMAL", "ACCIDENT", "CLOSED"
SPECIAL_UNIT = "020"  # 영업관리부 manages write-offs and the special claims (특수채권)
CENTER = "201"  # 소상공인디딤돌센터 handles part of the extensions
CENTER_EXTENSION_SHARE = 0.15


class GenerationError(RuntimeError):
    """The plan could not be carried out (a bug or an impossible plan, never a data finding)."""


# --- calendar ----------------------------------------------------------------------------

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


# --- the plan: figures per period (amounts in million won) --------------------------------

@dataclass(frozen=True)
class Flow:
    count: int
    million: int

    def scaled(self, scale: float) -> tuple[int, int]:
        """(count, amount in won), amounts kept in whole thousand won."""
        return round(self.count * scale), round(self.million * scale * 1000) * 1000


@dataclass(frozen=True)
class PeriodFigures:
    new: Flow
    extend: Flow
    accident: Flow
    normalize: Flow
    subrogate: Flow
    recovery: Flow  # on the recourse ledger: distinct claims, amount
    balance: Flow | None  # guarantees with balance > 0 and their balance at the period's end
    write_off: int  # million won moved from the recourse to the special ledger (approximate)
    special: tuple[tuple[str, int], ...]  # (kind, million won) taken off the special ledger
    new_month_weights: tuple[float, ...] = (1.0,) * 12  # seasonality of new guarantees


SPECIAL_2021_MONTH = (("RECOVERY", 150), ("EXTINGUISH", 2_080), ("SALE", 170), ("WAIVER", 40))
CLAIMS_2021_MONTH = dict(recovery=Flow(80, 1_550), write_off=3_330, special=SPECIAL_2021_MONTH)
ACCIDENTS_2021_MONTH = dict(accident=Flow(600, 7_500), normalize=Flow(180, 2_100), subrogate=Flow(380, 5_000))

YEARLY_FIGURES = {
    "2019": PeriodFigures(
        new=Flow(17_000, 408_000), extend=Flow(13_960, 333_669),
        accident=Flow(4_441, 55_606), normalize=Flow(1_403, 16_498), subrogate=Flow(2_938, 38_333),
        recovery=Flow(435, 12_454), balance=Flow(61_556, 1_191_546), write_off=22_000,
        special=(("RECOVERY", 1_500), ("EXTINGUISH", 18_000), ("SALE", 2_000), ("WAIVER", 400)),
        new_month_weights=(0.8, 0.85, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 1.0, 1.05, 1.1, 1.2),
    ),
    "2020": PeriodFigures(  # COVID-19: new guarantees surge from March
        new=Flow(44_000, 1_240_000), extend=Flow(18_774, 377_820),
        accident=Flow(3_618, 51_864), normalize=Flow(1_231, 15_577), subrogate=Flow(2_609, 37_608),
        recovery=Flow(652, 14_336), balance=Flow(96_099, 2_192_064), write_off=30_000,
        special=(("RECOVERY", 1_700), ("EXTINGUISH", 22_000), ("SALE", 1_800), ("WAIVER", 450)),
        new_month_weights=(0.45, 0.5, 1.5, 1.9, 1.6, 1.3, 1.1, 0.9, 0.85, 0.75, 0.65, 0.55),
    ),
}


def _month_2021(new: Flow, extend: Flow, balance: Flow) -> PeriodFigures:
    return PeriodFigures(new=new, extend=extend, balance=balance, **ACCIDENTS_2021_MONTH, **CLAIMS_2021_MONTH)


MONTHLY_FIGURES = {  # (month, scenario) → figures; the multiple ends Q1 near 9.25 (normal) or 10.5 (breach)
    ("2021-01", "normal"): _month_2021(Flow(4_000, 130_000), Flow(1_500, 32_000), Flow(98_500, 2_290_000)),
    ("2021-02", "normal"): _month_2021(Flow(3_500, 100_000), Flow(1_500, 30_000), Flow(100_300, 2_360_000)),
    ("2021-03", "normal"): _month_2021(Flow(5_000, 155_000), Flow(2_000, 45_000), Flow(103_000, 2_472_000)),
    ("2021-01", "breach"): _month_2021(Flow(8_000, 325_000), Flow(2_000, 45_000), Flow(102_500, 2_485_000)),
    ("2021-02", "breach"): _month_2021(Flow(5_000, 135_000), Flow(1_800, 40_000), Flow(105_800, 2_585_000)),
    ("2021-03", "breach"): _month_2021(Flow(8_000, 265_000), Flow(2_500, 55_000), Flow(112_000, 2_800_000)),
}
# any other month: the 2021 plan per month, the book growing by half its net new supply
GENERIC_MONTH = _month_2021(Flow(1_700, 42_000), Flow(1_650, 41_000), balance=None)


@dataclass(frozen=True)
class AmountShape:
    """How a total is split into single amounts: unit, bounds (in units) and lognormal spread."""
    unit: int
    low: int
    high: int
    sigma: float


SHAPES = {
    "NEW": AmountShape(MILLION, 3, 800, 0.7),
    "EXTEND": AmountShape(100_000, 10, 3_000, 0.7),
    "ACCIDENT": AmountShape(1_000, 1_000, 300_000, 0.85),
    "NORMALIZE": AmountShape(1_000, 500, 150_000, 0.85),
    "SUBROGATE": AmountShape(1_000, 500, 150_000, 0.85),
    "OPENING": AmountShape(10_000, 100, 80_000, 0.8),
    "OPENING_ACCIDENT": AmountShape(1_000, 1_000, 300_000, 0.9),
    "OPENING_RECOURSE": AmountShape(1_000, 500, 1_500_000, 1.0),
    "OPENING_SPECIAL": AmountShape(1_000, 200, 800_000, 1.0),
}
PLANNED_GUARANTEE_EVENTS = ("NEW", "EXTEND", "ACCIDENT", "NORMALIZE", "SUBROGATE")


@dataclass(frozen=True)
class OpeningStock:
    """The book at cut-over (scale 1)."""
    guarantees: Flow = Flow(59_000, 1_080_000)  # outstanding, accidents included
    accidents: Flow = Flow(700, 9_500)  # of which in accident status
    recourse: Flow = Flow(9_000, 205_000)  # 구상채권
    special: Flow = Flow(6_000, 90_000)  # 특수채권


OPENING_STOCK = OpeningStock()

# --- the plan: the fund (basic assets), million won ----------------------------------------

# OPENING rows at cut-over, one per contributor type: cumulative contributions 284,040
OPENING_FUNDS = (
    ("INCHEON_CITY", "인천광역시", "CITY", 150_000),
    ("DISTRICTS", "기초자치단체", "DISTRICT", 8_500),
    ("MSS", "중소벤처기업부", "CENTRAL_GOV", 30_000),
    ("BANKS_MANDATORY", "금융기관 법정출연", "BANK_MANDATORY", 40_000),
    ("BANKS_SPECIAL", "금융기관 특별출연", "BANK_SPECIAL", 55_000),
    ("OTHER_DONORS", "기타", "OTHER", 540),
)
CUTOVER_DEFICIT = ("DEFICIT", "누적결손금", 87_944)

CONTRIBUTORS = {  # code → (name, contributor type)
    "INCHEON_CITY": ("인천광역시", "CITY"),
    "GYEYANG_GU": ("계양구", "DISTRICT"),
    "MICHUHOL_GU": ("미추홀구", "DISTRICT"),
    "BUPYEONG_GU": ("부평구", "DISTRICT"),
    "YEONSU_GU": ("연수구", "DISTRICT"),
    "ONGJIN_GUN": ("옹진군", "DISTRICT"),
    "JUNG_GU": ("중구", "DISTRICT"),
    "BANKS_MANDATORY": ("금융기관 법정출연", "BANK_MANDATORY"),
    "IBK": ("기업은행", "BANK_SPECIAL"),
    "NH": ("농협은행", "BANK_SPECIAL"),
    "SHINHAN": ("신한은행", "BANK_SPECIAL"),
    "KB": ("국민은행", "BANK_SPECIAL"),
    "WOORI": ("우리은행", "BANK_SPECIAL"),
    "HANA": ("하나은행", "BANK_SPECIAL"),
    "MSS": ("중소벤처기업부", "CENTRAL_GOV"),
    "OTHER_DONORS": ("기타", "OTHER"),
}
_DISTRICTS_2019 = tuple(("2019-11-29", code, "", 100) for code in
                        ("GYEYANG_GU", "MICHUHOL_GU", "BUPYEONG_GU", "YEONSU_GU", "ONGJIN_GUN", "JUNG_GU"))
_DISTRICTS_2020 = tuple(("2020-12-15", code, "", amount) for code, amount in (
    ("GYEYANG_GU", 100), ("MICHUHOL_GU", 50), ("BUPYEONG_GU", 100), ("YEONSU_GU", 150),
    ("ONGJIN_GUN", 700), ("JUNG_GU", 100)))
# (date, contributor code, program or "", million won): 2019 15,102; 2020 62,905; 2021 Q1 8,200
CONTRIBUTION_PLAN = (
    ("2019-01-31", "BANKS_MANDATORY", "", 800), ("2019-02-28", "INCHEON_CITY", "", 3_000),
    ("2019-03-29", "IBK", "", 1_500), ("2019-04-30", "BANKS_MANDATORY", "", 800),
    ("2019-05-31", "INCHEON_CITY", "JOBS", 1_000), ("2019-05-31", "INCHEON_CITY", "YOUTH", 800),
    ("2019-06-28", "NH", "", 700), ("2019-06-28", "SHINHAN", "", 600),
    ("2019-07-31", "BANKS_MANDATORY", "", 800), ("2019-08-30", "INCHEON_CITY", "ALLEY", 700),
    ("2019-08-30", "INCHEON_CITY", "HOPE", 500), ("2019-09-30", "INCHEON_CITY", "EXPORT", 300),
    ("2019-09-30", "KB", "", 400), ("2019-09-30", "WOORI", "", 300), ("2019-09-30", "HANA", "", 400),
    ("2019-10-31", "BANKS_MANDATORY", "", 800), ("2019-11-29", "IBK", "", 1_000),
    *_DISTRICTS_2019,
    ("2019-12-20", "MSS", "", 100), ("2019-12-27", "OTHER_DONORS", "", 2),
    ("2020-01-31", "BANKS_MANDATORY", "", 900), ("2020-02-28", "INCHEON_CITY", "", 1_000),
    ("2020-03-20", "INCHEON_CITY", "COVID19", 5_000), ("2020-03-31", "IBK", "COVID19", 6_000),
    ("2020-04-29", "BANKS_MANDATORY", "", 900), ("2020-04-29", "MSS", "COVID19", 2_000),
    ("2020-05-15", "INCHEON_CITY", "COVID19", 8_000), ("2020-05-29", "NH", "COVID19", 1_416),
    ("2020-05-29", "SHINHAN", "COVID19", 1_500), ("2020-05-29", "KB", "COVID19", 1_000),
    ("2020-05-29", "HANA", "COVID19", 1_350), ("2020-06-30", "INCHEON_CITY", "JOBS", 1_600),
    ("2020-06-30", "INCHEON_CITY", "YOUTH", 800), ("2020-06-30", "IBK", "COVID19", 6_000),
    ("2020-07-31", "BANKS_MANDATORY", "", 900), ("2020-08-31", "INCHEON_CITY", "ALLEY", 1_000),
    ("2020-08-31", "INCHEON_CITY", "EXPORT", 800), ("2020-09-25", "INCHEON_CITY", "COVID19", 5_600),
    ("2020-09-25", "WOORI", "COVID19", 1_080), ("2020-10-30", "BANKS_MANDATORY", "", 927),
    ("2020-10-30", "MSS", "COVID19", 1_928), ("2020-11-30", "INCHEON_CITY", "HOPE", 1_000),
    ("2020-11-30", "NH", "", 1_000), ("2020-11-30", "SHINHAN", "", 1_500), ("2020-11-30", "KB", "", 1_000),
    ("2020-11-30", "HANA", "", 1_350),
    *_DISTRICTS_2020,
    ("2020-12-23", "IBK", "", 6_136), ("2020-12-28", "OTHER_DONORS", "", 18),
    ("2021-01-29", "BANKS_MANDATORY", "", 1_500), ("2021-02-15", "INCHEON_CITY", "", 3_000),
    ("2021-03-15", "INCHEON_CITY", "COVID19", 2_500), ("2021-03-22", "IBK", "COVID19", 1_000),
    ("2021-03-25", "YEONSU_GU", "", 200),
)
# year-end deficit appropriations booked later: (date, code, name, million won)
LOSS_PLAN = (("2021-02-26", "DEFICIT", "2020년 결손금 보전", 15_000),)

# --- the plan: who issues what --------------------------------------------------------------

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
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


BRANCHES_BEFORE_107 = Weighted.of(BRANCH_WEIGHTS)
BRANCHES_WITH_107 = Weighted.of({**BRANCH_WEIGHTS, "107": BRANCH_107_WEIGHT})
BANK_CHOICE = Weighted.of(BANK_WEIGHTS)
PROGRAM_CHOICES = tuple((since, Weighted.of(weights)) for since, weights in PROGRAM_MIXES)


def pick_branch(day: date, rng: random.Random) -> str:
    return (BRANCHES_WITH_107 if day >= BRANCH_107_OPENS else BRANCHES_BEFORE_107).draw(rng)


def pick_program(day: date, rng: random.Random) -> str:
    choice = next(mix for since, mix in reversed(PROGRAM_CHOICES) if day >= since)
    return choice.draw(rng)


def pick_pricing(program: str, rng: random.Random) -> tuple[float, float]:
    """(guarantee ratio %, fee rate %): special programs guarantee fully at lower fees."""
    if program == "GENERAL":
        return rng.choice((85.0, 85.0, 85.0, 90.0, 95.0, 100.0)), rng.choice((0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5))
    return rng.choice((90.0, 95.0, 100.0, 100.0, 100.0)), rng.choice((0.5, 0.6, 0.7, 0.8, 0.8, 0.9, 1.0))


# --- splitting totals exactly --------------------------------------------------------------

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


# --- customers ------------------------------------------------------------------------------

SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제탁국어은용"
GIVEN_SYLLABLES = "민서준지현우영수진호성은경재희정훈혜승연동윤상태선미나아주원하도유예철광석대보명숙순옥자환빈규"
BUSINESS_STEMS = (
    "한빛", "새롬", "푸른", "대한", "인천", "송도", "부평", "해오름", "다온", "미래", "행복", "우리", "늘푸른",
    "소래", "월미", "계양", "청라", "주안", "구월", "만수", "논현", "연수", "강화", "영종", "동춘", "가온",
    "누리", "한결", "온누리", "으뜸", "제일", "신흥", "동양", "삼화", "보람", "봄날", "바다", "하늘",
)
BUSINESS_KINDS = (
    "식당", "상사", "마트", "카페", "베이커리", "정육점", "미용실", "공업사", "인쇄", "전자", "철물", "약국",
    "치킨", "분식", "떡집", "꽃집", "세탁소", "부동산", "문구", "철강", "기계", "산업", "물산", "상회", "수산",
    "반찬", "안경", "한의원", "학원", "정비", "유통", "건설", "디자인", "식품", "테크",
)
OUTLET_SUFFIXES = ("본점", "2호점", "부평점", "구월점", "송도점", "청라점")
TAX_OFFICES = ("121", "122", "131", "137", "139", "143")
CORPORATE_CODES = ("81", "86", "87", "88")


@dataclass(frozen=True)
class Customer:
    customer_id: str
    business_reg_no: str
    name: str


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_SYLLABLES) + rng.choice(GIVEN_SYLLABLES)


def business_name(rng: random.Random) -> str:
    return rng.choice(BUSINESS_STEMS) + rng.choice(BUSINESS_KINDS)


def customer_name(rng: random.Random, corporate: bool) -> str:
    """A Korean business or owner name; a few carry commas, double quotes or a line break."""
    if corporate:
        return rng.choice(("(주)", "주식회사 ")) + business_name(rng)
    roll = rng.random()
    if roll < 0.0006:
        return f"{business_name(rng)}\n({rng.choice(OUTLET_SUFFIXES)})"
    if roll < 0.008:
        return f'{rng.choice(BUSINESS_KINDS)} "{rng.choice(BUSINESS_STEMS)}"'
    if roll < 0.02:
        return f"{person_name(rng)}, {person_name(rng)} 공동대표"
    if roll < 0.42:
        return person_name(rng)
    if roll < 0.9:
        return business_name(rng)
    return f"{business_name(rng)} {rng.choice(OUTLET_SUFFIXES)}"


CHECK_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def with_check_digit(first_nine: str) -> str:
    """The 10-digit 사업자등록번호 ending in the check digit that contract.business_reg_no_is_valid
    accepts (S = Σ dᵢ·wᵢ + ⌊d9·5/10⌋, check digit (10 − S mod 10) mod 10)."""
    digits = [int(ch) for ch in first_nine]
    total = sum(d * w for d, w in zip(digits, CHECK_WEIGHTS)) + digits[8] * 5 // 10
    return first_nine + str((10 - total % 10) % 10)


class CustomerBook:
    """Customers with stable ids, names and unique 사업자등록번호."""

    REUSE_SHARE = 0.12  # new guarantees for customers who already have one

    def __init__(self) -> None:
        self.customers: list[Customer] = []
        self._reg_nos: set[str] = set()

    def create(self, rng: random.Random) -> Customer:
        corporate = rng.random() < 0.1
        customer = Customer(f"K{len(self.customers) + 1:08d}", self._new_reg_no(rng, corporate),
                            customer_name(rng, corporate))
        self.customers.append(customer)
        return customer

    def for_new_guarantee(self, rng: random.Random) -> Customer:
        if self.customers and rng.random() < self.REUSE_SHARE:
            return self.customers[rng.randrange(len(self.customers))]
        return self.create(rng)

    def _new_reg_no(self, rng: random.Random, corporate: bool) -> str:
        while True:
            kind = rng.choice(CORPORATE_CODES) if corporate else f"{rng.randint(1, 79):02d}"
            reg_no = with_check_digit(f"{rng.choice(TAX_OFFICES)}{kind}{rng.randint(1, 9999):04d}")
            if reg_no not in self._reg_nos:
                self._reg_nos.add(reg_no)
                return reg_no


# --- ledger state ---------------------------------------------------------------------------

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
        return self._items[rng.randrange(len(self._items))]


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
        self.normal, self.large, self.in_accident = Pool(), Pool(), Pool()
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


# --- rows of a delivery ---------------------------------------------------------------------

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

    def __init__(self) -> None:
        self.ledger = Ledger()
        self.customers = CustomerBook()
        self.ids = Ids()
        self.day = date.min
        self.rows: dict[str, list[dict]] = {}

    def start_day(self, day: date) -> None:
        self.day = day
        self.rows = {spec.name: [] for spec in FILES}

    # guarantees.csv

    def _guarantee_row(self, event_type: str, guarantee: Guarantee, amount: int,
                       branch: str | None = None, term: int | None = None) -> None:
        priced = event_type in PRICED_EVENTS
        customer = guarantee.customer
        self.rows[GUARANTEES.name].append({
            "event_id": self.ids.event(), "event_date": self.day.isoformat(), "event_type": event_type,
            "guarantee_id": guarantee.guarantee_id, "branch_code": branch or guarantee.branch,
            "program_code": guarantee.program, "customer_id": customer.customer_id,
            "business_reg_no": customer.business_reg_no, "customer_name": customer.name,
            "bank_code": guarantee.bank, "amount_krw": amount,
            "guarantee_ratio_pct": pct(guarantee.ratio) if priced else None,
            "fee_rate_pct": pct(guarantee.fee) if priced else None,
            "term_months": term, "maturity_date": add_months(self.day, term).isoformat() if term else None,
        })

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
        self.rows[REPAYMENTS.name].append({
            "repayment_id": self.ids.repayment(), "repayment_date": self.day.isoformat(), "kind": kind,
            "guarantee_id": guarantee_id, "branch_code": branch, "amount_krw": amount,
        })

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
        self.rows[CONTRIBUTIONS.name].append({
            "contribution_id": self.ids.contribution(), "received_date": self.day.isoformat(),
            "entry_type": entry_type, "contributor_code": code, "contributor_name": name,
            "contributor_type": contributor_type, "program_code": program or None, "amount_krw": amount,
        })

    def roster_entry(self, employee_id: str, unit: str, grade: str, status: str) -> None:
        self.rows[HEADCOUNT.name].append({
            "snapshot_date": self.day.isoformat(), "employee_id": employee_id, "org_unit_code": unit,
            "grade": grade, "employment_status": status,
        })


# --- writing a delivery ---------------------------------------------------------------------

CP949_DAYS = (7, 21)  # branch-style exports: Korean text in CP949 on these days of the month
BOM_DAYS = (14, 28)
CP949_FILES = (GUARANTEES.name, CONTRIBUTIONS.name)


def file_encoding(day: date, file_name: str) -> str:
    if day.day in CP949_DAYS and file_name in CP949_FILES:
        return "cp949"
    if day.day in BOM_DAYS:
        return "utf-8-sig"
    return "utf-8"


def csv_bytes(records: list[list], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(records)
    return buffer.getvalue().encode(encoding)


def write_delivery(landing_dir: Path, day: date, rows: dict[str, list[dict]]) -> None:
    """The four data files, then the manifest (rows, amount sum, SHA-256 of the bytes written)."""
    folder = landing_dir / day.strftime("%Y%m%d")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).unlink(missing_ok=True)  # rewriting a day: incomplete until the new manifest
    manifest = [list(MANIFEST_HEADER)]
    for spec in FILES:
        records = [list(spec.column_names)]
        records += [["" if row[name] is None else row[name] for name in spec.column_names] for row in rows[spec.name]]
        data = csv_bytes(records, file_encoding(day, spec.name))
        (folder / spec.name).write_bytes(data)
        amount_sum = sum(row["amount_krw"] for row in rows[spec.name]) if spec.has_amount else 0
        manifest.append([spec.name, len(rows[spec.name]), amount_sum, hashlib.sha256(data).hexdigest()])
    (folder / MANIFEST_FILE).write_bytes(csv_bytes(manifest, "utf-8"))


# --- the cut-over -------------------------------------------------------------------------

def opening_guarantee(books: Books, day: date, rng: random.Random) -> Guarantee:
    branch = BRANCHES_BEFORE_107.draw(rng)
    program = pick_program(date(2018, 6, 30), rng)
    ratio, fee = pick_pricing(program, rng)
    return Guarantee(
        books.ids.guarantee(rng.randint(2012, day.year), branch), branch, program, books.customers.create(rng),
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
            claim_id = books.ids.guarantee(rng.randint(2006, day.year), branch)
            recourse, special = (amount, 0) if kind == "OPENING_RECOURSE" else (0, amount)
            books.open_claim(claim_id, branch, recourse, special)


def scaled_krw(million: int, scale: float) -> int:
    return round(million * scale * 1000) * 1000


# --- plan periods ----------------------------------------------------------------------------

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


def period_bounds(start: date, end: date) -> Iterator[tuple[str, date, date]]:
    """(key, first, last) of the plan periods after the cut-over: the report's years whole (from
    the default cut-over only), else calendar months."""
    day = start + timedelta(days=1)
    while day <= end:
        year_key = str(day.year)
        if start == DEFAULT_START and year_key in YEARLY_FIGURES and (day.month, day.day) == (1, 1):
            key, last = year_key, date(day.year, 12, 31)
        else:
            key, last = f"{day.year}-{day.month:02d}", month_end(day)
        yield key, day, last
        day = last + timedelta(days=1)


def figures_for(key: str, scenario: str, start: date) -> PeriodFigures:
    """The report's plan applies to the book as it was at the default cut-over; from any other
    cut-over every month follows the generic plan."""
    if start != DEFAULT_START:
        return GENERIC_MONTH
    return YEARLY_FIGURES.get(key) or MONTHLY_FIGURES.get((key, scenario)) or GENERIC_MONTH


def build_period(key: str, first: date, last: date, figures: PeriodFigures, ledger: Ledger,
                 scale: float, stats: ControlStats, rng: random.Random) -> Period:
    days = business_days(first, last)
    stats.fade()
    if not days:
        return Period(key, [], ledger.live_count, ledger.total_balance, {}, {}, {}, set(),
                      {kind: [0, 0] for kind in PLANNED_GUARANTEE_EVENTS}, stats)
    schedule, remaining = schedule_guarantee_events(figures, days, scale, rng)
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


# --- a business day ---------------------------------------------------------------------------

SAMPLE_SIZES = (24, 400)
EXTEND_MIN_AGE = timedelta(days=180)
ACCIDENT_MIN_AGE = timedelta(days=60)
RESOLVE_MIN_AGE = timedelta(days=14)
PRINCIPAL_UNIT = 10_000
PRINCIPAL_MISSES = 10_000  # draws in a row that fit no payment: the book has nothing left to repay


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


def termination_candidate(ledger: Ledger, day: date, rng: random.Random) -> Guarantee:
    """A NORMAL guarantee not supplied in the last month, leaning to small (paid-down) balances."""
    cutoff = day - timedelta(days=30)
    sampled = [g for g in (ledger.normal.pick(rng) for _ in range(4)) if g.last_supply < cutoff]
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


# --- the fund ---------------------------------------------------------------------------------

def fund_entries_by_day(scale: float) -> dict[date, list[tuple]]:
    """Planned CONTRIBUTION and LOSS rows per day, as Books.fund_entry arguments."""
    entries: dict[date, list[tuple]] = defaultdict(list)
    for day, code, program, million in CONTRIBUTION_PLAN:
        name, contributor_type = CONTRIBUTORS[code]
        entries[date.fromisoformat(day)].append(
            ("CONTRIBUTION", code, name, contributor_type, program, scaled_krw(million, scale)))
    for day, code, name, million in LOSS_PLAN:
        entries[date.fromisoformat(day)].append(("LOSS", code, name, None, None, scaled_krw(million, scale)))
    return entries


# --- the roster -------------------------------------------------------------------------------

LONG_AGO = date(2010, 3, 2)
# ACTIVE staff on 2021-01-04 by unit and grade (the report's 현원; 5~6급 split into 5 and 6)
ROSTER_2021 = {
    "010": ("2", "OTHER", "OTHER"),
    "011": ("4", "4", "4", "4", "5"),
    "012": ("3", "4", "5", "5", "6", "6"),
    "013": ("3",),
    "020": ("2", "3", "4", "5", "6"),
    "030": ("2", "3"),
    "201": ("3", "4", "4", "4", "5", "6"),
    "101": ("1", "4", "4", "4", "5", "5", "5", "6", "6", "6"),
    "102": ("2", "4", "4", "5", "6"),
    "103": ("1", "3", "4", "5", "5", "5", "6", "6"),
    "104": ("3", "3", "4", "5", "5", "6", "OTHER"),
    "105": ("3", "3", "5", "5", "6"),
    "106": ("2", "4", "4", "5", "6"),
}
ON_LEAVE = (("012", "5", date(2020, 7, 1)), ("101", "6", date(2020, 10, 5)))  # (unit, grade, since)
JOINED = {("102", "6"): date(2019, 7, 1), ("104", "6"): date(2019, 7, 1), ("105", "6"): date(2019, 7, 1),
          ("101", "6"): date(2020, 1, 2), ("106", "6"): date(2020, 1, 2)}  # first such employee joined then
LEFT = (("103", "4", date(2019, 6, 28)), ("101", "5", date(2020, 2, 28)), ("011", "3", date(2020, 12, 31)))
MOVED = {("013", "3"): (date(2020, 12, 1), "011")}  # the cluster team's head came from 전략기획부
NEW_HIRES = (date(2021, 1, 5), ("107", "107", "107", "107", "101", "101", "102", "103", "103", "104", "105",
                                "106", "201", "020"))


@dataclass(frozen=True)
class Employee:
    employee_id: str
    grade: str
    unit: str
    hired: date = LONG_AGO
    left: date | None = None  # last day on the roster
    leave_since: date | None = None
    previous_unit: tuple[date, str] | None = None  # (moved on, unit before)

    def on_roster(self, day: date) -> bool:
        return self.hired <= day and (self.left is None or day <= self.left)

    def unit_on(self, day: date) -> str:
        if self.previous_unit and day < self.previous_unit[0]:
            return self.previous_unit[1]
        return self.unit

    def status_on(self, day: date) -> str:
        return "LEAVE" if self.leave_since and day >= self.leave_since else "ACTIVE"


def build_roster() -> list[Employee]:
    employees: list[Employee] = []
    joined = dict(JOINED)
    for unit, grades in ROSTER_2021.items():
        for grade in grades:
            moved_on, before = MOVED.get((unit, grade), (None, None))
            employees.append(Employee("", grade, unit, hired=joined.pop((unit, grade), LONG_AGO),
                                      previous_unit=(moved_on, before) if moved_on else None))
    employees += [Employee("", grade, unit, leave_since=since) for unit, grade, since in ON_LEAVE]
    employees += [Employee("", grade, unit, left=left) for unit, grade, left in LEFT]
    hired_on, units = NEW_HIRES
    employees += [Employee("", "6", unit, hired=hired_on) for unit in units]
    return [replace(employee, employee_id=f"E{1001 + index:04d}") for index, employee in enumerate(employees)]


def write_roster(books: Books, roster: list[Employee]) -> None:
    day = books.day
    for employee in roster:
        if employee.on_roster(day):
            books.roster_entry(employee.employee_id, employee.unit_on(day), employee.grade, employee.status_on(day))


# --- the whole landing area --------------------------------------------------------------------

class PeriodCalendar:
    """The plan periods of a run, each built when its first day comes (from the state then)."""

    def __init__(self, start: date, end: date, seed: int, scale: float, scenario: str) -> None:
        self._bounds = list(period_bounds(start, end))
        self._start = start
        self._seed, self._scale, self._scenario = seed, scale, scenario
        self._current: Period | None = None
        self._current_last = date.min
        self._stats = ControlStats()

    def period_on(self, day: date, ledger: Ledger) -> Period:
        if self._current is None or day > self._current_last:
            key, first, last = next(bound for bound in self._bounds if bound[1] <= day <= bound[2])
            figures = figures_for(key, self._scenario, self._start)
            rng = random.Random(f"{self._seed}:plan:{key}")
            self._current = build_period(key, first, last, figures, ledger, self._scale, self._stats, rng)
            self._current_last = last
        return self._current


def generate_landing(landing_dir: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0,
                     start: date = DEFAULT_START, end: date = DEFAULT_END, scenario: str = "normal",
                     progress: Callable[[str], None] | None = None) -> dict:
    """Write the deliveries start (the cut-over) … end into landing_dir; return a summary."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}")
    if scale <= 0 or end < start:
        raise ValueError("scale must be positive and end not before start")
    landing_dir = Path(landing_dir)
    books, roster = Books(), build_roster()
    periods = PeriodCalendar(start, end, seed, scale, scenario)
    fund_entries = fund_entries_by_day(scale)
    rows_per_file = {spec.name: 0 for spec in FILES}
    deliveries = 0
    for day in calendar_days(start, end):
        books.start_day(day)
        rng = random.Random(f"{seed}:day:{day.isoformat()}")
        if day == start:
            write_cutover(books, day, scale, random.Random(f"{seed}:cutover"))
        elif is_business_day(day):
            run_business_day(books, periods.period_on(day, books.ledger), rng)
        if day > start:
            for entry in fund_entries.get(day, ()):
                books.fund_entry(*entry)
        write_roster(books, roster)
        write_delivery(landing_dir, day, books.rows)
        deliveries += 1
        for name, rows in books.rows.items():
            rows_per_file[name] += len(rows)
        if progress and (deliveries % PROGRESS_EVERY == 0 or day == end):
            progress(f"{deliveries} deliveries written (up to {day:%Y%m%d}), {sum(rows_per_file.values())} rows")
    return {"landing_dir": str(landing_dir), "first_delivery": f"{start:%Y%m%d}", "last_delivery": f"{end:%Y%m%d}",
            "deliveries": deliveries, "rows": rows_per_file, "seed": seed, "scale": scale, "scenario": scenario}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.demo.generator",
                                     description="Write the foundation's demo landing area (one delivery per day).")
    parser.add_argument("--landing-dir", type=Path, default=None, help="default: the configured landing area")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies volumes (figures match at 1 only)")
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START, help="the cut-over day")
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END)
    parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
    args = parser.parse_args(argv)
    if args.landing_dir is None:
        from include.warehouse import settings
        args.landing_dir = settings.landing_dir()
    began = time.perf_counter()
    summary = generate_landing(args.landing_dir, seed=args.seed, scale=args.scale, start=args.start,
                               end=args.end, scenario=args.scenario, progress=print_progress)
    rows = ", ".join(f"{name} {count}" for name, count in summary["rows"].items())
    print_progress(f"wrote {summary['deliveries']} deliveries {summary['first_delivery']}…"
                   f"{summary['last_delivery']} to {summary['landing_dir']} in "
                   f"{time.perf_counter() - began:.1f} s; rows: {rows}")
    return 0


def print_progress(message: str) -> None:
    print(f"[generator] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
