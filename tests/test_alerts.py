"""Alerts end to end: the real DAG (dag.test), real PostgreSQL, a real SMTP server (aiosmtpd).

The breach scenario of the generator pushes the operating multiple over 9× and then over 10×
in 2021's first quarter; the tests load it in two nights and count what arrives: WARN, then
PROJECTED (the forecast sees 10× coming) before the first BREACH day, then BREACH, and no flapping.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.orchestration.dag_runner import run_nightly
from tests.landing_factory import good_delivery, write_delivery
from tests.mail_capture import MailServer, free_port

RISK = ["risk.officer@example.org", "cfo@example.org"]
OPS = "operator@example.org"
AUDIT = {"I": "audit.head@example.org", "II": "audit.deputy@example.org"}


@dataclass
class AlertEnv:
    landing: Path
    home: Path
    db_url: str

    @property
    def outbox(self) -> list[str]:
        """The alerts waiting in the warehouse's outbox."""
        return [name for (name,) in self.query("select eml_file from ops.alerts where status = 'PENDING' order by 1")]

    @property
    def sent(self) -> list[str]:
        return [name for (name,) in self.query("select eml_file from ops.alerts where status = 'SENT' order by 1")]

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


def alert_env(monkeypatch, tmp_path, db_url, smtp_uri: str) -> AlertEnv:
    env = AlertEnv(tmp_path / "landing", tmp_path / "home", db_url)
    env.landing.mkdir()
    for name, value in {
        "CGF_WAREHOUSE_URL": db_url, "CGF_LANDING_DIR": str(env.landing), "CGF_HOME": str(env.home),
        "CGF_RETRY_DELAY_SECONDS": "1", "AIRFLOW_CONN_SMTP_DEFAULT": smtp_uri,
        "CGF_ALERT_TO": ", ".join(RISK), "CGF_OPS_ALERT_TO": OPS,
        "CGF_AUDIT_GROUP1_TO": AUDIT["I"], "CGF_AUDIT_GROUP2_TO": AUDIT["II"],
    }.items():
        monkeypatch.setenv(name, value)
    return env


def copy_deliveries(source: Path, target: Path, through: date) -> None:
    for folder in sorted(source.iterdir()):
        if folder.name <= f"{through:%Y%m%d}" and not (target / folder.name).exists():
            shutil.copytree(folder, target / folder.name)


def states_of(risk: list) -> list[str]:
    """The state of each risk mail, in the order they arrived (from the subject's "(STATE)")."""
    return [re.search(r"\((OK|WARN|PROJECTED|BREACH|LEGAL)\)", r.subject).group(1) for r in risk]


def flaps(risk: list, k: int = 5) -> list[tuple[str, str]]:
    """Step downs followed by a step up again less than K days later (the subject's since-date)."""
    severity = ["OK", "WARN", "PROJECTED", "BREACH", "LEGAL"].index
    mails = [(severity(state), date.fromisoformat(re.search(r"since (\S+)\)", r.subject).group(1)), r.subject)
             for state, r in zip(states_of(risk), risk, strict=True)]
    return [(down, up) for (x, _, _), (y, since, down), (z, again, up) in zip(mails, mails[1:], mails[2:])
            if y < x and z > y and (again - since).days < k]


