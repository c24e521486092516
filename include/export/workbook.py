"""The yearly reports as one Excel workbook: one sheet per report, Korean headers, the report's units.

Units as in the foundation's report (the marts spec): a `_krw` column in million won
(round(x / 1e6), half away from zero like PostgreSQL's round; header "(백만원)"), a `_pct` column
with one decimal (header "(%)"), counts as integers with thousands separators. The header row is
frozen and filtered. The workbook is an output only: written whole under a temporary name, then
renamed, and nothing reads it back.
"""
from __future__ import annotations

import logging
import os
import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from include.export.reports import Column, Report, report_rows, through_date, yearly_reports
from include.warehouse import db, settings

log = logging.getLogger(__name__)

MILLION = Decimal(1_000_000)
FORMATS = {"krw": "#,##0", "pct": "#,##0.0", "integer": "#,##0", "number": "#,##0.0##", "date": "yyyy-mm-dd"}
SUFFIXES = {"krw": " (백만원)", "pct": " (%)"}
_INTEGER_TYPES = {"smallint", "integer", "bigint"}
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def unit_of(column: Column) -> str:
    """krw, pct, integer, number, date or text: how a column is shown."""
    if column.name.endswith("_krw"):
        return "krw"
    if column.name.endswith("_pct"):
        return "pct"
    if column.data_type in _INTEGER_TYPES:
        return "integer"
    if column.data_type in ("numeric", "real", "double precision"):
        return "number"
    return "date" if column.data_type == "date" else "text"


def million_won(krw) -> int:
    """Whole won in million won, as the report writes it: round(x / 1e6), half away from zero."""
    return int((Decimal(krw) / MILLION).quantize(Decimal(1), ROUND_HALF_UP))


def one_decimal(percent) -> Decimal:
    """A percentage as the report writes it: one decimal, half away from zero."""
    return Decimal(percent).quantize(Decimal("0.1"), ROUND_HALF_UP)


def cell_value(column: Column, value):
    """A mart value in the report's unit: million won, a percentage with one decimal, an integer count."""
    if value is None:
        return None
    unit = unit_of(column)
    if unit == "krw":
        return million_won(value)
    if unit == "pct":
        return float(one_decimal(value))
    if unit == "number":
        return float(value)
    return value


def header(column: Column) -> str:
    return column.label + SUFFIXES.get(unit_of(column), "")


def headers(report: Report) -> list[str]:
    """The Korean headers; a label that two columns share gets the column name."""
    labels = [header(c) for c in report.columns]
    return [f"{text} [{c.name}]" if labels.count(text) > 1 else text for text, c in zip(labels, report.columns)]


def sheet_names(reports: list[Report]) -> list[str]:
    """The reports' Korean titles as sheet names: at most 31 characters, unique."""
    names: list[str] = []
    for report in reports:
        name = _SHEET_NAME_FORBIDDEN.sub("·", report.title)[:31].strip() or report.relation.split(".")[1][:31]
        if name in names:
            name = report.relation.split(".")[1][:31]
        names.append(name)
    return names


def _display_width(value) -> int:
    text = f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _style_column(sheet, index: int, column: Column) -> None:
    """Bold header, the unit's number format, a width that fits the header and the widest value."""
    letter = get_column_letter(index)
    header_cell, *cells = sheet[letter]
    header_cell.font = Font(bold=True)
    header_cell.fill = _HEADER_FILL
    header_cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    number_format = FORMATS.get(unit_of(column))
    if number_format:
        for cell in cells:
            cell.number_format = number_format
    widest = max((_display_width(c.value) for c in cells if c.value is not None), default=0)
    sheet.column_dimensions[letter].width = min(max(widest, _display_width(header_cell.value) // 2, 8) + 2, 40)


def _text_stays_text(sheet) -> None:
    """A name from the data that starts with `=` (e.g. a contributor called `=cmd|' /C calc'!A0`)
    is text, not a formula for Excel to run: openpyxl would store it as one."""
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _write_sheet(sheet, report: Report, rows: list[tuple]) -> None:
    sheet.append(headers(report))
    for row in rows:
        sheet.append([cell_value(c, v) for c, v in zip(report.columns, row)])
    _text_stays_text(sheet)
    for index, column in enumerate(report.columns, start=1):
        _style_column(sheet, index, column)
    sheet.row_dimensions[1].height = 33  # two lines of a wrapped header
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def write_workbook(conn: psycopg.Connection, path: Path) -> list[str]:
    """Writes one sheet per yearly report to path (replacing it whole); returns the sheet names."""
    reports = yearly_reports(conn)
    book = Workbook()
    book.remove(book.active)
    names = sheet_names(reports)
    for report, name in zip(reports, names):
        _write_sheet(book.create_sheet(name), report, report_rows(conn, report))
    book.properties.title = "인천신용보증재단 연도별 보고서 (yearly reports)"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    book.save(partial)
    os.replace(partial, path)
    return names


class MartsNotBuilt(RuntimeError):
    """The warehouse has no marts yet: nothing to export."""


def workbook_name(through: date | None) -> str:
    return f"cgf_yearly_reports_{through:%Y%m%d}.xlsx" if through else "cgf_yearly_reports.xlsx"


def export_yearly_reports(url: str | None = None, export_dir: Path | None = None) -> Path:
    """The workbook of the warehouse's yearly reports in CGF_EXPORT_DIR, named by the marts' last day."""
    with db.connect(url) as conn:
        if not db.relation_exists(conn, "marts.dim_calendar"):
            raise MartsNotBuilt("the marts are not built yet: run the nightly DAG first (make run)")
        path = (export_dir or settings.export_dir()) / workbook_name(through_date(conn))
        names = write_workbook(conn, path)
    log.info("yearly reports workbook %s: %d sheets (%s)", path, len(names), ", ".join(names))
    return path
