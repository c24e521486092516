"""The alert outbox, in the warehouse: every alert is a row of ops.alerts first, then (maybe) an e-mail.

queue() stores the whole message (text, HTML and the inline chart, as MIME bytes) in
ops.alerts — once per alert key, so a retried or repeated run queues nothing again.
deliver_pending() sends what is PENDING there through Airflow's SMTP provider (connection
`smtp_default`) and marks it SENT. The outbox belongs to the warehouse, not to a machine: any
worker can queue or send, and one warehouse's alerts are never sent through another's
connection. Without a smtp_default connection, or while the server is down, the alerts simply
wait: the next run delivers them. `cgf outbox export DIR` writes them as .eml files.

Only when the warehouse itself cannot be reached (a failure alert must still get out) is an
alert sent at once without a record; if that fails too, it is written, owner-readable only,
to <CGF_HOME>/logs/unsent-alerts/ and the log says so.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import psycopg

from include.alerts import recipients
from include.warehouse import settings

log = logging.getLogger(__name__)

SMTP_CONN_ID = "smtp_default"
DELIVERY_LOCK_ID = 7_700_002  # advisory lock: one sender at a time (a failure callback and send_alerts)
KIND_HEADER = "X-CGF-Alert-Kind"  # RISK, OPS, AUDIT-I, AUDIT-II: whom to address when To is empty


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    reason: str | None = None  # why the waiting ones wait

    def as_dict(self) -> dict:
        return {"sent": self.sent, "waiting": self.waiting, "reason": self.reason}


@dataclass
class StoredAlert:
    alert_id: int
    eml_file: str  # the name it is exported under: the same key always names the same file
    status: str
    message: EmailMessage


def file_name(alert_key: str) -> str:
    """The .eml name of an alert key (exports, reports): the same key always names the same file."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", alert_key).strip("_") + ".eml"


def write_private(path: Path, data: bytes) -> None:
    """Writes a file only its owner can read (an alert may name customers), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def queue(conn: psycopg.Connection, alert_key: str, kind: str, message: EmailMessage,
          data_date: date | None = None) -> bool:
    """Store the alert in ops.alerts unless this key was queued before; True when new.

    The row is inserted in the caller's transaction: it is queued when the caller commits.
    """
    message[KIND_HEADER] = kind
    inserted = conn.execute(
        "insert into ops.alerts (alert_key, kind, recipients, subject, data_date, eml_file, message) "
        "values (%s, %s, %s, %s, %s, %s, %s) on conflict (alert_key) do nothing returning alert_id",
        (alert_key, kind, _addresses(message), str(message["Subject"]), data_date, file_name(alert_key),
         message.as_bytes())).fetchone()
    if inserted is None:
        log.info("alert %s was queued before: not again", alert_key)
        return False
    log.info("alert queued in the outbox (ops.alerts): %s (%s)", alert_key, message["Subject"])
    return True


def send_unrecorded(alert_key: str, kind: str, message: EmailMessage) -> bool:
    """The warehouse is unreachable: send at once, else keep the message in the logs folder."""
    message[KIND_HEADER] = kind
    if smtp_configured():
        try:
            from airflow.providers.smtp.hooks.smtp import SmtpHook

            with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
                to = _recipients_for_sending(message)
                if to:
                    hook._smtp_client.send_message(message, from_addr=hook.from_email or str(message["From"]),
                                                   to_addrs=to)
                    log.warning("warehouse unreachable: alert %s sent without a record", alert_key)
                    return True
        except Exception as exc:  # whatever the SMTP failure, the file below keeps the alert
            log.warning("warehouse and SMTP server both unreachable (%s)", exc)
    kept = settings.log_dir() / "unsent-alerts" / file_name(alert_key)
    write_private(kept, message.as_bytes())
    log.error("warehouse unreachable and the alert could not be sent: kept in %s (%s)", kept, message["Subject"])
    return False


def _addresses(message: EmailMessage) -> list[str]:
    return [a.strip() for a in str(message.get("To", "")).split(",") if a.strip()]


def stored(conn: psycopg.Connection, pending_only: bool = True) -> list[StoredAlert]:
    """The alerts of the outbox (PENDING ones, or all), in the order they were queued."""
    rows = conn.execute(
        "select alert_id, eml_file, status, message from ops.alerts where message is not null "
        + ("and status = 'PENDING' " if pending_only else "") + "order by alert_id").fetchall()
    return [StoredAlert(alert_id, name, status, message_from_bytes(bytes(raw), policy=policy.default))
            for alert_id, name, status, raw in rows]


def export(conn: psycopg.Connection, directory: Path, pending_only: bool = True) -> list[Path]:
    """Writes the outbox's alerts as .eml files (owner-readable only); returns their paths."""
    written = []
    for alert in stored(conn, pending_only):
        path = directory / (alert.eml_file if alert.status == "PENDING" else f"sent/{alert.eml_file}")
        write_private(path, alert.message.as_bytes())
        written.append(path)
    return written