def assert_projected_mail(env: AlertEnv, mail) -> tuple[date, date]:
    """The PROJECTED mail names the outlook's first date above 10× and the basic assets to add: (since, projected)."""
    text = mail.part("text/plain")
    as_of = date.fromisoformat(re.search(r"Forecast as of: (\S+)", text).group(1))
    [(first_breach, needed, year_end)] = env.query(
        "select first_breach_date, assets_needed_policy_krw, year_end_date from marts.rpt_operating_multiple_outlook "
        "where as_of_date = %s and scenario_code = 'BASELINE'", as_of)
    assert "보증운용배수 10배 초과 예상 (PROJECTED)" in mail.subject
    assert f"{first_breach:%Y-%m-%d} 초과 예상" in mail.subject
    assert f"초과 예상일 / Projected first date above the policy limit: {first_breach:%Y-%m-%d}" in text
    assert f"Basic assets to add by {year_end:%Y-%m-%d}: {round(needed / 1_000_000):,}백만원" in text
    assert mail.images()[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    since = date.fromisoformat(re.search(r"since (\S+)\)", mail.subject).group(1))
    return since, first_breach


def first_day(env: AlertEnv, condition: str) -> date:
    return env.query(f"select min(as_of_date) from marts.fct_operating_multiple_daily where {condition}")[0][0]


def audit_days(env: AlertEnv, after: date, through: date) -> list[tuple[date, str, int, int]]:
    """(day, group, guarantees, of which pre-audit) the audit mails of (after, through] must show."""
    return env.query(
        "select as_of_date, audit_group, count(*), count(*) filter (where pre_audit_required) "
        "from marts.fct_audit_large_guarantees_daily where as_of_date > %s and as_of_date <= %s "
        "group by 1, 2 order by 1, 2", after, through)


def audit_listing(env: AlertEnv, day: date, group: str) -> list[tuple]:
    """Per guarantee of an audit mail: its ids, the names the marts give its codes, and its customer's PII in raw."""
    return env.query(
        "select a.event_id, a.handling_branch_code, u.name_ko, a.program_code, p.name_ko, a.bank_code, b.name_ko, "
        "a.customer_key, g.customer_name, g.business_reg_no "
        "from marts.fct_audit_large_guarantees_daily a "
        "join marts.dim_org_units u on u.org_unit_code = a.handling_branch_code "
        "join marts.dim_programs p on p.program_code = a.program_code "
        "join marts.dim_banks b on b.bank_code = a.bank_code "
        "join raw.guarantees g on g.event_id = a.event_id "
        "where a.as_of_date = %s and a.audit_group = %s", day, group)


def assert_audit_mails(env: AlertEnv, mail_server: MailServer, expected: list[tuple[date, str, int, int]]) -> None:
    for day, group, rows, pre_audit in expected:
        [mail] = [m for m in mail_server.to(AUDIT[group]) if f"{day:%Y-%m-%d}" in m.subject]
        assert f"그룹 {group}:" in mail.subject
        assert f"3천만원 초과 보증 {rows}건 (사전감사 {pre_audit}건)" in mail.subject
        text, html = mail.part("text/plain"), mail.part("text/html")
        assert text.count("[사전감사]") == pre_audit
        listing = audit_listing(env, day, group)
        assert len({row[0] for row in listing}) == rows
        for event_id, branch, branch_name, program, program_name, bank, bank_name, key, name, reg_no in listing:
            [line] = [line for line in text.splitlines() if f"({event_id})" in line]
            # names from the marts (dim_org_units, dim_programs, dim_banks), the code in parentheses
            assert f"{branch_name} ({branch})" in line
            assert f"{program_name} ({program}), {bank_name} ({bank})" in line
            for private in (key, name, reg_no):  # no customer data in the e-mail
                assert private not in text and private not in html


def test_breach_scenario_mails_warn_projected_then_one_breach_and_nothing_again(
        breach_landing, mail_server, monkeypatch, tmp_path, db_url, airflow_db):
    env = alert_env(monkeypatch, tmp_path, db_url, mail_server.connection_uri)

    # night 1: the deliveries up to mid-February 2021 — the multiple has crossed 9×
    copy_deliveries(breach_landing, env.landing, date(2021, 2, 15))
    assert run_nightly().succeeded
    warn_date = first_day(env, "operating_multiple >= 9")
    assert first_day(env, "operating_multiple > 10") is None
    risk = mail_server.to(RISK[0])
    assert states_of(risk) == ["WARN", "PROJECTED"]  # the forecast sees 10× coming: warned before it
    warn, projected = risk
    assert set(RISK) <= set(warn.recipients)
    assert "(WARN)" in warn.subject and f"{warn_date:%Y-%m-%d}" in warn.subject
    assert f"최초 도달일 / First date reached: {warn_date:%Y-%m-%d}" in warn.part("text/plain")
    projected_since, projected_date = assert_projected_mail(env, projected)
    # audit 20-6: a first run mails the last week of data days, one e-mail per group and day
    audits_night_1 = audit_days(env, date(2021, 2, 8), date(2021, 2, 15))
    assert audits_night_1
    assert len(mail_server.to(AUDIT["I"])) + len(mail_server.to(AUDIT["II"])) == len(audits_night_1)
    assert_audit_mails(env, mail_server, audits_night_1)

    # night 2: the rest of the quarter — the multiple crosses 10×: exactly one BREACH e-mail
    copy_deliveries(breach_landing, env.landing, date(2021, 3, 31))
    assert run_nightly().succeeded
    breach_date = first_day(env, "operating_multiple > 10")
    risk = mail_server.to(RISK[0])
    assert states_of(risk) == ["WARN", "PROJECTED", "BREACH"]
    assert projected_since < breach_date and projected_date > projected_since  # warned before the first BREACH day
    assert flaps(risk) == []
    breach = risk[2]
    assert "보증운용배수 10배 초과 (BREACH)" in breach.subject and f"{breach_date:%Y-%m-%d}" in breach.subject
    text = breach.part("text/plain")
    assert f"최초 도달일 / First date reached: {breach_date:%Y-%m-%d}" in text
    assert "감축 필요액 / Reduction needed" in text  # above 10×: how much must come off
    labels = dict(env.query("select distinct status, status_ko from marts.fct_operating_multiple_daily "
                            "where status in ('WARN', 'BREACH')"))
    assert f"상태 / State: {labels['BREACH']} (BREACH) — 이전 / previous: 운용한도 초과 예상 (PROJECTED)" in text
    html = breach.part("text/html")
    assert "cid:multiple-chart" in html
    [chart] = breach.images()
    assert chart.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert mail_server.to(OPS) == []  # a breach is a finding, not a pipeline failure
    audits = len(mail_server.to(AUDIT["I"])) + len(mail_server.to(AUDIT["II"]))
    assert audits == len(audits_night_1) + len(audit_days(env, date(2021, 2, 15), date(2021, 3, 31)))

    # the same night again: nothing new goes out
    received = len(mail_server.received)
    assert run_nightly().succeeded
    assert len(mail_server.received) == received
    assert env.outbox == []
    assert env.query("select kind, status, count(*) from ops.alerts where kind = 'RISK' group by 1, 2") == [
        ("RISK", "SENT", 3)]
    assert env.query("select status, status_since from ops.alert_state where stream = 'operating_multiple'") == [
        ("BREACH", breach_date)]


def test_alert_waits_in_the_outbox_while_the_server_is_down_and_goes_out_next_run(
        monkeypatch, tmp_path, db_url, airflow_db):
    server = MailServer(free_port())  # not started yet: the SMTP server is down
    env = alert_env(monkeypatch, tmp_path, db_url, server.connection_uri)
    generate_landing(env.landing, end=date(2019, 1, 10), scale=0.05)
    # levels low enough that the small landing area is at WARN from its first day
    monkeypatch.setenv("CGF_MULTIPLE_WARN_LEVEL", "1")
    monkeypatch.setenv("CGF_MULTIPLE_POLICY_LIMIT", "50")
    monkeypatch.setenv("CGF_MULTIPLE_LEGAL_LIMIT", "60")

    assert run_nightly().succeeded
    [waiting] = [name for name in env.outbox if name.startswith("multiple")]
    [(status, attempts, error)] = env.query(
        "select status, attempts, last_error from ops.alerts where kind = 'RISK'")
    assert status == "PENDING" and attempts >= 1 and "unavailable" in error

    server.start()
    try:
        assert run_nightly().succeeded
    finally:
        server.stop()
    risk = server.to(RISK[0])
    assert len(risk) == 1 and "(WARN)" in risk[0].subject
    assert waiting in env.sent and waiting not in env.outbox
    assert env.query("select status from ops.alerts where kind = 'RISK'") == [("SENT",)]


def test_rejected_delivery_yields_one_operator_mail_naming_file_day_and_violation(
        mail_server, monkeypatch, tmp_path, db_url, airflow_db):
    env = alert_env(monkeypatch, tmp_path, db_url, mail_server.connection_uri)
    generate_landing(env.landing, end=date(2019, 1, 5), scale=0.05)
    bad_day = date(2019, 1, 6)
    rows = good_delivery(bad_day)
    rows["guarantees.csv"][0]["business_reg_no"] = "1248100997"  # wrong check digit
    write_delivery(env.landing, bad_day, rows)

    result = run_nightly()
    assert not result.succeeded and result.failed_tasks == ["check_deliveries"]
    [(reason,)] = env.query("select reason from ops.rejections where delivery_date = %s", bad_day)
    # the days before it are built (their audit mails and, on this scaled-down data, the
    # reconciliation's quality alert go out too); the rejection is one operator mail
    [mail] = [m for m in mail_server.to(OPS) if "delivery rejected" in m.subject]
    assert "20190106" in mail.subject and "guarantees.csv" in mail.subject
    text = mail.part("text/plain")
    assert "guarantees.csv line 2" in text and "사업자등록번호 (business_reg_no)" in text and reason in text
    assert "select * from ops.rejections where delivery_date = '2019-01-06'" in text

    # the same rejected delivery on the next night: the operators already know
    received = len(mail_server.received)
    assert not run_nightly().succeeded
    assert len(mail_server.received) == received


def test_delivery_missing_past_the_sensor_timeout_fails_loudly_and_mails_the_operators(
        mail_server, monkeypatch, tmp_path, db_url, airflow_db):
    env = alert_env(monkeypatch, tmp_path, db_url, mail_server.connection_uri)
    generate_landing(env.landing, end=date(2019, 1, 3), scale=0.05)
    assert run_nightly().succeeded
    sent_before = len(mail_server.received)

    monkeypatch.setenv("CGF_DELIVERY_WAIT_SECONDS", "3")  # six hours in production
    monkeypatch.setenv("CGF_DELIVERY_POKE_SECONDS", "1")
    result = run_nightly(date(2019, 1, 5))  # expects the delivery of 2019-01-04, which never comes
    assert not result.succeeded and result.failed_tasks == ["wait_for_delivery"]
    assert result.task_states["load_deliveries"] == "upstream_failed"
    [mail] = mail_server.received[sent_before:]
    assert mail.recipients == [OPS]
    assert "20190104" in mail.subject and "delivery missing" in mail.subject
