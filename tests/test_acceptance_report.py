"""Acceptance: the real DAG over the generated demo reproduces every figure of the report.

The expected values are the foundation's published figures (spec/marts.md), in million won
(a report figure is round(x_krw / 1e6)); they are written out here, not read from the seeds,
so a wrong seed cannot make this test pass.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest


@pytest.fixture(scope="module")
def marts(demo_warehouse):
    with psycopg.connect(demo_warehouse["url"]) as conn:
        yield conn


def rows(conn, sql, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def mil(krw) -> int:
    return round(krw / Decimal(1_000_000))


def test_supply_and_balances(marts):
    got = {r[0]: r[1:] for r in rows(marts, """
        select year, supply_count, supply_amount_krw, balance_count, balance_amount_krw,
               supply_count_change, supply_amount_change_krw, supply_count_growth_pct, supply_amount_growth_pct,
               balance_count_change, balance_amount_change_krw, balance_count_growth_pct, balance_amount_growth_pct,
               plan_count, plan_amount_krw, count_attainment_pct, amount_attainment_pct
        from marts.rpt_supply_yearly where year in (2019, 2020)""")}
    y19, y20 = got[2019], got[2020]
    assert (y19[0], mil(y19[1]), y19[2], mil(y19[3])) == (30_960, 741_669, 61_556, 1_191_546)
    assert (y20[0], mil(y20[1]), y20[2], mil(y20[3])) == (62_774, 1_617_820, 96_099, 2_192_064)
    assert (y20[4], mil(y20[5]), y20[6], y20[7]) == (31_814, 876_151, Decimal("102.8"), Decimal("118.1"))
    assert (y20[8], mil(y20[9]), y20[10], y20[11]) == (34_543, 1_000_518, Decimal("56.1"), Decimal("84.0"))
    assert (y20[12], mil(y20[13]), y20[14], y20[15]) == (27_000, 610_000, Decimal("232.5"), Decimal("265.2"))


@pytest.mark.parametrize("metric,y19,y20,change,growth", [
    ("accident", (4_441, 55_606), (3_618, 51_864), (-823, -3_742), ("-18.5", "-6.7")),
    ("normalized", (1_403, 16_498), (1_231, 15_577), (-172, -921), ("-12.3", "-5.6")),
    ("claim", (2_938, 38_333), (2_609, 37_608), (-329, -725), ("-11.2", "-1.9")),
    ("recovery", (435, 12_454), (652, 14_336), (217, 1_882), ("49.9", "15.1")),
])
def test_accidents_and_recoveries(marts, metric, y19, y20, change, growth):
    got = {r[0]: r[1:] for r in rows(marts, f"""
        select year, {metric}_count, {metric}_amount_krw, {metric}_count_change,
               {metric}_amount_change_krw, {metric}_count_growth_pct, {metric}_amount_growth_pct
        from marts.rpt_accidents_yearly where year in (2019, 2020)""")}
    assert (got[2019][0], mil(got[2019][1])) == y19
    assert (got[2020][0], mil(got[2020][1])) == y20
    assert (got[2020][2], mil(got[2020][3])) == change
    assert got[2020][4:6] == (Decimal(growth[0]), Decimal(growth[1]))


def test_basic_assets_at_year_ends(marts):
    closing = dict(rows(marts, "select year, closing_krw from marts.rpt_basic_assets_yearly"))
    assert {y: mil(closing[y]) for y in (2018, 2019, 2020)} == {2018: 196_096, 2019: 211_198, 2020: 274_103}
    change = dict(rows(marts, "select year, change_krw from marts.rpt_basic_assets_yearly"))
    assert (mil(change[2019]), mil(change[2020])) == (15_102, 62_905)


def test_2020_contributions_plan_against_actual(marts):
    got = {r[0]: (mil(r[1]), mil(r[2]), r[3]) for r in rows(marts, """
        select plan_category, plan_amount_krw, actual_amount_krw, attainment_pct
        from marts.rpt_contributions_yearly where year = 2020""")}
    assert got == {
        "인천시": (6_200, 24_800, Decimal("400.0")),
        "기초단체": (650, 1_200, Decimal("184.6")),
        "의무출연금": (2_500, 3_627, Decimal("145.1")),
        "기타": (6_000, 33_278, Decimal("554.6")),
    }
    total_plan = sum(v[0] for v in got.values())
    total_actual = sum(v[1] for v in got.values())
    assert (total_plan, total_actual, round(100 * total_actual / total_plan, 1)) == (15_350, 62_905, 409.8)


def test_operating_multiple_at_2020_year_end(marts):
    balance, assets, multiple, status = rows(marts, """
        select guarantee_balance_krw, basic_assets_krw, operating_multiple, status
        from marts.fct_operating_multiple_daily where as_of_date = '2020-12-31'""")[0]
    assert (mil(balance), mil(assets)) == (2_192_064, 274_103)
    assert round(multiple, 2) == Decimal("8.00") and status == "OK"
    days = rows(marts, "select count(*), min(as_of_date), max(as_of_date) from marts.fct_operating_multiple_daily")[0]
    assert days == (822, date(2018, 12, 31), date(2021, 3, 31))


REPORT_BANDS = {"1": (2, 2), "2": (6, 5), "3": (13, 10), "4": (20, 18), "5-6": (44, 32), "OTHER": (1, 3)}
REPORT_UNITS = {"010": 3, "011": 5, "012": 6, "013": 1, "020": 5, "030": 2, "201": 6,
                "101": 10, "102": 5, "103": 8, "104": 7, "105": 5, "106": 5, "107": 0}


def test_headcount_against_quota_on_2021_01_04(marts):
    bands = {r[0]: (r[1], r[2]) for r in rows(marts, """
        select grade_band, sum(quota), sum(headcount) from marts.rpt_headcount_vs_quota
        where as_of_date = '2021-01-04' group by grade_band""")}
    assert bands == REPORT_BANDS
    assert tuple(map(sum, zip(*bands.values()))) == (86, 70)
    units = dict(rows(marts, """
        select org_unit_code, sum(active_count) from marts.rpt_headcount_vs_quota
        where as_of_date = '2021-01-04' group by org_unit_code"""))
    assert units == REPORT_UNITS
    on_leave = rows(marts, "select sum(on_leave_count) from marts.rpt_headcount_vs_quota "
                           "where as_of_date = '2021-01-04'")
    assert on_leave[0][0] == 2


def test_reconciliation_shows_no_difference(marts):
    differences = rows(marts, """
        select * from marts.rpt_reconciliation where difference is not null and difference <> 0""")
    assert differences == []
    compared = rows(marts, "select count(*) from marts.rpt_reconciliation where difference = 0")[0][0]
    assert compared >= 100


def test_no_pii_beyond_staging(marts):
    leaked = rows(marts, """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('intermediate', 'marts')
          and column_name in ('customer_name', 'business_reg_no')""")
    assert leaked == []


def test_docs_generate_and_every_mart_column_has_a_korean_label(marts, demo_warehouse, tmp_path):
    import json
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    from include.transform.cosmos_dbt import dbt_env
    from include.warehouse.settings import DBT_PROJECT_DIR

    url = demo_warehouse["url"]
    target = tmp_path / "target"
    env = {**os.environ, **dbt_env(url), "DBT_TARGET_PATH": str(target)}
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([dbt, "docs", "generate", "--project-dir", str(DBT_PROJECT_DIR),
                    "--profiles-dir", str(DBT_PROJECT_DIR)], check=True, env=env, capture_output=True)
    assert (target / "index.html").exists() and (target / "catalog.json").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    documented = {
        (node["name"], column): spec.get("description", "")
        for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["schema"] == "marts"
        for column, spec in node["columns"].items()
    }
    columns = rows(marts, """select table_name, column_name from information_schema.columns
                              where table_schema = 'marts' order by 1, 2""")
    assert columns
    hangul = re.compile(r"[\uac00-\ud7a3]")
    undocumented = [c for c in columns if not hangul.search(documented.get(c, ""))]
    assert undocumented == []


# ---- yearly reports an analyst can trust: periods, comparisons, labels -----------------------

YEARLY_REPORTS = ("rpt_supply_yearly", "rpt_accidents_yearly", "rpt_accident_rates_yearly",
                  "rpt_basic_assets_yearly", "rpt_claims_rollforward_yearly", "rpt_contributions_yearly",
                  "rpt_contributions_by_contributor_yearly")


def test_every_yearly_report_row_says_what_period_it_covers(marts):
    """2018 is the cut-over stub (2018-12-31 only), 2019–2020 are whole, 2021 runs to the last delivery."""
    expected = {2018: (date(2018, 12, 31), date(2018, 12, 31), True, True),
                2019: (date(2019, 1, 1), date(2019, 12, 31), False, False),
                2020: (date(2020, 1, 1), date(2020, 12, 31), False, False),
                2021: (date(2021, 1, 1), date(2021, 3, 31), True, False)}
    for report in YEARLY_REPORTS:
        got = {r[0]: r[1:] for r in rows(marts, f"""
            select distinct year, from_date, through_date, is_partial_year, is_cutover_year
            from marts.{report}""")}
        assert got, report
        assert got == {y: expected[y] for y in got}, report


def test_no_flow_is_compared_with_the_cutover_year(marts):
    supply = rows(marts, """
        select supply_count, prev_period_supply_count, supply_count_change, supply_amount_change_krw,
               supply_count_growth_pct, supply_amount_growth_pct,
               balance_count_change, balance_amount_change_krw, prev_period_balance_count
        from marts.rpt_supply_yearly where year = 2019""")[0]
    assert supply[0] == 30_960 and supply[1:6] == (None,) * 5  # not "30,960 more than the stub year"
    # the cut-over balance is real: 2019's balance change is against it
    assert (supply[6], mil(supply[7]), supply[8]) == (61_556 - 59_000, 1_191_546 - 1_080_000, 59_000)
    changes = rows(marts, """
        select accident_count_change, accident_amount_growth_pct, normalized_count_change, claim_count_change,
               recovery_count_change, recovery_amount_growth_pct, prev_period_accident_count
        from marts.rpt_accidents_yearly where year = 2019""")[0]
    assert changes == (None,) * 7
    cutover = rows(marts, """
        select accident_rate_pct, subrogation_rate_pct, opening_balance_krw
        from marts.rpt_accident_rates_yearly where year = 2018""")[0]
    assert cutover == (None, None, None)


def test_partial_2021_compares_with_2020s_first_quarter(marts):
    """2021 (1 Jan – 31 Mar) against 2020-01-01..2020-03-31, computed here from the event fact."""
    q1 = dict(zip(("supply_count", "supply_amount_krw", "accident_count", "accident_amount_krw"), rows(marts, """
        select count(*) filter (where event_type in ('NEW', 'EXTEND')),
               sum(amount_krw) filter (where event_type in ('NEW', 'EXTEND')),
               count(*) filter (where event_type = 'ACCIDENT'), sum(amount_krw) filter (where event_type = 'ACCIDENT')
        from marts.fct_guarantee_events where event_date between '2020-01-01' and '2020-03-31'""")[0]))
    balance_2020_03_31 = rows(marts, "select guarantee_balance_krw from marts.fct_operating_multiple_daily "
                                     "where as_of_date = '2020-03-31'")[0][0]
    s = rows(marts, """
        select is_partial_year, through_date, prev_period_from_date, prev_period_through_date,
               supply_count, supply_amount_krw, prev_period_supply_count, prev_period_supply_amount_krw,
               supply_count_change, supply_amount_growth_pct, balance_amount_krw, prev_period_balance_amount_krw,
               balance_amount_change_krw
        from marts.rpt_supply_yearly where year = 2021""")[0]
    assert s[:4] == (True, date(2021, 3, 31), date(2020, 1, 1), date(2020, 3, 31))
    assert (s[6], s[7]) == (q1["supply_count"], q1["supply_amount_krw"])
    assert s[8] == s[4] - q1["supply_count"]
    assert s[9] == round(Decimal(100) * (s[5] - s[7]) / s[7], 1)
    assert s[11] == balance_2020_03_31 and s[12] == s[10] - balance_2020_03_31
    whole_2020 = rows(marts, "select supply_count from marts.rpt_supply_yearly where year = 2020")[0][0]
    assert q1["supply_count"] < whole_2020  # not the whole of 2020 (the issue's −69.6 %)
    a = rows(marts, """
        select prev_period_accident_count, prev_period_accident_amount_krw, accident_count_change
        from marts.rpt_accidents_yearly where year = 2021""")[0]
    assert a[:2] == (q1["accident_count"], q1["accident_amount_krw"])
    assert a[2] == 1_800 - q1["accident_count"]


def test_vacancy_is_split_into_open_positions_and_overstaffed(marts):
    got = {r[0]: r[1:] for r in rows(marts, """
        select grade_band, sum(vacancy), sum(open_positions), sum(overstaffed)
        from marts.rpt_headcount_vs_quota where as_of_date = '2021-01-04' group by grade_band""")}
    assert got["OTHER"] == (-2, 0, 2)  # quota 1, headcount 3
    assert got["5-6"] == (12, 12, 0)
    assert rows(marts, """select count(*) from marts.rpt_headcount_vs_quota
                          where open_positions < 0 or overstaffed < 0
                             or vacancy <> open_positions - overstaffed""")[0][0] == 0


def test_every_code_column_has_its_korean_label_beside_it(marts):
    """Every <column>_ko of the marts is filled wherever <column> is, and is Korean."""
    labelled = rows(marts, """
        select c.table_name, code.column_name, c.column_name
        from information_schema.columns as c
        join information_schema.columns as code
          on code.table_schema = c.table_schema and code.table_name = c.table_name
         and code.column_name = left(c.column_name, -3)
        where c.table_schema = 'marts' and right(c.column_name, 3) = '_ko'""")
    assert {(t, c) for t, c, _ in labelled} >= {
        ("fct_operating_multiple_daily", "status"), ("rpt_claims_rollforward_yearly", "ledger"),
        ("rpt_reconciliation", "status"), ("rpt_reconciliation", "unit"), ("fct_ledger_findings", "rule"),
        ("fct_guarantee_events", "event_type"), ("fct_guarantee_events", "status_after"),
        ("rpt_headcount_vs_quota", "grade_band"), ("dim_org_units", "kind")}
    for table, code, label in labelled:
        korean = f"({label} ~ '[가-힣]' or {label} = chr(37))"  # chr(37): the unit label '%'
        missing = rows(marts, f"select distinct {code}::text from marts.{table} "
                              f"where {code} is not null and ({label} is null or not {korean})")
        assert missing == [], (table, code)
    assert rows(marts, "select distinct status_ko from marts.fct_operating_multiple_daily order by 1") \
        == [("경고",), ("정상",)]


def test_every_not_covered_figure_says_why(marts):
    notes = rows(marts, "select figure_id, note from marts.rpt_reconciliation where status = 'NOT_COVERED'")
    assert notes and all(note and note.strip() for _, note in notes)
    by_id = dict(notes)
    assert by_id["F059"].startswith("이관 이전")       # basic assets 2015: before the cut-over
    assert by_id["F149"].startswith("보고서에만 있는 수치")  # the 2021 accident plan


# ---- names beside codes: org units, programs and banks from their own seeds ------------------

# (mart, code column, name column, dim, dim's code column): the mart's name is the dim's name_ko
NAMED_CODES = [
    ("fct_guarantee_events", "handling_branch_code", "handling_branch_name", "dim_org_units", "org_unit_code"),
    ("fct_guarantee_events", "owning_branch_code", "owning_branch_name", "dim_org_units", "org_unit_code"),
    ("fct_guarantee_events", "program_code", "program_name", "dim_programs", "program_code"),
    ("fct_guarantee_events", "bank_code", "bank_name", "dim_banks", "bank_code"),
    ("fct_supply_balance_monthly", "branch_code", "branch_name", "dim_org_units", "org_unit_code"),
    ("fct_supply_balance_monthly", "program_code", "program_name", "dim_programs", "program_code"),
    ("fct_audit_large_guarantees_daily", "handling_branch_code", "handling_branch_name", "dim_org_units",
     "org_unit_code"),
    ("fct_audit_large_guarantees_daily", "owning_branch_code", "owning_branch_name", "dim_org_units",
     "org_unit_code"),
    ("fct_audit_large_guarantees_daily", "program_code", "program_name", "dim_programs", "program_code"),
    ("fct_audit_large_guarantees_daily", "bank_code", "bank_name", "dim_banks", "bank_code"),
]


def names_not_matching_the_dims(conn) -> dict:
    """(mart, name column) -> the codes whose name is missing or differs from the dim's name_ko."""
    wrong = {}
    for mart, code, name, dim, dim_code in NAMED_CODES:
        bad = rows(conn, f"""
            select distinct m.{code}, m.{name}, d.name_ko from marts.{mart} as m
            left join marts.{dim} as d on d.{dim_code} = m.{code}
            where m.{code} is not null and (m.{name} is null or m.{name} is distinct from d.name_ko)""")
        if bad:
            wrong[(mart, name)] = bad
    return wrong


