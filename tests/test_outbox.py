"""The outbox and the composed e-mails: once per key, sent through a real SMTP server (aiosmtpd)."""
from __future__ import annotations

from datetime import date

import pytest

from include.alerts import mail, outbox
from include.alerts.chart import render_chart
from include.alerts.multiple_states import BREACH, WARN, Day, Transition
from include.ingest.schema import ensure_schemas
from tests.mail_capture import MailServer

LATEST = Day(date(2021, 3, 31), 2_800_000_000_000, 267_303_000_000, 10.475, BREACH, -126_970_000_000, 9, 10, 15)


@pytest.fixture
def ops(conn, tmp_path, monkeypatch):
    ensure_schemas(conn)
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    return conn


def risk_message(to=("risk@example.org",)):
    change = Transition(WARN, BREACH, Day(date(2021, 3, 8), 2_637_000_000_000, 263_603_000_000, 10.0054, BREACH,
                                          -1_000_000_000, 9, 10, 15))
    chart = render_chart([change.day, LATEST], change.first_date)
    return mail.risk_alert(change, LATEST, chart, (date(2021, 2, 16), LATEST.as_of_date), list(to))


def test_risk_alert_is_text_plus_html_with_the_inline_chart():
    message = risk_message()
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, png = related.get_payload()
    assert html.get_content_type() == "text/html" and 'src="cid:multiple-chart"' in html.get_content()
    assert png["Content-ID"] == "<multiple-chart>" and png.get_content()[:4] == b"\x89PNG"
    text = plain.get_content()
    assert "보증운용배수 10배 초과 (BREACH)" in message["Subject"]
    assert "최초 도달일 / First date reached: 2021-03-08" in text
    assert "10.4750배" in text and "2,800,000백만원" in text and "267,303백만원" in text
    assert "보증잔액 126,970백만원 감축 필요" in text  # the mart's headroom_krw: 10 × 267,303 − 2,800,000
    assert "경고 / Warn: 9배 이상" in text and "법정한도 / Legal limit: 15배 초과" in text


def test_headroom_below_the_limit_is_what_can_still_be_guaranteed():
    day = Day(date(2021, 1, 1), 2_192_064_000_000, 274_103_000_000, 8.0, "OK", 548_966_000_000, 9, 10, 15)
    label, value = mail.headroom_line(day)
    assert label.startswith("추가 보증 여력") and value.startswith("548,966백만원 추가 보증 가능")


@pytest.mark.parametrize("krw,label", [(30_000_000, "3천만원"), (100_000_000, "1억원"), (50_000_000, "5천만원"),
                                       (25_000_000, "2,500만원"), (150_000_000, "1억5천만원"),
                                       (1_234_567, "1,234,567원")])
def test_thresholds_are_written_as_korean_reports_write_them(krw, label):
    assert mail.won_label(krw) == label


def test_an_alert_key_is_queued_once_and_sent_once(ops, monkeypatch):
    assert outbox.queue(ops, "multiple:BREACH:2021-03-08", "RISK", risk_message(), date(2021, 3, 8))
    assert not outbox.queue(ops, "multiple:BREACH:2021-03-08", "RISK", risk_message(), date(2021, 3, 8))
    ops.commit()
    assert [a.eml_file for a in outbox.stored(ops)] == ["multiple_BREACH_2021-03-08.eml"]
    assert "no smtp_default" in outbox.outbox_summary(ops)[0]

    server = MailServer().start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", server.connection_uri)
        report = outbox.deliver_pending(ops)
        again = outbox.deliver_pending(ops)
    finally:
        server.stop()
    assert report.sent == ["multiple_BREACH_2021-03-08.eml"] and again.sent == []
    [received] = server.received
    assert received.recipients == ["risk@example.org"] and received.sender == "cgf-warehouse@example.org"
    assert ops.execute("select status, attempts from ops.alerts").fetchall() == [("SENT", 1)]
    assert outbox.outbox_summary(ops)[0].startswith("alerts: none waiting")


def test_an_alert_queued_without_recipients_gets_those_configured_when_it_is_sent(ops, monkeypatch):
    outbox.queue(ops, "multiple:WARN:2021-01-28", "RISK", risk_message(to=()))
    ops.commit()
    server = MailServer().start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", server.connection_uri)
        waiting = outbox.deliver_pending(ops)
        monkeypatch.setenv("CGF_ALERT_TO", "late@example.org")
        sent = outbox.deliver_pending(ops)
    finally:
        server.stop()
    assert waiting.sent == [] and "CGF_ALERT_TO" in waiting.reason
    assert len(sent.sent) == 1 and server.received[0].recipients == ["late@example.org"]


