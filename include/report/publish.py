"""Writes the council report of a year: `<CGF_HOME>/reports/<year>/` with index.html, the PDF, the charts, the font.

The folder is written whole under a temporary name, then put in place of the previous one, so a
reader never sees half a report. The report is an output only: nothing reads it back.
"""
from __future__ import annotations

import logging
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import psycopg

from include.export.workbook import MartsNotBuilt
from include.report import charts, series
from include.report.council import CouncilReport, YearNotCovered, council_report
from include.report.html import write_html
from include.report.pdf import write_pdf
from include.warehouse import db, settings

log = logging.getLogger(__name__)

REQUIRED_MART = "marts.rpt_supply_yearly"


def reports_dir() -> Path:
    """Where the reports go unless told: <CGF_HOME>/reports (var/reports)."""
    return settings.state_dir() / "reports"


def pdf_name(year: int) -> str:
    return f"council_report_{year}.pdf"


def latest_year(conn: psycopg.Connection, until: date | None = None) -> int:
    """The latest report year the marts hold that has begun by `until` (default: any)."""
    year = conn.execute("select max(year) from marts.rpt_supply_yearly where from_date <= coalesce(%s, from_date)",
                        (until,)).fetchone()[0]
    if year is None:
        raise YearNotCovered("the marts hold no report year yet")
    return year


def draw_charts(conn: psycopg.Connection, report: CouncilReport, folder: Path) -> None:
    """The PNGs the report's sections name: the multiple (forecast band when the mart has one), supply."""
    period = report.period
    forecast = series.forecast(conn, period.through_date)
    charts.multiple_chart(folder / charts.MULTIPLE_CHART, series.multiple_days(conn, period.through_date),
                          forecast, period.through_date)
    charts.supply_chart(folder / charts.SUPPLY_CHART, series.monthly_supply(conn, period.year, period.through_date),
                        period.year)
    log.info("council report charts: %s", f"forecast of {forecast.as_of_date}" if forecast else "no forecast band")


def write_folder(conn: psycopg.Connection, year: int, folder: Path) -> None:
    report = council_report(conn, year)
    generated = datetime.now().astimezone().strftime("%Y. %m. %d. %H:%M")
    draw_charts(conn, report, folder)
    write_html(report, folder, generated)
    write_pdf(report, folder, pdf_name(year), generated)


def write_council_report(year: int | None = None, out_dir: Path | None = None, url: str | None = None,
                         until: date | None = None) -> Path:
    """The report of `year` (default: the latest the marts hold that has begun by `until`) in
    <out_dir>/<year>/; returns that folder."""
    with db.connect(url) as conn:
        if not db.relation_exists(conn, REQUIRED_MART):
            raise MartsNotBuilt("the marts are not built yet: run the nightly DAG first (make run)")
        year = year or latest_year(conn, until)
        target = (out_dir or reports_dir()) / str(year)
        partial = target.with_name(f".{year}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            write_folder(conn, year, partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    if target.exists():
        shutil.rmtree(target)
    os.replace(partial, target)
    log.info("council report %s written to %s", year, target)
    return target
