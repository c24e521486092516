"""The risk alert's chart is Korean, in the font that installs with the project (not the machine's fonts)."""
from __future__ import annotations

import io
import logging
import re
import sys
import sysconfig
import warnings
from datetime import date, timedelta
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib import pyplot as plt

from include.alerts.chart import ForecastDay, chart_figure, font_path, korean_font, render_chart
from include.alerts.multiple_states import Day

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# levels as a deployment may set them (the chart takes them from the mart row, not from literals)
DAYS = [Day(date(2020, 4, 1) + timedelta(days=i), 1, 1, 5.3 + i * 0.001, "OK", 0, 5.5, 5.53, 5.55)
        for i in range(365)]
FIRST = DAYS[200].as_of_date


def glyph_problems(records: list, caplog) -> list[str]:
    said = [str(w.message) for w in records] + [r.getMessage() for r in caplog.records]
    return [m for m in said if "missing from font" in m or "Glyph" in m]


def test_the_font_file_is_the_one_the_package_installs_in_site_packages():
    path = font_path()
    assert path.name == "NanumGothic.ttf" and path.parent.parent.name == "koreanize_matplotlib"
    assert path.is_relative_to(Path(sysconfig.get_paths()["purelib"]).resolve())
    found = font_manager.findfont(font_manager.FontProperties(family=korean_font()), fallback_to_default=False)
    assert Path(found).resolve() == path
    assert "koreanize_matplotlib" not in sys.modules  # its import would switch every chart's rcParams


def test_titles_labels_and_legend_are_korean_and_drawn_in_the_shipped_font():
    with chart_figure(DAYS, FIRST) as fig:
        [ax] = fig.axes
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_legend().get_texts()]
        assert all(HANGUL.search(t.get_text()) for t in texts)
        assert all(Path(font_manager.findfont(t.get_fontproperties())).resolve() == font_path() for t in texts)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["보증운용배수", "경고 5.5배", "정책한도 5.53배", "법정한도 5.55배"]  # the row's levels
    assert "보증운용배수" in texts[0].get_text() and "2021-03-31" in texts[0].get_text()


def test_rendering_the_korean_chart_misses_no_glyph(caplog):
    before = dict(matplotlib.rcParams)
    caplog.set_level(logging.DEBUG, logger="matplotlib")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        png = render_chart(DAYS, FIRST)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert glyph_problems(records, caplog) == []
    assert dict(matplotlib.rcParams) == before  # the Korean font is the chart's own setting only


def test_without_the_shipped_font_the_same_title_would_miss_its_glyphs(caplog):
    """The check above can fail: DejaVu Sans alone has no Hangul."""
    with warnings.catch_warnings(record=True) as records, plt.rc_context({"font.family": ["DejaVu Sans"]}):
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        try:
            ax.set_title("보증운용배수")
            fig.savefig(io.BytesIO(), format="png")
        finally:
            plt.close(fig)
    assert glyph_problems(records, caplog)


@pytest.mark.parametrize("status", ["WARN", "BREACH"])
def test_the_chart_of_each_state_renders(status):
    days = [Day(d.as_of_date, 1, 1, d.operating_multiple, status, 0, 9, 10, 15) for d in DAYS[-30:]]
    assert render_chart(days)[:4] == b"\x89PNG"


def test_the_forecast_band_follows_the_actuals_with_korean_labels(caplog):
    last = DAYS[-1]
    forecast = [ForecastDay(last.as_of_date + timedelta(days=i), 5.4 + i * 0.001, 5.35, 5.45 + i * 0.002)
                for i in range(1, 184)]
    with chart_figure(DAYS, FIRST, forecast) as fig:
        [ax] = fig.axes
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        right = ax.get_xlim()[1]
    assert legend[:3] == ["보증운용배수", "전망 (중앙값)", "전망 범위 (p10–p90)"]
    assert legend[3:] == ["경고 5.5배", "정책한도 5.53배", "법정한도 5.55배"]
    assert right >= matplotlib.dates.date2num(forecast[-1].forecast_date)  # the band is in view
    caplog.set_level(logging.DEBUG, logger="matplotlib")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        assert render_chart(DAYS, FIRST, forecast)[:8] == b"\x89PNG\r\n\x1a\n"
    assert glyph_problems(records, caplog) == []
