"""The yearly reports workbook: the nightly task and `cgf export` write one .xlsx whose cells equal the marts.

The real DAG builds the demo warehouse (and writes the workbook with its export_workbook task); the
workbook is read back with openpyxl and compared with the marts, converted here by PostgreSQL
itself as the analyst guide says: million won = round(x_krw / 1e6), percentages round(x, 1).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook
from psycopg import sql

from include import cli
from include.export.reports import korean_label

RELATIONS_SQL = """
    select table_name, obj_description(format('marts.%I', table_name)::regclass, 'pg_class')
    from information_schema.tables
    where table_schema = 'marts' and (table_name like 'rpt\\_%\\_yearly' or table_name = 'rpt_headcount_vs_quota')"""


@pytest.fixture(scope="module")
def warehouse(demo_warehouse):
    """The demo warehouse built by the real nightly DAG, and the folder its export_workbook task wrote to."""
    return demo_warehouse["url"], demo_warehouse["nightly_exports"]


@pytest.fixture(scope="module")
def marts(warehouse):
    with psycopg.connect(warehouse[0]) as conn:
        yield conn


@pytest.fixture(scope="module")
def exported(warehouse, tmp_path_factory) -> Path:
    """`cgf export` (what `make export` runs) into a folder of its own."""
    folder = tmp_path_factory.mktemp("cli_exports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CGF_WAREHOUSE_URL", warehouse[0])
        assert cli.main(["export", "--export-dir", str(folder)]) == 0
    [path] = folder.iterdir()
    return path


@pytest.fixture(scope="module")
def book(exported):
    return load_workbook(exported)


def relations(conn) -> dict[str, str]:
    return dict(conn.execute(RELATIONS_SQL).fetchall())


def columns(conn, relation: str) -> list[tuple[str, str, str | None]]:
    return conn.execute("""
        select column_name, data_type, col_description(format('marts.%%I', table_name)::regclass, ordinal_position)
        from information_schema.columns where table_schema = 'marts' and table_name = %s
        order by ordinal_position""", (relation,)).fetchall()


def in_report_units(name: str, data_type: str) -> sql.Composable:
    column = sql.Identifier(name)
    if name.endswith("_krw"):
        return sql.SQL("round({} / 1e6)::bigint").format(column)
    if name.endswith("_pct"):
        return sql.SQL("round({}, 1)::float8").format(column)
    return sql.SQL("{}::float8").format(column) if data_type == "numeric" else column


def expected_rows(conn, relation: str) -> list[tuple]:
    """The relation's rows in the report's units; of the roster snapshots, the last of each year."""
    cols = columns(conn, relation)
    year_ends = sql.SQL("")
    if relation == "rpt_headcount_vs_quota":
        year_ends = sql.SQL(" where as_of_date in (select as_of_date from marts.rpt_headcount_vs_quota "
                            "where as_of_date = (date_trunc('year', as_of_date) + interval '1 year - 1 day')::date "
                            "or as_of_date = (select max(as_of_date) from marts.rpt_headcount_vs_quota))")
    query = sql.SQL("select {} from {}{} order by {}").format(
        sql.SQL(", ").join(in_report_units(name, data_type) for name, data_type, _ in cols),
        sql.Identifier("marts", relation), year_ends,
        sql.SQL(", ").join(sql.Literal(i) for i in range(1, len(cols) + 1)))
    return conn.execute(query).fetchall()


def test_the_roster_sheet_holds_each_years_last_snapshot(marts, book):
    sheet = sheet_of(book, relations(marts)["rpt_headcount_vs_quota"])
    assert sorted({row[0] for row in sheet_rows(sheet)}) == [date(2018, 12, 31), date(2019, 12, 31),
                                                             date(2020, 12, 31), date(2021, 3, 31)]


def sheet_rows(sheet) -> list[tuple]:
    return [tuple(v.date() if isinstance(v, datetime) else v for v in row)
            for row in sheet.iter_rows(min_row=2, values_only=True)]


def sheet_of(book, comment: str):
    """The sheet titled with the relation's Korean name (the start of its table comment)."""
    [title] = [name for name in book.sheetnames if comment.startswith(name)]
    return book[title]


