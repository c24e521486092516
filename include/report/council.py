"""The council report's tables, read from the marts: the figures of the foundation's report to the city council.

Each table reproduces one table of the report (인천신용보증재단 업무보고) with its layout and units:
기구 및 인원, 기본재산 현황 and 연도별 확충 실적, 출연금 확충 계획 대비 실적, 보증공급 현황, 보증공급 계획
대비 실적, 보증사고 및 회수 현황, and the 보증운용배수 at the end of the period. Every figure is a
value of a `marts.*` relation (a total row sums the mart's rows in SQL); nothing is recomputed from
raw or staging and no figure is written here. What is written here is the report's layout: its
headings, row labels and order.

The period of a year is the marts' (int_report_years): 1 Jan – 31 Dec, or year-to-date for the
current year, against the same period of the previous year.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from include.alerts.mail import LEVEL_NAMES
from include.report.charts import MULTIPLE_CHART, SUPPLY_CHART
from include.report.series import LEVEL_COLUMNS
from include.report.tables import (
    Cell,
    Figure,
    Row,
    Section,
    Table,
    count,
    figures,
    label,
    million,
    percent,
    text,
)

# the report's order of the contribution plan categories (rpt_contributions_yearly.plan_category)
CATEGORY_ORDER = ("인천시", "기초단체", "의무출연금", "기타")
GENERAL_CONTRIBUTION = "일반출연금"  # a contribution earmarked for no program
NO_BREAK = "\N{NO-BREAK SPACE}"  # keeps a name and its amount on one line of 비고
BASIC_ASSETS_YEARS = 6  # the report's 연도별 확충 실적 shows six years


class YearNotCovered(LookupError):
    """The marts hold no report year of that number (before the cut-over, or not loaded yet)."""


@dataclass(frozen=True)
class Period:
    year: int
    from_date: date
    through_date: date
    is_partial_year: bool
    prev_from_date: date
    prev_through_date: date

    @property
    def heading(self) -> str:
        return period_heading(self.year, self.from_date, self.through_date)

    @property
    def prev_heading(self) -> str:
        return period_heading(self.prev_from_date.year, self.prev_from_date, self.prev_through_date)


@dataclass(frozen=True)
class KeyFigure:
    name: str
    value: str  # with the report's units, e.g. "62,774건 / 1,617,820백만원"


@dataclass(frozen=True)
class CouncilReport:
    period: Period
    roster_date: date
    key_figures: tuple[KeyFigure, ...]
    sections: tuple[Section, ...]

    @property
    def title(self) -> str:
        return f"{self.period.year}년 인천신용보증재단 주요업무 현황"


def period_heading(year: int, start: date, end: date) -> str:
    """The report's column heading of a period: "2020년" over "1/1 ∼ 12/31"."""
    return f"{year}년\n{start.month}/{start.day} ∼ {end.month}/{end.day}"


def report_period(conn: psycopg.Connection, year: int) -> Period:
    """The year's period as the marts define it (rpt_supply_yearly carries int_report_years' columns)."""
    row = conn.execute(
        "select year, from_date, through_date, is_partial_year, prev_period_from_date, prev_period_through_date "
        "from marts.rpt_supply_yearly where year = %s", (year,)).fetchone()
    if row is None:
        raise YearNotCovered(f"the marts hold no report year {year}")
    return Period(*row)


def roster_date(conn: psycopg.Connection, period: Period) -> date:
    """The roster of 기구 및 인원: as the year closes, i.e. on the first day after it (1 January).

    On that day the year's departures have left and the next year's hires have not started
    (the report's 86/70); for the current year, the latest roster.
    """
    return conn.execute("select max(as_of_date) from marts.rpt_headcount_vs_quota where as_of_date <= %s",
                        (period.through_date + timedelta(days=1),)).fetchone()[0]


def change_head(period: Period, first: str = "구 분", label_columns: int = 1) -> tuple[tuple[Cell, ...], ...]:
    """The two heading rows of 보증공급 현황 and 보증사고 및 회수 현황."""
    top = (label(first, colspan=label_columns, rowspan=2), Cell(period.prev_heading, colspan=2),
           Cell(period.heading, colspan=2), Cell("증 감", colspan=2), Cell("증 감 률", colspan=2))
    return top, figures(*["건 수", "금 액"] * 4)


