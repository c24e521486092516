"""The steps of the nightly pipeline, as plain functions the DAG's tasks call."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from include.ingest.contract import MANIFEST_FILE
from include.ingest.loader import LoadReport, load_landing, mark_built
from include.warehouse import db, settings

log = logging.getLogger(__name__)


def expected_delivery_date(run_day: date) -> date:
    """A run at 02:00 on day X processes the delivery of day X−1."""
    return run_day - timedelta(days=1)


def delivery_arrived(day: date) -> bool:
    """True when the day's delivery is complete in the landing area or already loaded."""
    folder = settings.landing_dir() / day.strftime("%Y%m%d")
    if (folder / MANIFEST_FILE).is_file():
        return True
    with db.connect() as conn:
        row = conn.execute(
            "select 1 from information_schema.tables where table_schema = 'ops' and table_name = 'deliveries'"
        ).fetchone()
        if not row:
            return False
        return conn.execute(
            "select exists (select 1 from ops.deliveries where delivery_date >= %s and status = 'LOADED')", (day,)
        ).fetchone()[0]


def print_progress(done: int, total: int, day: date, rows: int) -> None:
    if done == total or done % 25 == 0 or done <= 1:
        log.info("loaded delivery %s (%d of %d deliveries, %d rows)", day.strftime("%Y%m%d"), done, total, rows)


def load_pending_deliveries() -> LoadReport:
    landing = settings.landing_dir()
    log.info("loading pending deliveries from %s", landing)
    with db.connect() as conn:
        report = load_landing(conn, landing, progress=print_progress)
    log.info("loaded %d deliveries (%d rows); %d already loaded%s", len(report.loaded), report.rows,
             report.already_loaded,
             f"; waiting for {report.waiting_for:%Y%m%d}" if report.waiting_for else "")
    if report.rejected:
        log.error("%s", report.rejected)
    return report


def has_unbuilt_deliveries() -> bool:
    with db.connect() as conn:
        return conn.execute(
            "select exists (select 1 from ops.deliveries where status = 'LOADED' and dbt_built_at is null)"
        ).fetchone()[0]


def mark_deliveries_built(max_load_id: int | None) -> int:
    with db.connect() as conn:
        return mark_built(conn, max_load_id)
