"""Rejected deliveries as the warehouse records them (ops.deliveries, ops.rejections).

The one place that answers which rejection blocks loading and what its first violations are;
the loader, the CLI summary and the operator alert all read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from include.ingest.validation import Violation

SHOWN_VIOLATIONS = 5


@dataclass(frozen=True)
class Rejection:
    """A rejected delivery version: its load id, day, manifest digest and violation count."""
    load_id: int
    delivery_date: date
    manifest_sha256: str
    violation_count: int
    message: str

    @property
    def alert_key(self) -> str:
        """Names this delivery version: a re-sent, again rejected version is a new alert."""
        return f"rejected:{self.delivery_date.isoformat()}:{self.manifest_sha256[:16]}"


# the cut-over: the first delivery the warehouse loaded (its day stays the cut-over when re-sent)
_CUTOVER_SQL = "select min(delivery_date) from ops.deliveries where status in ('LOADED', 'SUPERSEDED')"
_REJECTION_COLUMNS = "d.load_id, d.delivery_date, d.manifest_sha256, d.violation_count, d.message"


def cutover_day(conn: psycopg.Connection) -> date | None:
    """The day of the warehouse's cut-over delivery; None while nothing is loaded."""
    return conn.execute(_CUTOVER_SQL).fetchone()[0]


def blocking_rejection(conn: psycopg.Connection) -> Rejection | None:
    """The rejected delivery version that later deliveries wait for (none once it is re-sent).

    A delivery dated before the cut-over is rejected for good and blocks nothing.
    """
    row = conn.execute(
        f"select {_REJECTION_COLUMNS} from ops.deliveries d where d.status = 'REJECTED' and not exists ("
        "select 1 from ops.deliveries l where l.delivery_date = d.delivery_date and l.status = 'LOADED' "
        f"and l.load_id > d.load_id) and d.delivery_date >= coalesce(({_CUTOVER_SQL}), d.delivery_date) "
        "order by d.delivery_date, d.load_id desc limit 1").fetchone()
    return Rejection(*row) if row else None


def stored_rejection(conn: psycopg.Connection, day: date, manifest_sha256: str) -> Rejection | None:
    """The recorded rejection of one delivery version (the same files rejected before)."""
    row = conn.execute(
        f"select {_REJECTION_COLUMNS} from ops.deliveries d where d.delivery_date = %s "
        "and d.manifest_sha256 = %s and d.status = 'REJECTED' order by d.load_id desc limit 1",
        (day, manifest_sha256)).fetchone()
    return Rejection(*row) if row else None


def first_violations(conn: psycopg.Connection, rejection: Rejection,
                     limit: int = SHOWN_VIOLATIONS) -> list[Violation]:
    """The first recorded violations; a Violation masks its value again (rows of earlier releases)."""
    rows = conn.execute(
        "select file_name, line_no, column_name, value, reason from ops.rejections where load_id = %s "
        "order by rejection_id limit %s", (rejection.load_id, limit)).fetchall()
    return [Violation(*row) for row in rows]
