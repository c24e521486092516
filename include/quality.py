"""Quality checks after dbt build (issue: GX suites and alerts build on this)."""
from __future__ import annotations

import logging

from include import warehouse

log = logging.getLogger(__name__)


def latest_operating_multiple() -> dict | None:
    with warehouse.connect() as conn:
        row = conn.execute(
            "select as_of_date, guarantee_balance_krw, basic_assets_krw, operating_multiple, status "
            "from marts.fct_operating_multiple_daily order by as_of_date desc limit 1"
        ).fetchone()
    if row is None:
        return None
    keys = ("as_of_date", "guarantee_balance_krw", "basic_assets_krw", "operating_multiple", "status")
    return dict(zip(keys, row))


def run_quality_checks() -> dict:
    latest = latest_operating_multiple()
    if latest:
        log.info("보증운용배수 on %s: %.4f (%s)", latest["as_of_date"], latest["operating_multiple"], latest["status"])
    return {"latest_multiple": latest}
