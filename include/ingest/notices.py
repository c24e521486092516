"""Files a delivery folder should not hold: reported, not loaded (not a rejection).

The extract contract: only the five files belong in a delivery folder; any other file is
reported to the operators and not loaded. They are recorded in ops.unexpected_files, once per
delivery version, and logged as a warning; the operators' e-mail is the alerts layer's to send
(the ingest layer does not import it).
"""
from __future__ import annotations

import logging
import os

import psycopg

from include.ingest.contract import cut
from include.ingest.validation import CheckedDelivery

log = logging.getLogger(__name__)


def shown_name(name: str) -> str:
    """A file name as stored and logged: any bytes (not UTF-8) escaped, line breaks visible, cut."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return cut(text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text)


def record_unexpected_files(conn: psycopg.Connection, checked: CheckedDelivery) -> list[str]:
    """Record (in the caller's transaction) and log the files not in the contract; YYYYMMDD/name of
    those new for this delivery version."""
    day = checked.delivery_date
    new = []
    for name in map(shown_name, checked.unexpected):
        if conn.execute("insert into ops.unexpected_files (delivery_date, manifest_sha256, name) "
                        "values (%s, %s, %s) on conflict do nothing returning name",
                        (day, checked.manifest_sha256, name)).fetchone():
            new.append(f"{day:%Y%m%d}/{name}")
    if new:
        log.warning("delivery %s holds %d file(s) not in the contract, not loaded: %s",
                    f"{day:%Y%m%d}", len(new), ", ".join(new))
    return new
