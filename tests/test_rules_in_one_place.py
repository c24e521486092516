"""Every level and threshold is defined once, and every consumer follows a change of it.

The 보증운용배수 levels are settings (CGF_MULTIPLE_*) that dbt applies in
marts.fct_operating_multiple_daily; the audit 20-6 thresholds are reference data
(reference.ref_audit_thresholds). The mart, the e-mails, the Great Expectations suites and the
column docs must all say what that one place says. The real DAG runs on the demo's first two
months, whose multiple moves between 5.48× and 5.57×: levels set inside that band give every
state, LEGAL included.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest

from include.orchestration.dag_runner import run_nightly
from tests.conftest import make_database
from tests.mail_capture import outbox_messages

LEVELS = {"CGF_MULTIPLE_WARN_LEVEL": "5.5", "CGF_MULTIPLE_POLICY_LIMIT": "5.53", "CGF_MULTIPLE_LEGAL_LIMIT": "5.55"}
# every change of the mart's status mailed as it happens: no forecast state, no wait before a step down
# (tests/test_multiple_states.py covers those), so the mails follow the mart day by day
MAIL_EVERY_CHANGE = {"CGF_PROJECTED_WITHIN_DAYS": "0", "CGF_DEESCALATE_AFTER_DAYS": "1"}
THROUGH = date(2019, 2, 28)


@pytest.fixture(scope="module")
def run(server_url, demo_landing, tmp_path_factory, airflow_db):
    landing = tmp_path_factory.mktemp("two_months") / "landing"
    for folder in sorted(demo_landing.iterdir()):
        if folder.name <= f"{THROUGH:%Y%m%d}":
            shutil.copytree(folder, landing / folder.name)
    home = tmp_path_factory.mktemp("home")
    url = make_database(server_url, "rules")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**LEVELS, **MAIL_EVERY_CHANGE, "CGF_WAREHOUSE_URL": url, "CGF_LANDING_DIR": str(landing),
                            "CGF_HOME": str(home), "CGF_RETRY_DELAY_SECONDS": "1"}.items():
            mp.setenv(name, value)
        result = run_nightly()
        assert result.succeeded, result
        yield url, home


def query(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def days_by_status_from_the_mails(url: str, through: date) -> dict[str, set[date]]:
    """Each risk e-mail opens a state on its first date; it lasts until the next e-mail's."""
    changes = sorted((date.fromisoformat(key.split(":")[2]), key.split(":")[1]) for (key,) in query(
        url, "select alert_key from ops.alerts where kind = 'RISK'"))
    days: dict[str, set[date]] = {}
    for (start, status), (end, _) in pairwise([*changes, (through + timedelta(days=1), None)]):
        days.setdefault(status, set()).update(start + timedelta(days=n) for n in range((end - start).days))
    return days


def test_the_mart_says_legal_on_exactly_the_days_the_mail_says_legal(run):
    url, _ = run
    mart = {status: {day for (day,) in query(
        url, "select as_of_date from marts.fct_operating_multiple_daily where status = %s", status)}
        for status in ("OK", "WARN", "BREACH", "LEGAL")}
    first_day = query(url, "select min(as_of_date) from marts.fct_operating_multiple_daily")[0][0]
    mailed = days_by_status_from_the_mails(url, THROUGH)
    assert mart["LEGAL"] and mart["BREACH"] and mart["WARN"]  # the levels cut the demo's band
    assert mailed["LEGAL"] == mart["LEGAL"]
    for status in ("WARN", "BREACH"):
        assert mailed[status] == mart[status]
    assert mailed.get("OK", set()) == {d for d in mart["OK"] if d >= min(min(v) for v in mailed.values())}
    assert first_day <= min(mart["LEGAL"])
    levels = query(url, "select distinct warn_level, policy_limit, legal_limit from marts.fct_operating_multiple_daily")
    assert [tuple(float(v) for v in row) for row in levels] == [(5.5, 5.53, 5.55)]


def test_the_mails_name_the_configured_levels(run):
    url, _ = run
    message = outbox_messages(url, "multiple_LEGAL_")[0]
    assert "법정한도 5.55배 초과 (LEGAL)" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "경고 / Warn: 5.5배 이상" in text and "정책한도 / Policy limit: 5.53배 초과" in text
    assert "법정한도 / Legal limit: 5.55배 초과" in text


def test_the_quality_suite_finds_the_breaches_the_mart_classifies(run):
    url, _ = run
    breached = query(url, "select count(*) from marts.fct_operating_multiple_daily "
                          "where status in ('BREACH', 'LEGAL')")[0][0]
    [(observed,)] = query(url, "select observed_value from ops.validation_results where suite = "
                               "'marts_operating_multiple' and expectation = 'expect_column_values_to_not_be_in_set'")
    assert observed["unexpected_count"] == breached > 0


def test_the_column_docs_in_the_database_name_the_levels(run):
    url, _ = run
    [(comment,)] = query(url, "select col_description('marts.fct_operating_multiple_daily'::regclass, attnum) "
                              "from pg_attribute where attrelid = 'marts.fct_operating_multiple_daily'::regclass "
                              "and attname = 'status'")
    assert "5.55" in comment and "5.53" in comment and "5.5" in comment


def test_a_changed_audit_threshold_reaches_mart_mail_and_suite(run):
    """Change the review threshold in the reference data once; rebuild; every consumer follows."""
    from include.alerts import streams
    from include.quality import checks, gx_suites
    from include.transform.cosmos_dbt import dbt_env
    from include.warehouse.settings import DBT_PROJECT_DIR

    url, home = run
    before = query(url, "select count(*), min(amount_krw) from marts.fct_audit_large_guarantees_daily")[0]
    assert before[1] > 30_000_000
    with psycopg.connect(url) as conn:
        conn.execute("update reference.ref_audit_thresholds set amount_krw = 50000000 "
                     "where threshold_code = 'DAILY_REVIEW'")
        conn.execute("delete from ops.alerts where kind like 'AUDIT%%'")
        conn.execute("delete from ops.alert_state where stream = 'audit_large_guarantees'")
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run([str(dbt), "run", "--select", "fct_audit_large_guarantees_daily", "--full-refresh",
                    "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                    "--target-path", str(home / "dbt_target")],
                   env={**os.environ, **dbt_env(url)}, check=True, capture_output=True)
    after = query(url, "select count(*), min(amount_krw), min(review_threshold_krw), max(review_threshold_krw) "
                       "from marts.fct_audit_large_guarantees_daily")[0]
    assert after[0] < before[0] and after[1] > 50_000_000 and after[2:] == (50_000_000, 50_000_000)

    assert streams.queue_audit_alerts()["queued"]
    mail = outbox_messages(url, "audit_")[0]
    assert "5천만원 초과 보증" in mail["Subject"]
    assert "over KRW 50,000,000" in mail.get_body(("plain",)).get_content()

    checks.run_quality_checks("after-threshold-change", restated_from=date(2019, 1, 1))
    [(kwargs, success)] = query(url, "select kwargs, success from ops.validation_results where run_id = "
                                     "'after-threshold-change' and suite = 'marts_audit_large_guarantees' and "
                                     "expectation = 'expect_column_values_to_be_between'")
    assert kwargs["min_value"] == 50_000_000 and success  # the suite's $PARAMETER, from the reference data
    suite = next(s for s in gx_suites.suite_files() if s.name == "marts_audit_large_guarantees")
    assert "30000000" not in json.dumps(suite.definition) and "100000000" not in json.dumps(suite.definition)
