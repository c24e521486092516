"""The council report's charts as PNG files, in Korean: the 보증운용배수 over 24 months, supply by month and program.

The Korean font and the chart style are the risk alert's (include.alerts.chart: NanumGothic from
the koreanize-matplotlib package, set only inside each chart's rc_context). The multiple's level
lines are the levels the mart applied each day; the forecast band is drawn only when the forecast
mart gave one.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from matplotlib import pyplot as plt
from matplotlib.dates import DateFormatter
from matplotlib.ticker import FuncFormatter

from include.alerts.chart import LEVEL_COLORS, chart_style
from include.alerts.mail import LEVEL_NAMES
from include.export.workbook import million_won
from include.report.series import Forecast, MonthlySupply, MultipleDay

MULTIPLE_CHART = "operating_multiple.png"
SUPPLY_CHART = "supply_by_month.png"
PROGRAMS_SHOWN = 6  # the largest programs of the year; the others are summed as 그 외
OTHER_PROGRAMS = "그 외"
ACTUAL_COLOR = "#1f4e79"
FORECAST_COLOR = "#6a51a3"
PROGRAM_COLORS = ("#1f4e79", "#4e8fc7", "#9cc3e6", "#e3a33b", "#c9604b", "#7aa95c", "#b3b3b3")
DPI = 150


@contextmanager
def korean_figure(width: float, height: float) -> Iterator:
    """A figure and its axes in the report's style; closed on exit."""
    with plt.rc_context(chart_style()):
        fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def thousands(value, _position=None) -> str:
    return f"{value:,.0f}"


def draw_forecast(ax, forecast: Forecast) -> list[float]:
    """The projected central multiple and its p10–p90 band where the mart has one; returns their tops."""
    dates = [f.forecast_date for f in forecast.days]
    banded = [f for f in forecast.days if f.p10 is not None and f.p90 is not None]
    if banded:
        ax.fill_between([f.forecast_date for f in banded], [f.p10 for f in banded], [f.p90 for f in banded],
                        color=FORECAST_COLOR, alpha=0.22, linewidth=0, label="전망 구간 (p10–p90)")
    ax.plot(dates, [f.central for f in forecast.days], color=FORECAST_COLOR, linestyle="--", linewidth=1.4,
            label=f"기준 전망 ({forecast.as_of_date:%Y. %m. %d.} 기준)")
    return [f.central for f in forecast.days] + [f.p90 for f in banded]


def draw_levels(ax, days: list[MultipleDay], until: date) -> list[float]:
    """Each level as the mart applied it day by day, held at its last value until `until`."""
    dates = [d.as_of_date for d in days] + ([until] if until > days[-1].as_of_date else [])
    latest = []
    for key, name in LEVEL_NAMES.items():
        levels = [d.levels[key] for d in days]
        levels += levels[-1:] * (len(dates) - len(levels))
        ax.step(dates, levels, where="post", color=LEVEL_COLORS[key], linestyle=":", linewidth=1.2,
                label=f"{name} {levels[-1]:g}배")
        latest.append(levels[-1])
    return latest


def draw_multiple(ax, days: list[MultipleDay], forecast: Forecast | None) -> None:
    """The daily multiple against its levels, and the forecast band when there is one."""
    ax.plot([d.as_of_date for d in days], [d.multiple for d in days], color=ACTUAL_COLOR, linewidth=1.8,
            label="보증운용배수 (실적)")
    tops = [d.multiple for d in days] + (draw_forecast(ax, forecast) if forecast else [])
    tops += draw_levels(ax, days, forecast.days[-1].forecast_date if forecast else days[-1].as_of_date)
    ax.set_ylim(max(0.0, int(min(d.multiple for d in days)) - 1), max(tops) + 1)
    ax.set_ylabel("보증운용배수 (배)", fontsize=9)


def multiple_chart(path: Path, days: list[MultipleDay], forecast: Forecast | None, through: date) -> Path:
    """PNG of the multiple over the 24 months up to `through`, against its levels (and the forecast band)."""
    with korean_figure(9, 4.6) as (fig, ax):
        draw_multiple(ax, days, forecast)
        outlook = " 및 전망" if forecast else ""
        ax.set_title(f"보증운용배수 추이 (최근 24개월{outlook}, {through:%Y. %m. %d.} 기준)", fontsize=11)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8, frameon=False, ncol=3)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_formatter(DateFormatter("%Y.%m"))
        fig.tight_layout()
        fig.savefig(path)
    return path


def shown_programs(supply: MonthlySupply) -> dict[str, list[int]]:
    """The largest PROGRAMS_SHOWN programs in million won per month, the others summed as 그 외."""
    names = list(supply.amounts_krw)
    shown = {name: [million_won(a) for a in supply.amounts_krw[name]] for name in names[:PROGRAMS_SHOWN]}
    rest = [sum(month) for month in zip(*(supply.amounts_krw[name] for name in names[PROGRAMS_SHOWN:]))]
    if rest:
        shown[OTHER_PROGRAMS] = [million_won(a) for a in rest]
    return shown


def supply_chart(path: Path, supply: MonthlySupply, year: int) -> Path:
    """PNG of 보증공급 by month, stacked by program (백만원), each month's total above its bar."""
    labels = [f"{m.month}월" for m in supply.months]
    programs = shown_programs(supply)
    with korean_figure(9, 4.4) as (fig, ax):
        bottom = [0] * len(labels)
        for (name, amounts), color in zip(programs.items(), PROGRAM_COLORS):
            ax.bar(labels, amounts, bottom=bottom, color=color, width=0.7, label=name)
            bottom = [b + a for b, a in zip(bottom, amounts)]
        for x, total in enumerate(bottom):
            ax.annotate(thousands(total), (x, total), xytext=(0, 2), textcoords="offset points", ha="center",
                        fontsize=7)
        ax.set_title(f"월별·상품별 보증공급 ({year}년)", fontsize=11)
        ax.set_ylabel("보증공급 (백만원)", fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_ylim(0, max(bottom, default=0) * 1.1 or 1)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8, frameon=False,
                  ncol=len(programs))
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(labelsize=8)
        fig.tight_layout()
        fig.savefig(path)
    return path
