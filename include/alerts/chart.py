"""The chart of the risk alert: the operating multiple over the last twelve months (PNG).

Labels are Korean when a Korean-capable font is installed (e.g. fonts-nanum, Noto CJK) and
English otherwise, so the chart never shows empty boxes for missing glyphs.
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG only

from matplotlib import font_manager
from matplotlib import pyplot as plt

from include.alerts.multiple_states import Day

KOREAN_FONT_HINTS = ("nanumgothic", "nanumbarungothic", "noto sans cjk", "noto sans kr", "source han sans",
                     "malgun", "applegothic", "undotum", "baekmuk", "nanum")  # by preference
LABELS = {
    True: {"title": "보증운용배수 (최근 12개월)", "multiple": "보증운용배수", "warn": "경고", "policy": "정책한도",
           "legal": "법정한도", "first": "최초 도달"},
    False: {"title": "Operating multiple (last 12 months)", "multiple": "operating multiple", "warn": "warn",
            "policy": "policy limit", "legal": "legal limit", "first": "first reached"},
}


def _squashed(name: str) -> str:
    return name.lower().replace(" ", "").replace("-", "").replace("_", "")


@lru_cache(maxsize=1)
def korean_font() -> str | None:
    """The family name of an installed Korean-capable font, if any."""
    for hint in KOREAN_FONT_HINTS:
        for entry in font_manager.fontManager.ttflist:
            if _squashed(hint) in _squashed(entry.name):
                return entry.name
    # installed after matplotlib cached its font list: look at the system's font files once
    for path in font_manager.findSystemFonts():
        if any(_squashed(hint) in _squashed(path.rsplit("/", 1)[-1]) for hint in KOREAN_FONT_HINTS):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def last_twelve_months(days: list[Day]) -> list[Day]:
    if not days:
        return []
    start = days[-1].as_of_date - timedelta(days=365)
    return [d for d in days if d.as_of_date > start and d.operating_multiple is not None]


def render_chart(days: list[Day], first_reached: date | None = None) -> bytes:
    """PNG of the multiple over `days` (the last twelve months) against the latest day's three levels."""
    font = korean_font()
    text = LABELS[font is not None]
    style = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
        try:
            _draw(ax, days, first_reached, text)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
        finally:
            plt.close(fig)
    return buffer.getvalue()


def _draw(ax, days: list[Day], first_reached: date | None, text: dict) -> None:
    dates = [d.as_of_date for d in days]
    values = [float(d.operating_multiple) for d in days]
    warn, policy, legal = (float(level) for level in (days[-1].warn_level, days[-1].policy_limit, days[-1].legal_limit))
    ax.plot(dates, values, color="#1f4e79", linewidth=1.8, label=text["multiple"])
    for level, key, color in ((warn, "warn", "#e0a800"), (policy, "policy", "#d9534f"), (legal, "legal", "#7b1e1e")):
        ax.axhline(level, color=color, linestyle="--", linewidth=1)
        ax.annotate(f"{text[key]} {level:g}×", xy=(0, level), xycoords=("axes fraction", "data"),
                    xytext=(4, 3), textcoords="offset points", ha="left", fontsize=8, color=color)
    if first_reached in dates:
        value = values[dates.index(first_reached)]
        ax.plot([first_reached], [value], "o", color="#d9534f")
        ax.annotate(f"{text['first']} {first_reached:%Y-%m-%d}: {value:.2f}×", xy=(first_reached, value),
                    xytext=(-14, 14), textcoords="offset points", ha="right", fontsize=8,
                    arrowprops={"arrowstyle": "-", "color": "#888", "linewidth": 0.8})
    low = min(values + [warn])
    ax.set_ylim(max(0.0, int(low) - 1), max(values + [legal]) + 1)
    ax.set_title(text["title"], fontsize=11)
    ax.set_ylabel("×")
    ax.grid(axis="y", alpha=0.3)
    ax.tick_params(labelsize=8)
    ax.figure.autofmt_xdate()
