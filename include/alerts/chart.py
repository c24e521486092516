"""The chart of the risk alert: the operating multiple over the last twelve months (PNG), in Korean,
and ahead of it the BASELINE forecast: its central path and p10–p90 band.

The font is NanumGothic as the `koreanize-matplotlib` package installs it with the project; its
file is registered with matplotlib from the package's own folder (never the machine's fonts), and
the package is not imported, since importing it would change every other chart's settings. The
Korean text is set only inside this chart's rc_context.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG only

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from include.alerts.mail import LEVEL_NAMES
from include.alerts.multiple_states import Day

FONT_DISTRIBUTION = "koreanize-matplotlib"
FONT_FILE = "koreanize_matplotlib/fonts/NanumGothic.ttf"
LEVEL_COLORS = {"warn": "#e0a800", "policy": "#d9534f", "legal": "#7b1e1e"}


@dataclass(frozen=True)
class ForecastDay:
    """One day of marts.fct_operating_multiple_forecast: central multiple and band (None: no band yet)."""
    forecast_date: date
    operating_multiple: float
    p10: float | None = None
    p90: float | None = None


def font_path() -> Path:
    """NanumGothic.ttf inside the installed koreanize-matplotlib package (site-packages)."""
    path = Path(metadata.distribution(FONT_DISTRIBUTION).locate_file(FONT_FILE)).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{FONT_FILE} is missing: reinstall the project (pip install -c constraints.txt -e .)")
    return path


@lru_cache(maxsize=1)
def korean_font() -> str:
    """The family name of the shipped Korean font, registered with matplotlib once."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=path).get_name()


def chart_style() -> dict:
    """The rcParams of the chart (used in an rc_context only): the Korean font, DejaVu Sans for the rest."""
    return {"font.family": [korean_font(), "DejaVu Sans"], "axes.unicode_minus": False}


def last_twelve_months(days: list[Day]) -> list[Day]:
    if not days:
        return []
    start = days[-1].as_of_date - timedelta(days=365)
    return [d for d in days if d.as_of_date > start and d.operating_multiple is not None]


@contextmanager
def chart_figure(days: list[Day], first_reached: date | None = None,
                 forecast: list[ForecastDay] = ()) -> Iterator[Figure]:
    """The drawn chart of `days` (and `forecast`) against the latest day's three levels; closed on exit."""
    with plt.rc_context(chart_style()):
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
        try:
            _draw(ax, days, first_reached, list(forecast))
            fig.tight_layout()
            yield fig
        finally:
            plt.close(fig)


def render_chart(days: list[Day], first_reached: date | None = None, forecast: list[ForecastDay] = ()) -> bytes:
    """PNG of the multiple over `days` (the last twelve months) and `forecast`, against the three levels."""
    buffer = io.BytesIO()
    with chart_figure(days, first_reached, forecast) as fig:
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_forecast(ax, forecast: list[ForecastDay]) -> list[float]:
    """The central path (dashed) and the p10–p90 band; the values drawn (for the y range)."""
    dates = [f.forecast_date for f in forecast]
    central = [float(f.operating_multiple) for f in forecast]
    ax.plot(dates, central, color="#1f4e79", linestyle=":", linewidth=1.6, label="전망 (중앙값)")
    banded = [f for f in forecast if f.p10 is not None and f.p90 is not None]
    if banded:
        ax.fill_between([f.forecast_date for f in banded], [float(f.p10) for f in banded],
                        [float(f.p90) for f in banded], color="#1f4e79", alpha=0.15, label="전망 범위 (p10–p90)")
    return central + [float(f.p90) for f in banded] + [float(f.p10) for f in banded]


def _draw(ax, days: list[Day], first_reached: date | None, forecast: list[ForecastDay]) -> None:
    dates = [d.as_of_date for d in days]
    values = [float(d.operating_multiple) for d in days]
    latest = days[-1]
    levels = {"warn": float(latest.warn_level), "policy": float(latest.policy_limit),
              "legal": float(latest.legal_limit)}
    ax.plot(dates, values, color="#1f4e79", linewidth=1.8, label="보증운용배수")
    if forecast:
        values = values + _draw_forecast(ax, forecast)
    for key, level in levels.items():
        ax.axhline(level, color=LEVEL_COLORS[key], linestyle="--", linewidth=1, label=f"{LEVEL_NAMES[key]} {level:g}배")
    if first_reached in dates:
        value = values[dates.index(first_reached)]
        ax.plot([first_reached], [value], "o", color="#d9534f")
        ax.annotate(f"최초 도달 {first_reached:%Y-%m-%d}: {value:.2f}배", xy=(first_reached, value),
                    xytext=(-14, 14), textcoords="offset points", ha="right", fontsize=8,
                    arrowprops={"arrowstyle": "-", "color": "#888", "linewidth": 0.8})
    ax.set_ylim(max(0.0, int(min([*values, levels["warn"]])) - 1), max([*values, levels["legal"]]) + 1)
    ahead = ", 전망 포함" if forecast else ""
    ax.set_title(f"보증운용배수 추이 (최근 12개월{ahead}, {latest.as_of_date:%Y-%m-%d} 기준)", fontsize=11)
    ax.set_xlabel("기준일", fontsize=9)
    ax.set_ylabel("보증운용배수 (배)", fontsize=9)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    ax.grid(axis="y", alpha=0.3)
    ax.tick_params(labelsize=8)
    ax.figure.autofmt_xdate()
