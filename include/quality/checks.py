"""Quality checks after dbt build: the Great Expectations suites of expectations/, results in ops.

The checks cover the days of the run: from the day after the last data date validated to the
latest delivery loaded (a repeated run validates the latest day again). Every expectation's
result goes to ops.validation_results. A failed critical expectation means an operator alert
(the run still succeeds: the marts are published and the operators look at the cause); a
warning (e.g. a weekday without activity) is recorded only; the operating multiple above the
policy limit is a finding the risk alert reports (include.alerts.streams), not a quality failure.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import psycopg

from include.alerts import mail, outbox
from include.ingest.schema import ensure_schemas
from include.quality import gx_suites
from include.warehouse import db, settings

log = logging.getLogger(__name__)


def quality_window(conn: psycopg.Connection, restated_from: date | None = None) -> tuple[date, date] | None:
    """(first, last) delivery day to validate, or None when nothing is loaded.

    From the day after the last validated one, or from an earlier day the run restated (a
    re-sent delivery changes everything from its day on).
    """
    latest = conn.execute("select max(delivery_date) from ops.deliveries where status = 'LOADED'").fetchone()[0]
    if latest is None:
        return None
    validated = conn.execute("select max(data_date) from ops.validation_results").fetchone()[0]
    first = conn.execute("select min(delivery_date) from ops.deliveries where status = 'LOADED'").fetchone()[0]
    if validated is not None:
        first = min(validated + timedelta(days=1), latest)
    if restated_from is not None:
        first = min(first, restated_from)
    return first, latest


def suite_parameters(conn: psycopg.Connection) -> dict[str, int]:
    """Parameters of the suites, from reference data: e.g. daily_review_krw, pre_audit_krw (감사 20-6)."""
    if not db.relation_exists(conn, "reference.ref_audit_thresholds"):
        return {}
    rows = conn.execute("select lower(threshold_code) || '_krw', amount_krw from reference.ref_audit_thresholds")
    return {name: int(amount) for name, amount in rows}


def missing_relations(conn: psycopg.Connection, suite: gx_suites.SuiteFile) -> list[str]:
    return [r for r in suite.relations if not db.relation_exists(conn, r)]


def relation_missing_row(suite: gx_suites.SuiteFile, missing: list[str]) -> dict:
    return {"suite": suite.name, "expectation": "relation_exists", "column": None,
            "description": f"relation missing: {', '.join(missing)}", "severity": "critical", "success": False,
            "observed": {"missing": missing}, "kwargs": {"relations": list(suite.relations)}, "risk_finding": False}


def store_results(conn: psycopg.Connection, run_id: str, window: tuple[date, date], rows: list[dict]) -> None:
    with conn.cursor().copy(
            "copy ops.validation_results (run_id, data_date, window_from, suite, expectation, column_name, "
            "description, severity, success, observed_value, kwargs) from stdin") as copy:
        for r in rows:
            copy.write_row((run_id, window[1], window[0], r["suite"], r["expectation"], r["column"], r["description"],
                            r["severity"], r["success"], json.dumps(r["observed"], default=str, ensure_ascii=False),
                            json.dumps(r["kwargs"], default=str, ensure_ascii=False)))


def operator_failures(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not r["success"] and r["severity"] == "critical" and not r["risk_finding"]]


def queue_quality_alert(conn: psycopg.Connection, run_id: str, data_date: date, failures: list[dict]) -> bool:
    lines = [{**f, "observed": json.dumps(f["observed"], default=str, ensure_ascii=False)[:300]} for f in failures]
    message = mail.quality_alert(run_id, data_date, lines, str(gx_suites.docs_index()),
                                       settings.recipients("CGF_OPS_ALERT_TO"))
    # one mail per data day and set of failing suites: a repeated or retried run adds nothing
    failing = ",".join(sorted({f["suite"] for f in failures}))
    return outbox.queue(conn, f"quality:{data_date.isoformat()}:{failing}", "OPS", message, data_date)


def run_quality_checks(run_id: str | None = None, restated_from: date | None = None) -> dict:
    """Validate the days of the run; store the results; queue an operator alert on failures."""
    run_id = run_id or f"manual__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    url = db.warehouse_url()
    with db.connect(url) as conn:
        ensure_schemas(conn)
        window = quality_window(conn, restated_from)
        if window is None:
            return {"skipped": "nothing loaded yet"}
        suites = gx_suites.suite_files()
        missing = {s.name: missing_relations(conn, s) for s in suites}
        parameters = suite_parameters(conn)
    rows = [relation_missing_row(s, missing[s.name]) for s in suites if missing[s.name]]
    present = [s for s in suites if not missing[s.name]]
    if present:
        rows += gx_suites.validate(url, present, window, parameters, run_id)
    failures = operator_failures(rows)
    with db.connect(url) as conn:
        store_results(conn, run_id, window, rows)
        if failures:
            queue_quality_alert(conn, run_id, window[1], failures)
    for failure in failures:
        log.error("quality check failed: %s %s (%s): %s", failure["suite"], failure["expectation"],
                  failure["description"], failure["observed"])
    log.info("quality checks of %s … %s: %d expectations, %d failed, %d warnings; Data Docs: %s",
             window[0], window[1], len(rows), len(failures),
             sum(1 for r in rows if not r["success"] and r["severity"] == "warning"), gx_suites.docs_index())
    return {
        "window": [window[0].isoformat(), window[1].isoformat()],
        "expectations": len(rows),
        "failed": [f"{f['suite']}: {f['description'] or f['expectation']}" for f in failures],
        "warnings": [f"{r['suite']}: {r['description']}" for r in rows
                     if not r["success"] and r["severity"] == "warning"],
        "risk_findings": [f"{r['suite']}: {r['description']}" for r in rows if not r["success"] and r["risk_finding"]],
        "missing_relations": sorted({m for names in missing.values() for m in names}),
        "data_docs": str(gx_suites.docs_index()),
    }
