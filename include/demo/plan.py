"""What the demo reproduces: the report's figures per plan period, the shapes of the single
amounts their totals are split into, and the book at cut-over (scale 1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_START = date(2018, 12, 31)  # the cut-over
DEFAULT_END = date(2021, 3, 31)
SCENARIOS = ("normal", "breach")

MILLION = 1_000_000


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
CLAIMS_2021_MONTH = {"recovery": Flow(80, 1_550), "write_off": 3_330, "special": SPECIAL_2021_MONTH}
ACCIDENTS_2021_MONTH = {"accident": Flow(600, 7_500), "normalize": Flow(180, 2_100),
                        "subrogate": Flow(380, 5_000)}

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


def _monthly(figures: PeriodFigures) -> PeriodFigures:
    def month(flow: Flow) -> Flow:
        return Flow(round(flow.count / 12), round(flow.million / 12))
    return PeriodFigures(
        new=month(figures.new), extend=month(figures.extend), accident=month(figures.accident),
        normalize=month(figures.normalize), subrogate=month(figures.subrogate), recovery=month(figures.recovery),
        balance=None, write_off=round(figures.write_off / 12),
        special=tuple((kind, round(million / 12)) for kind, million in figures.special))


# a month of the history before the window (--years): 2019's volumes by month (the generator scales
# them with the book, and steers the book to the cut-over's)
HISTORY_MONTH = _monthly(YEARLY_FIGURES["2019"])


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



def scaled_krw(million: int, scale: float) -> int:
    return round(million * scale * 1000) * 1000