def smtp_configured() -> bool:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    try:
        SmtpHook.get_connection(SMTP_CONN_ID)
    except Exception:  # not found (or no way to look it up): the outbox keeps the alerts
        return False
    return True


def _recipients_for_sending(message: EmailMessage) -> list[str]:
    """The recipients; an alert queued before any were configured gets today's."""
    to = _addresses(message)
    if not to:
        to = recipients.recipients_of(str(message.get(KIND_HEADER)))
        if to:
            message["To"] = ", ".join(to)
    return to


def deliver_pending(conn: psycopg.Connection) -> DeliveryReport:
    """Send every PENDING alert of this warehouse through smtp_default; record what went out."""
    report = DeliveryReport()
    conn.commit()
    if not stored(conn):
        return report
    if not smtp_configured():
        report.waiting = [a.eml_file for a in stored(conn)]
        report.reason = f"no {SMTP_CONN_ID} connection configured (AIRFLOW_CONN_SMTP_DEFAULT)"
        log.info("%d alert(s) wait in the outbox (ops.alerts): %s", len(report.waiting), report.reason)
        return report
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    conn.execute("select pg_advisory_lock(%s)", (DELIVERY_LOCK_ID,))
    try:
        with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
            for alert in stored(conn):  # read again, under the lock: another sender may have sent some
                _deliver_one(hook, alert, conn, report)
    except Exception as exc:  # server down or refusing: the rest waits for the next run
        report.reason = f"SMTP server unavailable: {exc}"
        report.waiting += [a.eml_file for a in stored(conn) if a.eml_file not in report.waiting]
        log.warning("alerts wait in the outbox: %s", report.reason)
        _record_attempt(conn, report.reason)
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (DELIVERY_LOCK_ID,))
        conn.commit()
    return report


def _deliver_one(hook, alert: StoredAlert, conn: psycopg.Connection, report: DeliveryReport) -> None:
    message = alert.message
    to = _recipients_for_sending(message)
    if not to:
        report.waiting.append(alert.eml_file)
        report.reason = f"no recipients: set {recipients.setting_of(str(message.get(KIND_HEADER))) or 'them'}"
        return
    sender = hook.from_email or str(message["From"])
    # the hook builds its own (HTML-only) MIME message; ours (text + HTML + inline chart) is
    # sent as is through the hook's authenticated client
    hook._smtp_client.send_message(message, from_addr=sender, to_addrs=to)
    report.sent.append(alert.eml_file)
    with conn.transaction():
        conn.execute("update ops.alerts set status = 'SENT', sent_at = now(), recipients = %s, message = %s, "
                     "attempts = attempts + 1, last_error = null where alert_id = %s",
                     (to, message.as_bytes(), alert.alert_id))
    log.info("alert sent to %s: %s", ", ".join(to), message["Subject"])


def _record_attempt(conn: psycopg.Connection, error: str) -> None:
    with conn.transaction():
        conn.execute("update ops.alerts set attempts = attempts + 1, last_error = %s "
                     "where status = 'PENDING' and message is not null", (error[:500],))


def outbox_summary(conn: psycopg.Connection) -> list[str]:
    """Lines for the end of `make run`: the alerts waiting in the outbox."""
    waiting = stored(conn)
    sent = conn.execute("select count(*) from ops.alerts where status = 'SENT'").fetchone()[0]
    if not waiting:
        return [f"alerts: none waiting in the outbox (ops.alerts; {sent} sent)"]
    lines = [f"alerts: {len(waiting)} waiting in the outbox (ops.alerts; {sent} sent)"
             + ("" if smtp_configured() else " — no smtp_default connection: `cgf outbox export DIR` "
                                             "writes them as .eml files")]
    lines += [f"  {alert.eml_file}: {alert.message['Subject']}" for alert in waiting]
    return lines