def test_a_missing_delivery_alert_goes_to_the_operators_once(ops, db_url, monkeypatch):
    from include.alerts import streams

    server = MailServer().start()
    try:
        for name, value in {"CGF_WAREHOUSE_URL": db_url, "CGF_OPS_ALERT_TO": "operator@example.org",
                            "AIRFLOW_CONN_SMTP_DEFAULT": server.connection_uri}.items():
            monkeypatch.setenv(name, value)
        for _ in range(2):  # e.g. the failure callback of a cleared and re-run sensor
            streams.queue_task_failure("cgf_nightly", "wait_for_delivery", "scheduled__2021-04-01", 1, None,
                                      missing_delivery=date(2021, 3, 31), waited="6:00:00")
    finally:
        server.stop()
    [mail] = server.received
    assert mail.recipients == ["operator@example.org"]
    assert "적재분 미도착 (delivery missing): 20210331" in mail.subject
    assert "기다린 시간 / Waited: 6:00:00" in mail.part("text/plain")


def test_a_restated_earlier_day_is_looked_at_again_by_the_risk_alert(ops, db_url, monkeypatch):
    from include.alerts import streams

    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    ops.execute("create schema if not exists marts; create table marts.fct_operating_multiple_daily (as_of_date date, "
                "guarantee_balance_krw bigint, basic_assets_krw bigint, operating_multiple numeric, status text, "
                "headroom_krw bigint, warn_level numeric, policy_limit numeric, legal_limit numeric, status_ko text)")
    for day in range(1, 9):  # the OK after the BREACH is mailed once it has held 5 days (3-04 … 3-08)
        ops.execute("insert into marts.fct_operating_multiple_daily "
                    "values (%s, 800, 100, 8.0, 'OK', 200, 9, 10, 15, '정상')", (date(2021, 3, day),))
    ops.commit()
    assert streams.queue_multiple_alerts()["queued"] == []  # all OK

    # a re-sent 2021-03-03 puts that day above 10×
    ops.execute("update marts.fct_operating_multiple_daily set guarantee_balance_krw = 1050, "
                "operating_multiple = 10.5, status = 'BREACH', status_ko = null, headroom_krw = -50 "
                "where as_of_date = '2021-03-03'")
    ops.commit()
    assert streams.queue_multiple_alerts()["queued"] == []  # days already looked at: not without the restatement
    queued = streams.queue_multiple_alerts(restated_from=date(2021, 3, 3))["queued"]
    assert queued == ["multiple:BREACH:2021-03-03", "multiple:OK:2021-03-04"]
    assert streams.queue_multiple_alerts(restated_from=date(2021, 3, 3))["queued"] == []  # once only


def test_the_outbox_keeps_the_whole_message_and_exports_it_owner_readable(ops, tmp_path):
    original = risk_message()
    outbox.queue(ops, "multiple:BREACH:2021-03-08", "RISK", original, date(2021, 3, 8))
    ops.commit()
    [stored] = outbox.stored(ops)
    assert stored.message.as_bytes() == original.as_bytes()  # chart included

    [path] = outbox.export(ops, tmp_path / "exported")
    assert path.name == "multiple_BREACH_2021-03-08.eml" and path.read_bytes() == original.as_bytes()
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert not list((tmp_path / "home").rglob("*.eml"))  # no file on this machine's disk but the export


def test_one_warehouse_never_sends_the_alerts_of_another(ops, server_url, monkeypatch):
    import psycopg

    from tests.conftest import make_database

    outbox.queue(ops, "multiple:BREACH:2021-03-08", "RISK", risk_message(), date(2021, 3, 8))
    ops.commit()
    with psycopg.connect(make_database(server_url, "other_warehouse")) as other:
        ensure_schemas(other)
        server = MailServer().start()
        try:
            monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", server.connection_uri)
            report = outbox.deliver_pending(other)
        finally:
            server.stop()
    assert report.sent == [] and server.received == []
    assert ops.execute("select status from ops.alerts").fetchall() == [("PENDING",)]


def test_an_alert_of_an_unreachable_warehouse_is_sent_at_once_or_kept_privately(tmp_path, monkeypatch):
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    server = MailServer().start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", server.connection_uri)
        assert outbox.send_unrecorded("failed:x", "RISK", risk_message())
    finally:
        server.stop()
    assert len(server.received) == 1

    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", server.connection_uri)  # the server is down now
    assert not outbox.send_unrecorded("failed:y", "RISK", risk_message())
    [kept] = (tmp_path / "home" / "logs" / "unsent-alerts").glob("*.eml")
    assert kept.name == "failed_y.eml" and kept.stat().st_mode & 0o777 == 0o600
