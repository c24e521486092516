"""The alert outbox: every alert is an .eml file first, then (maybe) an e-mail.

queue() writes the message to outbox/<key>.eml and records it in ops.alerts — once per alert
key, so a retried or repeated run queues nothing again. deliver_pending() sends what waits in
the outbox through Airflow's SMTP provider (connection `smtp_default`) and moves each sent
file to outbox/sent/. Without a smtp_default connection, or while the server is down, the
files simply wait: the next run delivers them. Nothing is lost, and nothing is sent twice
(short of a crash between the server's acceptance and the move to sent/).
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


def sent_dir() -> Path:
    return settings.outbox_dir() / "sent"


def file_name(alert_key: str) -> str:
    """The outbox file of an alert key: the same key always names the same file."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", alert_key).strip("_") + ".eml"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def queue(conn: psycopg.Connection | None, alert_key: str, kind: str, message: EmailMessage,
          data_date: date | None = None) -> bool:
    """Write the alert to the outbox unless this key was queued before; True when new.

    With a connection, the ops.alerts record is inserted in the caller's transaction and the
    file written before it commits. Without one (the warehouse is unreachable: a failure
    alert must still get out) only the file is written.
    """
    message[KIND_HEADER] = kind
    name = file_name(alert_key)
    if conn is not None:
        inserted = conn.execute(
            "insert into ops.alerts (alert_key, kind, recipients, subject, data_date, eml_file) "
            "values (%s, %s, %s, %s, %s, %s) on conflict (alert_key) do nothing returning alert_id",
            (alert_key, kind, _addresses(message), str(message["Subject"]), data_date, name)).fetchone()
        if inserted is None:
            log.info("alert %s was queued before: not again", alert_key)
            return False
    elif (settings.outbox_dir() / name).exists() or (sent_dir() / name).exists():
        return False
    _write_atomically(settings.outbox_dir() / name, message.as_bytes())
    log.info("alert queued in the outbox: %s (%s)", name, message["Subject"])
    return True


def _addresses(message: EmailMessage) -> list[str]:
    return [a.strip() for a in str(message.get("To", "")).split(",") if a.strip()]


def pending_files() -> list[Path]:
    """The .eml files waiting in the outbox, oldest first (the order they were queued in)."""
    outbox = settings.outbox_dir()
    if not outbox.is_dir():
        return []
    return sorted(outbox.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))


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


def deliver_pending(conn: psycopg.Connection | None = None) -> DeliveryReport:
    """Send every .eml waiting in the outbox through smtp_default; record what went out."""
    report = DeliveryReport()
    files = pending_files()
    if not files:
        return report
    if not smtp_configured():
        report.waiting = [p.name for p in files]
        report.reason = f"no {SMTP_CONN_ID} connection configured (AIRFLOW_CONN_SMTP_DEFAULT)"
        log.info("%d alert(s) wait in %s: %s", len(files), settings.outbox_dir(), report.reason)
        return report
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    if conn is not None:
        conn.execute("select pg_advisory_lock(%s)", (DELIVERY_LOCK_ID,))
    try:
        with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
            for path in pending_files():  # again, under the lock: another sender may have sent some
                _deliver_one(hook, path, conn, report)
    except Exception as exc:  # server down or refusing: the rest waits for the next run
        report.reason = f"SMTP server unavailable: {exc}"
        report.waiting += [p.name for p in pending_files() if p.name not in report.waiting]
        log.warning("alerts wait in the outbox: %s", report.reason)
        _record_attempt(conn, report.waiting, report.reason)
    finally:
        if conn is not None:
            conn.execute("select pg_advisory_unlock(%s)", (DELIVERY_LOCK_ID,))
            conn.commit()
    return report


def _deliver_one(hook, path: Path, conn: psycopg.Connection | None, report: DeliveryReport) -> None:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    to = _recipients_for_sending(message)
    if not to:
        report.waiting.append(path.name)
        report.reason = f"no recipients: set {recipients.setting_of(str(message.get(KIND_HEADER))) or 'them'}"
        return
    sender = hook.from_email or str(message["From"])
    # the hook builds its own (HTML-only) MIME message; ours (text + HTML + inline chart) is
    # sent as is through the hook's authenticated client
    hook._smtp_client.send_message(message, from_addr=sender, to_addrs=to)
    _write_atomically(sent_dir() / path.name, message.as_bytes())
    path.unlink()
    report.sent.append(path.name)
    if conn is not None:
        with conn.transaction():
            conn.execute("update ops.alerts set status = 'SENT', sent_at = now(), recipients = %s, "
                         "attempts = attempts + 1, last_error = null where eml_file = %s", (to, path.name))
    log.info("alert sent to %s: %s", ", ".join(to), message["Subject"])


def _record_attempt(conn: psycopg.Connection | None, names: list[str], error: str) -> None:
    if conn is None or not names:
        return
    with conn.transaction():
        conn.execute("update ops.alerts set attempts = attempts + 1, last_error = %s "
                     "where eml_file = any(%s) and status = 'PENDING'", (error[:500], names))


def outbox_summary() -> list[str]:
    """Lines for the end of `make run`: the alerts waiting in the outbox, and where they are."""
    files = pending_files()
    sent = len(list(sent_dir().glob("*.eml"))) if sent_dir().is_dir() else 0
    if not files:
        return [f"alerts: none waiting in {settings.outbox_dir()} ({sent} sent)"]
    lines = [f"alerts: {len(files)} waiting in {settings.outbox_dir()} ({sent} sent)"
             + ("" if smtp_configured() else " — no smtp_default connection: open the .eml files")]
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        lines.append(f"  {path.name}: {message['Subject']}")
    return lines