def test_the_nightly_task_and_the_cli_write_the_workbook_named_by_the_last_day(warehouse, exported):
    assert exported.name == "cgf_yearly_reports_20210331.xlsx"
    assert [p.name for p in warehouse[1].iterdir()] == [exported.name]  # nothing partial left behind
    assert load_workbook(warehouse[1] / exported.name).sheetnames == load_workbook(exported).sheetnames


def test_one_sheet_per_yearly_report_named_in_korean(marts, book):
    comments = relations(marts)
    assert {"rpt_supply_yearly", "rpt_accidents_yearly", "rpt_headcount_vs_quota"} <= set(comments)
    assert "rpt_reconciliation" not in comments and "rpt_program_utilisation" not in comments
    assert len(book.sheetnames) == len(comments)
    assert {sheet_of(book, comment).title for comment in comments.values()} == set(book.sheetnames)
    assert {"보증공급 현황", "보증사고 및 회수 현황", "기본재산", "기구 및 인원"} <= set(book.sheetnames)
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_every_cell_equals_the_mart_in_the_reports_units(marts, book):
    for relation, comment in relations(marts).items():
        sheet = sheet_of(book, comment)
        assert sheet_rows(sheet) == expected_rows(marts, relation), relation


def test_headers_are_the_korean_column_comments_with_their_units(marts, book):
    for relation, comment in relations(marts).items():
        sheet = sheet_of(book, comment)
        headers = [cell.value for cell in sheet[1]]
        cols = columns(marts, relation)
        assert len(headers) == len(cols), relation
        for header, (name, _, description) in zip(headers, cols):
            label = header.removesuffix(f" [{name}]").removesuffix(" (백만원)").removesuffix(" (%)")
            assert label and (description or name).startswith(label), (relation, name, header)
            assert header.endswith(" (백만원)") == name.endswith("_krw"), header
            assert header.endswith(" (%)") == name.endswith("_pct"), header
        assert sheet.freeze_panes == "A2"


def test_the_report_figures_read_in_million_won(book):
    supply = book["보증공급 현황"]
    headers = [cell.value for cell in supply[1]]
    [row_2020] = [row for row in supply.iter_rows(min_row=2) if row[0].value == 2020]
    cell = {h: c for h, c in zip(headers, row_2020)}
    assert cell["보증공급 금액 (백만원)"].value == 1_617_820
    assert cell["보증공급 건수"].value == 62_774
    assert cell["보증잔액 (백만원)"].value == 2_192_064
    assert cell["금액 달성률 (%)"].value == 265.2
    assert cell["보증공급 금액 (백만원)"].number_format == "#,##0"
    assert cell["금액 달성률 (%)"].number_format == "#,##0.0"
    assert supply.column_dimensions["C"].width >= 10
    rates = [cell.value for cell in book["사고율·대위변제율"][1]]
    assert "사고율 (기초잔액 기준) (%)" in rates  # the Korean in parentheses is part of the label


@pytest.mark.parametrize("comment,label", [
    ("보증공급 금액 (supply amount): NEW + EXTEND amounts in the year, won", "보증공급 금액"),
    ("평균 보증잔액 ((opening + closing) ÷ 2), won", "평균 보증잔액"),
    ("사고율 (기초잔액 기준) = accident amount ÷ opening balance, %", "사고율 (기초잔액 기준)"),
    ("기준 시작일: 1월 1일, 당해연도는 연초", "기준 시작일"),
    ("연도", "연도"),
    ("", "from_date"),
    (None, "from_date"),
])
def test_the_korean_label_of_a_comment(comment, label):
    assert korean_label(comment, "from_date") == label


def test_export_before_the_marts_are_built_says_so(db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    assert cli.main(["export", "--export-dir", str(tmp_path)]) == 1
    assert "not built" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_name_that_looks_like_a_formula_is_written_as_text(tmp_path):
    """Spreadsheet formula injection: a contributor's name from the data never becomes a formula."""
    from openpyxl import Workbook

    from include.export import workbook
    from include.export.reports import Column, Report

    report = Report("marts.x", "x", (Column("contributor_name", "출연기관", "text"),))
    book = Workbook()
    workbook._write_sheet(book.active, report, [("=cmd|' /C calc'!A0",), ("인천광역시",)])
    book.save(tmp_path / "x.xlsx")
    cell = load_workbook(tmp_path / "x.xlsx").active["A2"]
    assert (cell.value, cell.data_type) == ("=cmd|' /C calc'!A0", "s")
