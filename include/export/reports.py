"""The yearly report relations of the marts, found in the database, with their Korean labels.

Which relations: every `marts.rpt_*_yearly` plus `marts.rpt_headcount_vs_quota`, from
information_schema (a new yearly report is exported without a change here). A relation of roster
snapshots gives the workbook each year's last snapshot (the latest included), as the yearly report
states 기구 및 인원 at a reference date: not one sheet row per night of the history. Their labels are the
dbt docs persisted as table and column comments ("보증공급 금액 (supply amount): …"): the Korean
part before the English in parentheses, else the first clause, else the name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

YEARLY_PATTERN = r"rpt\_%\_yearly"
ALSO_EXPORTED = ("rpt_headcount_vs_quota",)
YEAR_END_SNAPSHOTS = {"rpt_headcount_vs_quota": "as_of_date"}  # relation -> its snapshot date column
# "label (English …": a parenthesis opening on a Latin letter, possibly after another "("
_ENGLISH_PARENTHESIS = re.compile(r"\s*\(+[A-Za-z]")
_CLAUSE_END = re.compile(r"[:;,.]\s|\s[—–=]\s|[:;]$")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    data_type: str  # information_schema data_type: integer, bigint, numeric, date, text, boolean …


@dataclass(frozen=True)
class Report:
    relation: str  # marts.<name>
    title: str
    columns: tuple[Column, ...]


def korean_label(comment: str | None, fallback: str) -> str:
    """The Korean label of a dbt description: before the English in parentheses, or the first clause."""
    text = " ".join((comment or "").split())
    english = _ENGLISH_PARENTHESIS.search(text)
    label = text[:english.start()] if english else _CLAUSE_END.split(text, maxsplit=1)[0]
    return label.strip() or fallback


def yearly_reports(conn: psycopg.Connection) -> list[Report]:
    """The report relations of schema marts, by name, with their columns in order."""
    names = [n for (n,) in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "and (table_name like %s or table_name = any(%s)) order by table_name",
        (YEARLY_PATTERN, list(ALSO_EXPORTED)))]
    return [_report(conn, name) for name in names]


def _report(conn: psycopg.Connection, name: str) -> Report:
    relation = f"marts.{name}"
    comment = conn.execute("select obj_description(%s::regclass, 'pg_class')", (relation,)).fetchone()[0]
    columns = conn.execute(
        "select column_name, col_description(%s::regclass, ordinal_position), data_type "
        "from information_schema.columns where table_schema = 'marts' and table_name = %s "
        "order by ordinal_position", (relation, name)).fetchall()
    return Report(relation, korean_label(comment, name),
                  tuple(Column(col, korean_label(text, col), data_type) for col, text, data_type in columns))


def report_rows(conn: psycopg.Connection, report: Report) -> list[tuple]:
    """The rows of the relation (of a snapshot relation, each year's last snapshot), ordered by
    its columns from the left (year, date, unit …)."""
    schema, name = report.relation.split(".")
    relation = sql.Identifier(schema, name)
    order = sql.SQL(", ").join(sql.Literal(i) for i in range(1, len(report.columns) + 1))
    where = sql.SQL("")
    if name in YEAR_END_SNAPSHOTS:
        day = sql.Identifier(YEAR_END_SNAPSHOTS[name])
        where = sql.SQL(" where {day} in (select max({day}) from {relation} group by date_part('year', {day}))").format(
            day=day, relation=relation)
    query = sql.SQL("select {} from {}{} order by {}").format(
        sql.SQL(", ").join(sql.Identifier(c.name) for c in report.columns), relation, where, order)
    return conn.execute(query).fetchall()


def through_date(conn: psycopg.Connection) -> date | None:
    """The last day the marts cover: the calendar ends at the last delivery loaded."""
    return conn.execute("select max(date_day) from marts.dim_calendar").fetchone()[0]