def change_figures(row: dict, metric: str) -> tuple[Cell, ...]:
    """Previous period, this period, change and growth of one metric's count and amount."""
    return figures(count(row[f"prev_period_{metric}_count"]), million(row[f"prev_period_{metric}_amount_krw"]),
                   count(row[f"{metric}_count"]), million(row[f"{metric}_amount_krw"]),
                   count(row[f"{metric}_count_change"]), million(row[f"{metric}_amount_change_krw"]),
                   percent(row[f"{metric}_count_growth_pct"]), percent(row[f"{metric}_amount_growth_pct"]))


def one_row(conn: psycopg.Connection, query: str, *params) -> dict:
    cursor = conn.execute(query, params)
    values = cursor.fetchone()
    return dict(zip([c.name for c in cursor.description], values)) if values else {}


def supply_row(conn: psycopg.Connection, year: int) -> dict:
    return one_row(conn, "select * from marts.rpt_supply_yearly where year = %s", year)


def supply_table(period: Period, supply: dict) -> Table:
    return Table("보증공급 현황", "(단위 : 건, 백만원, %)", change_head(period), (
        Row((label("보증공급"), *change_figures(supply, "supply"))),
        Row((label("보증잔액"), *change_figures(supply, "balance"))),
    ))


def supply_plan_table(period: Period, supply: dict) -> Table:
    return Table(f"{period.year}년 보증공급 계획 대비 실적", "(단위 : 건, 백만원, %)",
                 ((label("구 분"), *figures("계 획", "실 적", "달성률")),), (
        Row((label("보증건수"), *figures(count(supply["plan_count"]), count(supply["supply_count"]),
                                         percent(supply["count_attainment_pct"])))),
        Row((label("보증공급"), *figures(million(supply["plan_amount_krw"]), million(supply["supply_amount_krw"]),
                                         percent(supply["amount_attainment_pct"])))),
    ))


def accidents_table(conn: psycopg.Connection, period: Period) -> Table:
    row = one_row(conn, "select * from marts.rpt_accidents_yearly where year = %s", period.year)
    return Table("보증사고 및 회수 현황", "(단위 : 건, 백만원, %)", change_head(period, label_columns=2), (
        Row((label("보증사고", rowspan=2), label("발생"), *change_figures(row, "accident"))),
        Row((label("정상화"), *change_figures(row, "normalized"))),
        Row((label("구상채권", rowspan=2), label("발생"), *change_figures(row, "claim"))),
        Row((label("회수"), *change_figures(row, "recovery"))),
    ), label_columns=2)


