"""A real SMTP server in the test process (aiosmtpd) that keeps every message it receives."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_attachment():
                return part.get_content()
        raise AssertionError(f"no {content_type} part in {self.subject!r}")

    def images(self) -> list:
        return [p for p in self.message.walk() if p.get_content_maintype() == "image"]


class _Keeper:
    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailServer:
    """Start/stop an SMTP server on 127.0.0.1:port; `received` lists what arrived."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._keeper = _Keeper()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self._keeper.received

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def start(self) -> MailServer:
        self._controller = Controller(self._keeper, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def connection_uri(self) -> str:
        """AIRFLOW_CONN_SMTP_DEFAULT for this server: plain SMTP, no TLS."""
        return (f"smtp://127.0.0.1:{self.port}?disable_ssl=true&disable_tls=true"
                "&from_email=cgf-warehouse%40example.org&timeout=5&retry_limit=0")


def outbox_messages(db_url: str, name_prefix: str = "") -> list:
    """The messages of a warehouse's outbox (ops.alerts, waiting or sent) whose .eml name starts so."""
    import psycopg

    from include.alerts import outbox

    with psycopg.connect(db_url) as conn:
        return [a.message for a in outbox.stored(conn, pending_only=False) if a.eml_file.startswith(name_prefix)]
