"""The council report: `cgf report` (what `make report` runs) and the monthly DAG write the HTML page and the
PDF of a year, and both show the foundation's published 2020 figures in the report's units.

The real nightly DAG builds the demo warehouse once for the module. The expected figures are the
published ones of the report to the city council (as tests/test_acceptance_report.py lists them),
written out here, not read from the marts: the PDF's text (pypdf) and the HTML's text must carry
each table row as the report writes it (million won, one decimal, △ for a decrease).
"""
from __future__ import annotations

import html
import importlib.util
import re
from datetime import date, datetime, time
from pathlib import Path

import psycopg
import pytest
from pypdf import PdfReader

from include import cli
from include.report import series
from include.report.charts import MULTIPLE_CHART, SUPPLY_CHART
from include.report.html import PAGE
from include.report.publish import pdf_name
from include.warehouse import db
from tests.conftest import ROOT

# each row of the report's 2020 tables, as its text reads from left to right
ROWS_2020 = [
    # 기구 및 인원: 정원/현원, total and grades 1, 2, 3, 4, 5~6, 기타; on leave
    "합 계 86/70 2/2 6/5 13/10 20/18 44/32 1/3",
    "휴 직 2 2",
    # 기본재산 현황, 연도별 확충 실적 (the warehouse starts with the 2018 year end)
    "2020년 211,198 62,905 0 274,103 62,905",
    "기 본 재 산 196,096 211,198 274,103",
    "증 감 - 15,102 62,905",
    # 2020년 출연금 확충 계획 대비 실적: plan, actual, attainment
    "합 계 15,350 62,905 409.8",
    "인천시 6,200 24,800 400.0",
    "기초단체 650 1,200 184.6",
    "의무출연금 2,500 3,627 145.1",
    "기타 6,000 33,278 554.6",
    "기업은행 18,136",
    "코로나19 피해 18,600",
    # 보증공급 현황: 2019, 2020, change, growth (count, amount)
    "보증공급 30,960 741,669 62,774 1,617,820 31,814 876,151 102.8 118.1",
    "보증잔액 61,556 1,191,546 96,099 2,192,064 34,543 1,000,518 56.1 84.0",
    # 2020년 보증공급 계획 대비 실적
    "보증건수 27,000 62,774 232.5",
    "보증공급 610,000 1,617,820 265.2",
    # 보증운용배수 at the year end, with the levels 9 / 10 / 15
    "2020. 12. 31. 2,192,064 274,103 8.00 9 10 15 정상",
    # 보증사고 및 회수 현황
    "보증사고 발생 4,441 55,606 3,618 51,864 △823 △3,742 △18.5 △6.7",
    "정상화 1,403 16,498 1,231 15,577 △172 △921 △12.3 △5.6",
    "구상채권 발생 2,938 38,333 2,609 37,608 △329 △725 △11.2 △1.9",
    "회수 435 12,454 652 14,336 217 1,882 49.9 15.1",
]
# the summary lines and the report's units
WORDS_2020 = [
    "2020년 인천신용보증재단 주요업무 현황",
    "62,774건 / 1,617,820백만원",
    "96,099건 / 2,192,064백만원",
    "274,103백만원",
    "정원 86명 / 현원 70명",
    "(단위 : 명, 정원/현원)",
    "(단위 : 건, 백만원, %)",
    "(단위 : 백만원, %)",
    "2019년 1/1 ∼ 12/31",
    "2020년 1/1 ∼ 12/31",
]


def one_line(text: str) -> str:
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    return one_line(" ".join(page.extract_text() for page in PdfReader(path).pages))