def basic_assets_rows(conn: psycopg.Connection, year: int) -> list[dict]:
    """The last six report years up to `year`, oldest first."""
    cursor = conn.execute(
        "select * from (select year, is_cutover_year, opening_krw, contributions_krw, losses_krw, closing_krw, "
        "change_krw from marts.rpt_basic_assets_yearly where year <= %s order by year desc limit %s) last_years "
        "order by year", (year, BASIC_ASSETS_YEARS))
    names = [c.name for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def basic_assets_table(period: Period, this_year: dict) -> Table:
    """기본재산 현황 of the year: the previous year end, contributions, losses, the year end."""
    return Table(f"{period.year}년 기본재산 현황", "(단위 : 백만원)",
                 ((label("구 분"), *figures("전년말 기본재산", "출연금 (증)", "결손 (감)", "기본재산", "증 감")),), (
        Row((label(f"{period.year}년"), *figures(
            million(this_year["opening_krw"]), million(this_year["contributions_krw"]),
            million(this_year["losses_krw"]), million(this_year["closing_krw"]), million(this_year["change_krw"])))),
    ), notes=(f"※ 기본재산: {period.through_date:%Y. %m. %d.} 기준",))


def basic_assets_by_year_table(years: list[dict]) -> Table:
    """연도별 기본재산 확충 실적: the cut-over year has no change (its flows are the opening balance)."""
    changes = [Cell("-") if y["is_cutover_year"] else Cell(million(y["change_krw"])) for y in years]
    return Table("연도별 기본재산 확충 실적", "(단위 : 백만원)",
                 ((label("구 분"), *figures(*[f"{y['year']}년" for y in years])),), (
        Row((label("기 본 재 산"), *figures(*[million(y["closing_krw"]) for y in years]))),
        Row((label("증 감"), *changes)),
    ))


def contribution_rows(conn: psycopg.Connection, year: int) -> list[tuple]:
    """(category, plan, actual, attainment) per plan category, then the total (category null)."""
    rows = conn.execute(
        "select plan_category, sum(plan_amount_krw), sum(actual_amount_krw), "
        "       case when grouping(plan_category) = 0 then max(attainment_pct) "
        "            else round(100.0 * sum(actual_amount_krw) / nullif(sum(plan_amount_krw), 0), 1) end "
        "from marts.rpt_contributions_yearly where year = %s group by rollup (plan_category)", (year,)).fetchall()
    order = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    return sorted(rows, key=lambda r: (r[0] is not None, order.get(r[0], len(order)), r[0] or ""))


def contribution_notes(conn: psycopg.Connection, year: int) -> dict[str, str]:
    """비고 per category: by earmarked program where one contributor gave it all (인천시), else by contributor."""
    rows = conn.execute(
        "select plan_category, contributor_code, contributor_name, program_name, amount_krw "
        "from marts.rpt_contributions_by_contributor_yearly where year = %s", (year,)).fetchall()
    contributors = {category: {code for c, code, *_ in rows if c == category} for category, *_ in rows}
    parts: dict[str, dict[str, int]] = {}
    for category, _, contributor, program, amount in rows:
        name = (program or GENERAL_CONTRIBUTION) if len(contributors[category]) == 1 else contributor
        parts.setdefault(category, {}).setdefault(name, 0)
        parts[category][name] += amount
    return {category: ", ".join(f"{name}{NO_BREAK}{million(amount)}" for name, amount in _general_first(amounts))
            for category, amounts in parts.items() if len(amounts) > 1}


def _general_first(amounts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(amounts.items(), key=lambda item: (item[0] != GENERAL_CONTRIBUTION, -item[1], item[0]))


def contributions_table(conn: psycopg.Connection, period: Period) -> Table:
    notes = contribution_notes(conn, period.year)
    body = [Row((label(category or "합 계"), *figures(million(plan), million(actual), percent(attainment)),
                 text(notes.get(category, ""))), is_total=category is None)
            for category, plan, actual, attainment in contribution_rows(conn, period.year)]
    return Table(f"{period.year}년 출연금 확충 계획 대비 실적", "(단위 : 백만원, %)",
                 ((label("구 분"), *figures("계 획", "실 적", "달성률", "비 고")),), tuple(body))


@dataclass(frozen=True)
class Staff:
    quota: int = 0  # 정원
    headcount: int = 0  # 현원 = active + on leave
    active: int = 0
    on_leave: int = 0


@dataclass(frozen=True)
class Roster:
    on: date
    bands: tuple[tuple[str, str], ...]  # (grade band, its Korean label), 1급 … 기타
    units: tuple[tuple[str, str], ...]  # (org unit code, name) in the report's order
    cells: dict[tuple[str | None, str | None], Staff]  # (unit, band); None = all of them

    def staff(self, unit: str | None, band: str | None) -> Staff:
        return self.cells.get((unit, band), Staff())

    @property
    def total(self) -> Staff:
        return self.staff(None, None)


def roster(conn: psycopg.Connection, on: date) -> Roster:
    """The roster of `on` by unit and grade band, with the subtotals computed by SQL (grouping sets).

    Units in the report's order: headquarters, the center, then the branches, by code.
    """
    rows = conn.execute(
        "select h.org_unit_code, max(h.org_unit_name), h.grade_band, max(h.grade_band_ko), sum(h.quota), "
        "       sum(h.headcount), sum(h.active_count), sum(h.on_leave_count), "
        "       min(array_position(array['HQ', 'center', 'branch'], u.kind)) as unit_order "
        "from marts.rpt_headcount_vs_quota h join marts.dim_org_units u using (org_unit_code) "
        "where h.as_of_date = %s "
        "group by grouping sets ((h.org_unit_code, h.grade_band), (h.org_unit_code), (h.grade_band), ()) "
        "order by unit_order, h.org_unit_code nulls first, h.grade_band nulls first", (on,)).fetchall()
    cells = {(unit, band): Staff(*map(int, numbers)) for unit, _, band, _, *numbers, _ in rows}
    units = tuple((unit, name) for unit, name, band, *_ in rows if unit is not None and band is None)
    bands = tuple(sorted((band, name) for unit, _, band, name, *_ in rows if unit is None and band is not None))
    return Roster(on, bands, units, cells)


def quota_and_staff(quota: int, staff: int) -> str:
    """A cell of 기구 및 인원: "정원/현원", blank when both are nil."""
    return "" if not quota and not staff else f"{quota}/{staff}"


def headcount_table(staffing: Roster) -> Table:
    """정원/현원 by unit and grade. As in the report, a unit's 현원 are its active staff, those on
    leave are the 휴직 row, and the total counts both."""
    columns = [None, *(band for band, _ in staffing.bands)]  # None: 총원

    def line(unit: str | None, shown) -> tuple[Cell, ...]:
        return figures(*[shown(staffing.staff(unit, band)) for band in columns])

    total = Row((label("합 계"), *line(None, lambda s: quota_and_staff(s.quota, s.headcount))), is_total=True)
    units = [Row((label(name), *line(unit, lambda s: quota_and_staff(s.quota, s.active))))
             for unit, name in staffing.units if staffing.staff(unit, None) != Staff()]
    on_leave = Row((label("휴 직"), *line(None, lambda s: str(s.on_leave or ""))))
    head = ((label("구 분"), *figures("총 원", *(name for _, name in staffing.bands))),)
    return Table("기구 및 인원", "(단위 : 명, 정원/현원)", head, (total, *units, on_leave), notes=(
        f"※ {staffing.on:%Y. %m. %d.} 기준 (연말 인원). 부서별 현원은 재직 인원이며 휴직자는 휴직 행에 집계",))


def multiple_at(conn: psycopg.Connection, day: date) -> dict:
    return one_row(conn, "select * from marts.fct_operating_multiple_daily where as_of_date = %s", day)


def multiple_table(day: dict) -> Table:
    """보증운용배수 at the end of the period, with the levels the mart applied that day."""
    return Table("보증운용배수 현황", "(단위 : 백만원, 배)",
                 ((label("기준일"), *figures("보증잔액", "기본재산", "보증운용배수",
                                             *(LEVEL_NAMES[key] for key in LEVEL_COLUMNS), "상 태")),), (
        Row((label(f"{day['as_of_date']:%Y. %m. %d.}"), *figures(
            million(day["guarantee_balance_krw"]), million(day["basic_assets_krw"]),
            f"{day['operating_multiple']:.2f}", *(f"{float(day[column]):g}" for column in LEVEL_COLUMNS.values()),
            day["status_ko"] or day["status"]))),
    ), notes=("※ 보증운용배수 = 보증잔액 ÷ 기본재산",))


def key_figures(supply: dict, basic_assets: dict, multiple: dict, staff: Staff) -> tuple:
    """The report's summary lines: supply, balance, basic assets, the multiple, 정원/현원."""
    return (
        KeyFigure("보증공급", f"{count(supply['supply_count'])}건 / {million(supply['supply_amount_krw'])}백만원"),
        KeyFigure("보증잔액", f"{count(supply['balance_count'])}건 / {million(supply['balance_amount_krw'])}백만원"),
        KeyFigure("기본재산", f"{million(basic_assets['closing_krw'])}백만원"),
        KeyFigure("보증운용배수", f"{multiple['operating_multiple']:.2f}배"),
        KeyFigure("인원", f"정원 {staff.quota}명 / 현원 {staff.headcount}명"),
    )


def council_report(conn: psycopg.Connection, year: int) -> CouncilReport:
    """Every table of the report for `year`, read from the marts."""
    period = report_period(conn, year)
    supply = supply_row(conn, year)
    assets = basic_assets_rows(conn, year)
    multiple = multiple_at(conn, period.through_date)
    staffing = roster(conn, roster_date(conn, period))
    sections = (
        Section("기구 및 인원", (headcount_table(staffing),)),
        Section("기본재산 현황", (basic_assets_table(period, assets[-1]), basic_assets_by_year_table(assets),
                                contributions_table(conn, period))),
        Section("신용보증 현황", (supply_table(period, supply), supply_plan_table(period, supply),
                                multiple_table(multiple)), (
            Figure(SUPPLY_CHART, f"월별·상품별 보증공급 ({period.year}년, 백만원)"),
            Figure(MULTIPLE_CHART, "보증운용배수 추이 (최근 24개월, 경고·정책한도·법정한도 및 전망)"))),
        Section("보증사고 및 회수 현황", (accidents_table(conn, period),)),
    )
    return CouncilReport(period, staffing.on, key_figures(supply, assets[-1], multiple, staffing.total),
                          sections)
