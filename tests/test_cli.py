"""The main command (`make run` = `python -m include.cli run`) on a given landing area and warehouse."""
from __future__ import annotations

from datetime import date, timedelta

import psycopg

from include import cli
from tests.landing_factory import good_delivery, write_delivery

FIRST = date(2019, 1, 1)


def write_days(landing, days: int, bad_day: int | None = None) -> None:
    for i in range(days):
        day = FIRST + timedelta(days=i)
        rows = good_delivery(day, 2)
        if i == bad_day:
            rows["guarantees.csv"][1]["business_reg_no"] = "1234567890"
        write_delivery(landing, day, rows)


def test_run_exits_non_zero_and_names_the_rejected_delivery(db_url, tmp_path, monkeypatch, capsys, airflow_db):
    landing = tmp_path / "landing"
    write_days(landing, 4, bad_day=2)
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")

    assert cli.main(["run"]) == 1
    out = capsys.readouterr().out
    assert "REJECTED delivery 20190103" in out
    assert "guarantees.csv:3 [business_reg_no='1234567890']" in out
    assert "select * from ops.rejections where delivery_date = '2019-01-03'" in out
    assert "2 complete deliveries wait (20190103 … 20190104)" in out
    with psycopg.connect(db_url) as conn:
        loaded = conn.execute("select delivery_date from ops.deliveries where status = 'LOADED' order by 1").fetchall()
        built_through = conn.execute("select max(as_of_date) from marts.fct_operating_multiple_daily").fetchone()[0]
    assert loaded == [(FIRST,), (FIRST + timedelta(days=1),)]  # later deliveries wait
    assert built_through == FIRST + timedelta(days=1)  # what came before the rejection is built

    write_days(landing, 4)  # the corrected re-send of 20190103
    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert "deliveries loaded: 4" in out and "[cgf] REJECTED" not in out


def test_run_fails_loudly_when_a_day_is_missing_before_complete_ones(db_url, tmp_path, monkeypatch, capsys,
                                                                      airflow_db):
    landing = tmp_path / "landing"
    write_days(landing, 4)
    for path in (landing / "20190102").iterdir():  # 2019-01-02 never completed: no manifest
        if path.name == "manifest.csv":
            path.unlink()
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")

    assert cli.main(["run"]) == 1
    out = capsys.readouterr().out
    assert "failed tasks: check_deliveries" in out
    assert "2 complete deliveries wait (20190103 … 20190104)" in out
    outbox = list((tmp_path / "home" / "outbox").glob("*.eml"))
    assert any("20190102" in p.read_text(errors="replace") for p in outbox)  # the operators' alert