def html_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    body = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return one_line(html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def warehouse(demo_warehouse) -> str:
    """The demo warehouse built by the real nightly DAG."""
    return demo_warehouse["url"]


def write_report(url: str, folder: Path, *options: str) -> int:
    """`cgf report` against the warehouse at url."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CGF_WAREHOUSE_URL", url)
        return cli.main(["report", "--out", str(folder), *options])


@pytest.fixture(scope="module")
def report_2020(warehouse, tmp_path_factory) -> Path:
    """`cgf report --year 2020` (what `make report YEAR=2020` runs), into a folder of its own."""
    reports = tmp_path_factory.mktemp("reports")
    assert write_report(warehouse, reports, "--year", "2020") == 0
    return reports / "2020"


def test_the_pdf_shows_the_report_figures_with_their_units(report_2020):
    text = pdf_text(report_2020 / pdf_name(2020))
    missing = [row for row in ROWS_2020 + WORDS_2020 if row not in text]
    assert missing == []


def test_the_html_shows_the_same_figures(report_2020):
    text = html_text(report_2020 / PAGE)
    missing = [row for row in ROWS_2020 + WORDS_2020 if row not in text]
    assert missing == []


def test_the_html_names_only_files_beside_it_charts_and_font_included(report_2020):
    page = (report_2020 / PAGE).read_text(encoding="utf-8")
    named = set(re.findall(r'(?:src="|url\(")([^"]+)"', page))
    assert {MULTIPLE_CHART, SUPPLY_CHART, "fonts/NanumGothic.ttf", "fonts/NanumGothicBold.ttf"} <= named
    for name in named:
        assert not name.startswith(("/", "http", "file:")), name
        assert (report_2020 / name).stat().st_size > 0, name
    for chart in (MULTIPLE_CHART, SUPPLY_CHART):
        assert (report_2020 / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the font beside the page holds the page's characters only
    assert (report_2020 / "fonts" / "NanumGothic.ttf").stat().st_size < 500_000


def embedded_fonts(reader: PdfReader) -> set[str]:
    """The base names of the fonts whose file is in the PDF (FontFile2: TrueType)."""
    names = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font).get(
                "/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]))
    return names


def test_the_pdf_embeds_the_korean_font_and_the_charts(report_2020):
    reader = PdfReader(report_2020 / pdf_name(2020))
    fonts = embedded_fonts(reader)
    assert any("NanumGothic" in name for name in fonts) and any("NanumGothicBold" in name for name in fonts), fonts
    assert sum(len(page.images) for page in reader.pages) == 2
    assert reader.metadata.title == "2020년 인천신용보증재단 주요업무 현황"


def test_the_multiple_chart_covers_24_months_with_the_marts_levels(warehouse):
    with psycopg.connect(warehouse) as conn:
        days = series.multiple_days(conn, date(2020, 12, 31))
    assert (days[0].as_of_date, days[-1].as_of_date) == (date(2019, 1, 1), date(2020, 12, 31))
    assert {tuple(d.levels.values()) for d in days} == {(9.0, 10.0, 15.0)}


def test_the_forecast_is_the_baseline_made_on_the_last_as_of_date_of_the_period(warehouse):
    """The chart's projection: none without the forecast mart; with it, the baseline scenario as forecast on
    the latest as-of date up to the period's end (the 2020 year end is a month-end), beyond that day."""
    with psycopg.connect(warehouse) as conn:
        forecast = series.forecast(conn, date(2020, 12, 31))
        if not db.relation_exists(conn, series.FORECAST_RELATION):
            assert forecast is None
            return
    assert forecast.as_of_date == date(2020, 12, 31)
    assert [f.forecast_date for f in forecast.days] == sorted({f.forecast_date for f in forecast.days})
    assert all(f.forecast_date > forecast.as_of_date for f in forecast.days)
    assert all(f.p10 <= f.central <= f.p90 for f in forecast.days if f.p10 is not None)


def test_without_a_year_it_writes_the_latest_year_to_date(warehouse, tmp_path):
    assert write_report(warehouse, tmp_path) == 0
    text = pdf_text(tmp_path / "2021" / pdf_name(2021))
    assert "2020년 1/1 ∼ 3/31" in text and "2021년 1/1 ∼ 3/31" in text  # year-to-date against the same period
    assert "(연중 누계)" in text


def test_a_year_the_marts_do_not_hold_and_a_warehouse_without_marts_exit_1(warehouse, db_url, tmp_path, capsys):
    assert write_report(warehouse, tmp_path, "--year", "2017") == 1
    assert "no report year 2017" in capsys.readouterr().err
    assert write_report(db_url, tmp_path) == 1
    assert "not built yet" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_monthly_dag_writes_the_year_of_the_month_that_ended(warehouse, tmp_path):
    """The run of 1 January 2021 writes the whole of 2020 into <CGF_HOME>/reports/2020/."""
    spec = importlib.util.spec_from_file_location("cgf_monthly_report", ROOT / "dags" / "cgf_monthly_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    logical = datetime.combine(date(2021, 1, 1), time(7, 0), tzinfo=module.SEOUL)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CGF_WAREHOUSE_URL", warehouse)
        mp.setenv("CGF_HOME", str(tmp_path))
        dag_run = module.monthly_report_dag.test(logical_date=logical)
    assert str(dag_run.state) == "success"
    text = pdf_text(tmp_path / "reports" / "2020" / pdf_name(2020))
    assert "보증공급 30,960 741,669 62,774 1,617,820" in text
