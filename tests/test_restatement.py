"""Incremental and restatable: a new day processes that day only; a re-sent day D recomputes
everything from D onwards and nothing before it, and a changed amount flows into the marts."""
from __future__ import annotations

import shutil
from datetime import date

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.orchestration.dag_runner import run_nightly
from tests.landing_factory import folder_of, resend_with_changed_amount

END = date(2019, 3, 29)  # a Friday: the new day has activity
RESENT = date(2019, 3, 14)


def row_versions(conn, table: str, date_column: str, key: str) -> dict:
    """key -> (date, xmin): xmin changes when a row is rewritten."""
    return {k: (d, x) for k, d, x in conn.execute(
        f"select {key}, {date_column}, xmin::text from {table}").fetchall()}


@pytest.fixture
def built(db_url, tmp_path, monkeypatch, airflow_db):
    full = tmp_path / "full"
    generate_landing(full, end=END, scale=0.1)
    landing = tmp_path / "landing"
    landing.mkdir()
    for folder in sorted(f for f in full.iterdir() if f.is_dir())[:-1]:  # everything but the last day
        shutil.copytree(folder, landing / folder.name)
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")
    assert run_nightly().succeeded
    return full, landing


def test_one_new_day_processes_that_day_only(built, db_url):
    full, landing = built
    shutil.copytree(folder_of(full, END), folder_of(landing, END))
    with psycopg.connect(db_url) as conn:
        before = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")
        days_before = row_versions(conn, "marts.fct_operating_multiple_daily", "as_of_date", "as_of_date")
    assert run_nightly().succeeded
    with psycopg.connect(db_url) as conn:
        after = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")
        days_after = row_versions(conn, "marts.fct_operating_multiple_daily", "as_of_date", "as_of_date")
    new_keys = set(after) - set(before)
    assert new_keys and all(after[k][0] == END for k in new_keys)
    assert {k: after[k] for k in before} == before  # no earlier event row rewritten
    assert {d: days_after[d] for d in days_before} == days_before
    assert max(days_after) == END


def test_resent_day_recomputes_from_that_day_on(built, db_url):
    _full, landing = built
    with psycopg.connect(db_url) as conn:
        supply_before = conn.execute(
            "select supply_amount_krw from marts.rpt_supply_yearly where year = 2019").fetchone()[0]
        balances_before = dict(conn.execute(
            "select as_of_date, guarantee_balance_krw from marts.fct_operating_multiple_daily").fetchall())
        events_before = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")

    changed_event = resend_with_changed_amount(folder_of(landing, RESENT), "NEW", 1_000_000)
    assert run_nightly().succeeded

    with psycopg.connect(db_url) as conn:
        supply_after = conn.execute(
            "select supply_amount_krw from marts.rpt_supply_yearly where year = 2019").fetchone()[0]
        balances_after = dict(conn.execute(
            "select as_of_date, guarantee_balance_krw from marts.fct_operating_multiple_daily").fetchall())
        events_after = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")
        amount = conn.execute("select amount_krw, balance_after_krw from intermediate.int_guarantee_events "
                              "where event_key = %s", (changed_event,)).fetchone()
        versions = conn.execute("select status from ops.deliveries where delivery_date = %s order by load_id",
                                (RESENT,)).fetchall()
    assert supply_after - supply_before == 1_000_000
    assert amount[0] == amount[1]  # the NEW event sets the balance to its (new) amount
    assert balances_after[RESENT] - balances_before[RESENT] == 1_000_000
    assert all(balances_after[d] == balances_before[d] for d in balances_before if d < RESENT)
    assert versions == [("SUPERSEDED",), ("LOADED",)]
    untouched = {k: v for k, v in events_before.items() if v[0] < RESENT}
    assert {k: events_after[k] for k in untouched} == untouched
    rewritten = [k for k, v in events_before.items() if v[0] >= RESENT and events_after[k][1] != v[1]]
    assert rewritten  # rows from the re-sent day on were recomputed
