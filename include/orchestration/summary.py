"""What the warehouse holds, in a few lines: the end of `cgf run` and all of `cgf summary`.

Loads, the latest 보증운용배수, a rejected or waiting delivery, the latest quality checks and their
Data Docs, the reconciliation with the published report, the alerts, and how to connect and stop.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import psycopg

from include.ingest.loader import waiting_deliveries
from include.ingest.rejections import blocking_rejection
from include.warehouse import db, embedded, settings

ALERT_LINES = 5  # waiting alerts listed one by one; the rest counted
FAILED_SHOWN = 3  # failed expectations named


@dataclass
class Summary:
    lines: list[str] = field(default_factory=list)
    rejected: bool = False


def warehouse_summary(url: str) -> Summary:
    summary = Summary()
    with db.connect(url) as conn:
        summary.lines += _loads(conn)
        rejected = blocking_rejection(conn)
        summary.rejected = rejected is not None
        summary.lines += _problems(conn, rejected)
        summary.lines += _quality(conn) + _reconciliation(conn) + _alerts(conn)
    return summary


def _loads(conn: psycopg.Connection) -> list[str]:
    loaded, rows = conn.execute(
        "select count(*), coalesce(sum(total_rows), 0) from ops.deliveries where status = 'LOADED'").fetchone()
    lines = [f"deliveries loaded: {loaded}, rows in raw: {rows}"]
    if db.relation_exists(conn, "marts.fct_operating_multiple_daily"):
        latest = conn.execute("select as_of_date, operating_multiple, status from marts.fct_operating_multiple_daily "
                              "order by as_of_date desc limit 1").fetchone()
        if latest:
            lines.append(f"latest 보증운용배수 (operating multiple) {latest[0]}: {float(latest[1]):.4f} ({latest[2]})")
    return lines


def _problems(conn: psycopg.Connection, rejected) -> list[str]:
    lines = []
    if rejected:
        day = rejected.delivery_date
        lines += [f"REJECTED delivery {day:%Y%m%d}: {rejected.violation_count} violation(s): {rejected.message}",
                  f"  full list: select * from ops.rejections where delivery_date = '{day}'"]
    waiting = waiting_deliveries(conn, settings.landing_dir())
    if waiting:
        lines.append(f"{len(waiting)} complete deliveries wait ({waiting[0]:%Y%m%d} … {waiting[-1]:%Y%m%d}): "
                     "behind the rejected one, or behind a day whose delivery is not complete (no manifest.csv)")
    return lines


def _quality(conn: psycopg.Connection) -> list[str]:
    """The latest quality checks (Great Expectations): passed, failed, the Data Docs."""
    from include.quality.gx_suites import docs_index

    row = conn.execute(
        "select run_id, max(data_date), count(*), count(*) filter (where success), "
        "count(*) filter (where not success and severity = 'critical') from ops.validation_results "
        "where run_id = (select run_id from ops.validation_results order by result_id desc limit 1) "
        "group by run_id").fetchone()
    if row is None:
        return ["quality checks: none recorded yet"]
    run_id, data_date, total, passed, critical = row
    line = f"quality checks (Great Expectations, data through {data_date}): {passed} of {total} expectations passed"
    if passed < total:
        failed = [name for (name,) in conn.execute(
            "select distinct suite || '.' || expectation from ops.validation_results "
            "where run_id = %s and not success order by 1", (run_id,))]
        shown = ", ".join(failed[:FAILED_SHOWN]) + (", …" if len(failed) > FAILED_SHOWN else "")
        line += f"; {total - passed} failed ({critical} critical): {shown}"
    docs = docs_index()
    lines = [line, f"  Data Docs: {docs}" if docs.exists() else "  Data Docs: not built yet"]
    if passed < total:
        lines.append(f"  details: select * from ops.validation_results where run_id = '{run_id}' and not success")
    return lines


def _reconciliation(conn: psycopg.Connection) -> list[str]:
    """보고서 대사: the published figures the warehouse reproduces (MATCH), differs from (DIFF), or cannot cover."""
    if not db.relation_exists(conn, "marts.rpt_reconciliation"):
        return ["reconciliation (보고서 대사): marts.rpt_reconciliation not built yet"]
    counts = dict(conn.execute("select status, count(*) from marts.rpt_reconciliation group by status").fetchall())
    shown = ", ".join(f"{counts.get(status, 0)} {status}" for status in ("MATCH", "DIFF", "NOT_COVERED"))
    verdict = "differences: select * from marts.rpt_reconciliation where status = 'DIFF'" if counts.get("DIFF") \
        else "every figure the data covers matches"
    return [f"reconciliation with the published report (보고서 대사): {shown} — {verdict}"]


def _alerts(conn: psycopg.Connection) -> list[str]:
    from include.alerts import outbox

    lines = outbox.outbox_summary(conn)
    if len(lines) > ALERT_LINES + 1:
        lines = lines[:ALERT_LINES + 1] + [f"  … and {len(lines) - ALERT_LINES - 1} more (`cgf outbox export DIR`)"]
    return lines


def how_to_connect_and_stop(url: str, is_embedded: bool) -> list[str]:
    """The closing lines: how to reach the warehouse, and how to stop the embedded server.

    Never a password: the embedded superuser's is named by its file (psql reads it from PGPASSFILE).
    """
    if not is_embedded:
        return [f"connect: psql {db.shown_url(url)}  (CGF_WAREHOUSE_URL: a server of yours, nothing to stop)"]
    env = " ".join(f"{name}={os.environ[name]}" for name in ("CGF_HOME", "CGF_PGDATA", "CGF_PG_PORT")
                   if os.environ.get(name))
    password_file = embedded.pgpass_file(settings.embedded_pgdata(), embedded.EMBEDDED_USER)
    return [f"password: export PGPASSFILE={password_file}  (analysts: make analyst-login)",
            f"connect: psql {db.login_url(url, embedded.EMBEDDED_USER)}  "
            "(the embedded PostgreSQL keeps running for your queries)",
            f"stop it: {env + ' ' if env else ''}make stop"]