def test_every_code_has_its_name_beside_it(marts):
    """Branch, program and bank codes carry the dims' names; the reconciliation's relation its label."""
    for mart, code, _name, _dim, _dim_code in NAMED_CODES:
        filled = rows(marts, f"select count(*) from marts.{mart} where {code} is not null")[0][0]
        assert filled, (mart, code)  # the demo fills every code column checked here
    assert names_not_matching_the_dims(marts) == {}
    assert rows(marts, """select distinct program_name from marts.fct_guarantee_events
                          where program_code = 'GENERAL'""") == [("일반보증",)]
    assert rows(marts, "select distinct bank_name from marts.fct_guarantee_events where bank_code = 'IBK'") \
        == [("기업은행",)]
    unlabelled = rows(marts, """select distinct relation from marts.rpt_reconciliation
                               where relation_ko is null or relation_ko !~ '[가-힣]'""")
    assert unlabelled == []
    assert rows(marts, """select distinct relation_ko from marts.rpt_reconciliation
                          where relation = 'rpt_supply_yearly'""") == [("보증공급 현황",)]


def test_an_upgraded_warehouse_gets_the_names_of_its_old_rows(marts, demo_warehouse, tmp_path):
    """An existing incremental mart without the name columns: the next run appends them at the end,
    in the order of a fresh build, and the post-hook fills the names of the rows built before."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from include.transform.cosmos_dbt import dbt_env
    from include.warehouse.settings import DBT_PROJECT_DIR

    added = {"fct_guarantee_events": ["handling_branch_name", "owning_branch_name", "program_name", "bank_name"],
             "fct_audit_large_guarantees_daily": ["program_name", "bank_name"]}

    def columns(table):
        return [c for (c,) in rows(marts, """select column_name from information_schema.columns
                                              where table_schema = 'marts' and table_name = %s
                                              order by ordinal_position""", table)]

    fresh = {table: columns(table) for table in added}
    for table, names in added.items():
        assert fresh[table][-len(names):] == names, table  # new columns last: where an upgrade appends them
        counts = rows(marts, f"select count(*) from marts.{table}")[0][0]
        assert counts, table
        marts.execute(f"alter table marts.{table} " + ", ".join(f"drop column {n}" for n in names))
    marts.commit()

    url = demo_warehouse["url"]
    env = {**os.environ, **dbt_env(url), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "DBT_LOG_PATH": str(tmp_path / "logs")}
    dbt = str(Path(sys.executable).parent / "dbt")
    result = subprocess.run([dbt, "run", "--select", *added, "--project-dir", str(DBT_PROJECT_DIR),
                             "--profiles-dir", str(DBT_PROJECT_DIR)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]

    assert {table: columns(table) for table in added} == fresh
    assert names_not_matching_the_dims(marts) == {}
