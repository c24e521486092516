"""An unreachable SMTP server: the alert stays PENDING in the outbox (ops.alerts) with its attempts
and the last error, and is sent exactly once when the server answers again. A real aiosmtpd
server and real sockets; ports below 32768."""
from __future__ import annotations

import socket
from datetime import date

import pytest

from include.alerts import mail, outbox
from include.ingest.schema import ensure_schemas
from tests.conftest import WORKER_INDEX
from tests.faults.catalogue import Case
from tests.mail_capture import MailServer

FAMILY = "smtp"
PORT = 23910 + 10 * WORKER_INDEX  # nothing listens here but what a case starts
OPS = "operator@example.org"


def smtp_uri(port: int) -> str:
    return (f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true"
            "&from_email=cgf-warehouse%40example.org&timeout=1&retry_limit=0")


def queued(conn) -> str:
    ensure_schemas(conn)
    outbox.queue(conn, "missing:2019-01-03", "OPS", mail.missing_delivery_alert(date(2019, 1, 3), "6 h", [OPS]))
    conn.commit()
    return "missing_2019-01-03.eml"


def alert_row(conn) -> tuple:
    return conn.execute("select status, attempts, last_error from ops.alerts").fetchone()


def _refused(conn, monkeypatch) -> None:
    name = queued(conn)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_uri(PORT))
    report = outbox.deliver_pending(conn)
    assert report.sent == [] and report.waiting == [name]
    assert report.reason.startswith("SMTP server unavailable: ")
    status, attempts, error = alert_row(conn)
    assert (status, attempts, error) == ("PENDING", 1, report.reason)


def _silent(conn, monkeypatch) -> None:
    """A server that accepts the connection and never greets: the hook's timeout (1 s) ends the wait."""
    name = queued(conn)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", PORT + 1))
        listener.listen(1)
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_uri(PORT + 1))
        report = outbox.deliver_pending(conn)
    assert report.sent == [] and report.waiting == [name] and "unavailable" in report.reason
    assert alert_row(conn)[:2] == ("PENDING", 1)


def _down_then_up(conn, monkeypatch) -> None:
    name = queued(conn)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_uri(PORT + 2))
    outbox.deliver_pending(conn)
    outbox.deliver_pending(conn)
    assert alert_row(conn)[:2] == ("PENDING", 2)
    server = MailServer(PORT + 2).start()
    try:
        sent = outbox.deliver_pending(conn)
        again = outbox.deliver_pending(conn)
    finally:
        server.stop()
    assert sent.sent == [name] and again.sent == [] and again.waiting == []
    [received] = server.received
    assert received.recipients == [OPS] and "20190103" in received.subject
    assert alert_row(conn) == ("SENT", 3, None)


def _no_connection(conn, monkeypatch) -> None:
    name = queued(conn)
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    report = outbox.deliver_pending(conn)
    assert report.waiting == [name]
    assert report.reason == "no smtp_default connection configured (AIRFLOW_CONN_SMTP_DEFAULT)"
    assert alert_row(conn) == ("PENDING", 0, None)


CASES = [
    Case("smtp_refused", FAMILY, "an alert to send, nothing listening on the SMTP port",
         "PENDING, attempts 1, last_error = the reason (SMTP server unavailable: …)", _refused),
    Case("smtp_silent", FAMILY, "the SMTP server accepts the connection and never answers",
         "the send times out after 1 s; PENDING, attempts 1", _silent),
    Case("smtp_down_then_up", FAMILY, "two sends while the server is down, then it starts",
         "PENDING with attempts 2, then sent once (one message received), SENT, last_error cleared; "
         "a later send sends nothing", _down_then_up),
    Case("smtp_not_configured", FAMILY, "no smtp_default connection at all",
         "PENDING, no attempt counted; the reason names AIRFLOW_CONN_SMTP_DEFAULT", _no_connection),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_smtp(case, conn, monkeypatch, tmp_path):
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    case.run(conn, monkeypatch)
