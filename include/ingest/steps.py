"""The steps of the nightly pipeline, as plain functions the DAG's tasks call."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from include.ingest.loader import LoadReport, complete_deliveries, is_complete, load_landing, mark_built
from include.warehouse import db, settings

log = logging.getLogger(__name__)


def expected_delivery_date(run_day: date) -> date:
    """A run at 02:00 on day X processes the delivery of day X−1."""
    return run_day - timedelta(days=1)


def delivery_arrived(day: date) -> bool:
    """True when the night can go ahead: the day's delivery is complete or already loaded — or
    complete deliveries the warehouse has never seen wait in the landing area (a fresh
    deployment, nights a scheduler missed): they are loaded at once, not after the night's wait."""
    folder = settings.landing_dir() / day.strftime("%Y%m%d")
    if is_complete(folder):
        return True
    complete = [d for d, _ in complete_deliveries(settings.landing_dir())]
    with db.connect() as conn:
        if not db.relation_exists(conn, "ops.deliveries"):
            return bool(complete)
        seen = {d for (d,) in conn.execute("select distinct delivery_date from ops.deliveries")}
        last_loaded = conn.execute(
            "select max(delivery_date) from ops.deliveries where status = 'LOADED'").fetchone()[0]
    if last_loaded is not None and last_loaded >= day:
        return True
    return any(d not in seen and (last_loaded is None or d > last_loaded) for d in complete)


def load_pending_deliveries() -> LoadReport:
    landing = settings.landing_dir()
    log.info("loading pending deliveries from %s", landing)
    with db.connect() as conn:
        report = load_landing(conn, landing)  # its log: rows/s and the time left (loader._ProgressLog)
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
