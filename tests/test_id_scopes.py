"""Ids are unique within their own file only: an event_id may equal a repayment_id."""
from __future__ import annotations

from datetime import date

import psycopg

from include.orchestration.dag_runner import run_nightly
from tests.landing_factory import (
    contribution,
    employee,
    guarantee,
    repayment,
    write_delivery,
)

D1, D2 = date(2019, 1, 2), date(2019, 1, 3)


def test_equal_ids_in_guarantees_and_repayments_build(db_url, tmp_path, monkeypatch, airflow_db):
    write_delivery(tmp_path, D1, {
        "guarantees.csv": [guarantee(D1, "1", "NEW", "G1", amount_krw=100_000_000),
                           guarantee(D1, "2", "NEW", "G2", amount_krw=50_000_000)],
        "repayments.csv": [repayment(D1, "1", "LOAN_PRINCIPAL", "G1", amount_krw=10_000_000)],
        "contributions.csv": [contribution(D1, "1", amount_krw=10_000_000_000)],
        "headcount.csv": [employee(D1, "1")],
    })
    write_delivery(tmp_path, D2, {
        "guarantees.csv": [guarantee(D2, "3", "ACCIDENT", "G2", amount_krw=50_000_000),
                           guarantee(D2, "4", "SUBROGATE", "G2", amount_krw=50_000_000)],
        "repayments.csv": [repayment(D2, "3", "RECOVERY", "G2", amount_krw=5_000_000),
                           repayment(D2, "4", "WRITE_OFF", "G2", amount_krw=45_000_000)],
        "headcount.csv": [employee(D2, "1")],
    })
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")

    result = run_nightly()
    assert result.succeeded, result
    with psycopg.connect(db_url) as conn:
        events = conn.execute("select source_kind, event_key, balance_after_krw from marts.fct_guarantee_events "
                              "order by event_date, source_kind, event_key").fetchall()
        claims = conn.execute("select ledger, closing_krw from marts.rpt_claims_rollforward_yearly "
                              "where year = 2019 order by ledger").fetchall()
        balance = conn.execute("select guarantee_balance_krw from marts.fct_operating_multiple_daily "
                               "where as_of_date = %s", (D2,)).fetchone()[0]
    assert events == [("guarantees", "1", 100_000_000), ("guarantees", "2", 50_000_000),
                      ("repayments", "1", 90_000_000), ("guarantees", "3", 50_000_000),
                      ("guarantees", "4", 0)]
    assert claims == [("RECOURSE", 0), ("SPECIAL", 45_000_000)]  # 50 subrogated − 5 recovered − 45 written off
    assert balance == 90_000_000
