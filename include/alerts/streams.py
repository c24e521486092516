"""The alerts of the nightly run: what to tell whom, once.

- Risk (보증운용배수): one e-mail per change of state (OK → WARN → PROJECTED → BREACH → LEGAL, and back)
  over the days loaded since the last notified day: the mart's status, PROJECTED from the forecast
  marts, and steps down only after K days (the rules: include.alerts.multiple_states).
- Audit follow-up 20-6: per data day and audit group, the guarantees over the review threshold
  (reference.ref_audit_thresholds), to the recipients of the group (include.alerts.recipients).
- Operators (CGF_OPS_ALERT_TO): a failed task, a rejected delivery, a delivery missing past
  the sensor's timeout (queue_task_failure, called by include.alerts.notifier), a failed quality
  suite (include.quality.checks) and files in a delivery that the contract does not name
  (ops.unexpected_files: queued by deliver(), which runs whatever happened before).

What was reported is kept in ops.alert_state (per stream: state and last day covered) and
ops.alerts (per alert key), so a retried or repeated run queues nothing again. Everything goes
through the outbox (include.alerts.outbox); deliver() sends what waits there.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta

import psycopg

from include.alerts import mail, outbox, recipients
from include.alerts.multiple_states import (
    MART_COLUMNS,
    OK,
    PROJECTED,
    Day,
    Rules,
    configured_rules,
    final_state,
    observed_state,
    transitions,
)
from include.ingest.rejections import blocking_rejection, first_violations
from include.ingest.schema import ensure_schemas
from include.warehouse import db

log = logging.getLogger(__name__)

MULTIPLE_STREAM = "operating_multiple"
AUDIT_STREAM = "audit_large_guarantees"
MULTIPLE_MART = "marts.fct_operating_multiple_daily"
AUDIT_MART = "marts.fct_audit_large_guarantees_daily"
FORECAST_MART = "marts.fct_operating_multiple_forecast"
OUTLOOK_MART = "marts.rpt_operating_multiple_outlook"
BASELINE = "BASELINE"  # the scenario PROJECTED is judged by (reference.ref_forecast_scenarios)
FORECAST_DAYS_SHOWN = 183  # the chart's forecast band: the next half year
REPLAY_DAYS = 120  # a restatement: the hysteresis replayed from this far back
DAYS_WHERE = ("where d.as_of_date > coalesce(%s, '-infinity'::date) "
              "and d.as_of_date >= coalesce(%s, '-infinity'::date)")
PLAIN_DAYS = (f"select {{columns}}, null::date, null::date, null::bigint, null::date from {MULTIPLE_MART} as d "
              f"{DAYS_WHERE} order by d.as_of_date")
# each day with the forecast of the latest as-of date on or before it (BASELINE): the first day after
# it with the central multiple above the policy limit, and the outlook's basic assets to add by the year-end
PROJECTED_DAYS = f"""
with days as (
    select {{columns}}, (select max(o.as_of_date) from {OUTLOOK_MART} as o
                       where o.scenario_code = '{BASELINE}' and o.as_of_date <= d.as_of_date) as projection_as_of
    from {MULTIPLE_MART} as d {DAYS_WHERE}
), above as (
    select d.as_of_date, min(f.forecast_date) as projected_date
    from days as d join {FORECAST_MART} as f
      on f.as_of_date = d.projection_as_of and f.scenario_code = '{BASELINE}'
     and f.forecast_date > d.as_of_date and f.operating_multiple > f.policy_limit
    group by d.as_of_date
)
select d.*, a.projected_date, o.assets_needed_policy_krw, o.year_end_date
from days as d
left join above as a on a.as_of_date = d.as_of_date
left join {OUTLOOK_MART} as o on o.as_of_date = d.projection_as_of and o.scenario_code = '{BASELINE}'
order by d.as_of_date"""
# what an audit e-mail row carries: the mart's columns but customer_key (names beside codes: the mart's)
AUDIT_SELECT = (
    "select a.as_of_date, a.audit_group, a.audit_group_name_ko, a.audit_group_name_en, a.reviewer_ko, "
    "a.reviewer_en, a.review_threshold_krw, a.pre_audit_threshold_krw, a.pre_audit_required, a.event_id, "
    "a.event_type, a.event_type_ko, a.guarantee_id, a.amount_krw, a.handling_branch_code, a.handling_branch_name, "
    "a.owning_branch_code, a.owning_branch_name, a.program_code, a.program_name, a.bank_code, a.bank_name "
    f"from {AUDIT_MART} as a"
)
AUDIT_FIRST_RUN_DAYS = 7  # a first run over years of history mails the last week, not every day since 2019


def _lock_stream(conn: psycopg.Connection, stream: str) -> tuple[str, date | None, date | None]:
    """(status, status_since, through_date) of a stream, locked for this transaction."""
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (stream,))
    row = conn.execute("select status, status_since, through_date from ops.alert_state where stream = %s",
                       (stream,)).fetchone()
    return row or (OK, None, None)


def _save_stream(conn: psycopg.Connection, stream: str, status: str, since: date | None, through: date) -> None:
    conn.execute(
        "insert into ops.alert_state (stream, status, status_since, through_date) values (%s, %s, %s, %s) "
        "on conflict (stream) do update set status = excluded.status, status_since = excluded.status_since, "
        "through_date = excluded.through_date, updated_at = now()", (stream, status, since, through))


# --- risk: the operating multiple -------------------------------------------------------------

def _multiple_days(conn: psycopg.Connection, after: date | None, since: date | None = None) -> list[Day]:
    """The mart's days in (after, …] from `since` on, each with the projection of its forecast (Day)."""
    projected = _has_forecast(conn)
    rows = conn.execute(
        (PROJECTED_DAYS if projected else PLAIN_DAYS).format(columns=", ".join(f"d.{c}" for c in MART_COLUMNS)),
        (after, since)).fetchall()
    return [Day(*row) for row in rows]


def _has_forecast(conn: psycopg.Connection) -> bool:
    return db.relation_exists(conn, FORECAST_MART) and db.relation_exists(conn, OUTLOOK_MART)


def _forecast(conn: psycopg.Connection, as_of: date | None) -> list:
    """The BASELINE forecast made on `as_of` (the chart's band), FORECAST_DAYS_SHOWN days of it."""
    from include.alerts.chart import ForecastDay

    if as_of is None or not _has_forecast(conn):
        return []
    rows = conn.execute(
        "select forecast_date, operating_multiple, operating_multiple_p10, operating_multiple_p90 "
        f"from {FORECAST_MART} where as_of_date = %s and scenario_code = %s and horizon_day <= %s "
        "order by forecast_date",
        (as_of, BASELINE, FORECAST_DAYS_SHOWN)).fetchall()
    return [ForecastDay(*row) for row in rows]


def _status_labels(conn: psycopg.Connection) -> dict[str, str]:
    """The mart's Korean label of each status it holds (status_ko, from reference data)."""
    return dict(conn.execute(f"select distinct status, status_ko from {MULTIPLE_MART} "
                             "where status is not null and status_ko is not null").fetchall())


def _state_before(conn: psycopg.Connection, day: date, rules: Rules) -> str:
    """The reported state on the day before `day`: the rules replayed over the REPLAY_DAYS before it."""
    before = _multiple_days(conn, after=None, since=day - timedelta(days=REPLAY_DAYS))
    before = [d for d in before if d.as_of_date < day and observed_state(d, rules)]
    return final_state(before, observed_state(before[0], rules), rules) if before else OK


def _lead_in(conn: psycopg.Connection, through: date | None, rules: Rules) -> list[Day]:
    """The K − 1 days up to `through`: a step down under way when the last run ended."""
    if through is None:
        return []
    days = _multiple_days(conn, after=through - timedelta(days=rules.deescalate_after_days))
    earlier = [d for d in days if d.as_of_date <= through]
    return earlier[max(0, len(earlier) - rules.deescalate_after_days + 1):]


def queue_multiple_alerts(restated_from: date | None = None) -> dict:
    """Queue one risk alert per change of state over the days after the last notified day.

    When the run restated an earlier day (a re-sent delivery), the days from it on are looked at
    again from the state the day before: a change the correction reveals is mailed, and the ones
    already mailed are not (the alert key names the state and its first date).
    """
    with db.connect() as conn:
        ensure_schemas(conn)
        if not db.relation_exists(conn, MULTIPLE_MART):
            log.error("%s is missing: no risk alert possible", MULTIPLE_MART)
            return {"skipped": f"relation missing: {MULTIPLE_MART}"}
        with conn.transaction():
            stored_status, stored_since, through = _lock_stream(conn, MULTIPLE_STREAM)
            status, since, rules = stored_status, stored_since, configured_rules()
            if restated_from is not None and through is not None and restated_from <= through:
                status, through = _state_before(conn, restated_from, rules), restated_from - timedelta(days=1)
            days = _multiple_days(conn, after=through)
            if not days:
                return {"status": status, "new_days": 0, "queued": []}
            changes = transitions(days, status, rules, _lead_in(conn, through, rules))
            history = _multiple_days(conn, None, since=days[-1].as_of_date - timedelta(days=366))
            labels = _status_labels(conn) if changes else {}
            queued = [_queue_risk_alert(conn, change, days, history, labels) for change in changes]
            if changes:
                status, since = changes[-1].status, changes[-1].first_date
            elif status != stored_status:
                since = None  # a correction undid the last change: its date no longer holds
            _save_stream(conn, MULTIPLE_STREAM, status, since, days[-1].as_of_date)
    log.info("operating multiple %s since %s (%d new days); %d alert(s) queued", status, since, len(days), len(queued))
    return {"status": status, "since": since.isoformat() if since else None, "new_days": len(days),
            "queued": [q for q in queued if q]}


def _queue_risk_alert(conn, change, days: list[Day], history: list[Day], labels: dict[str, str]) -> str | None:
    from include.alerts.chart import (  # matplotlib: only when needed
        last_twelve_months,
        render_chart,
    )

    as_of = (change.day if change.status == PROJECTED else days[-1]).projection_as_of
    chart = render_chart(last_twelve_months(history), change.first_date, _forecast(conn, as_of))
    message = mail.risk_alert(change, days[-1], chart, (days[0].as_of_date, days[-1].as_of_date),
                              recipients.recipients_of(recipients.RISK), labels)
    key = f"multiple:{change.status}:{change.first_date.isoformat()}"
    return key if outbox.queue(conn, key, recipients.RISK, message, change.first_date) else None


# --- audit follow-up 20-6 --------------------------------------------------------------------

def _latest_loaded_day(conn: psycopg.Connection) -> date | None:
    return conn.execute("select max(delivery_date) from ops.deliveries where status = 'LOADED'").fetchone()[0]


def _audit_rows(conn: psycopg.Connection, after: date, through: date) -> dict[tuple[date, str], list[dict]]:
    cursor = conn.cursor(row_factory=psycopg.rows.dict_row)
    rows = cursor.execute(
        f"{AUDIT_SELECT} where a.as_of_date > %s and a.as_of_date <= %s "
        "order by a.as_of_date, a.audit_group, a.amount_krw desc, a.event_id", (after, through)).fetchall()
    grouped = defaultdict(list)
    for row in rows:
        if recipients.setting_of(recipients.audit_kind(row["audit_group"] or "")):
            grouped[(row["as_of_date"], row["audit_group"])].append(row)
        else:
            log.warning("guarantee event %s has no audit group: not mailed", row["event_id"])
    return grouped


def queue_audit_alerts() -> dict:
    """Queue one e-mail per audit group and data day with guarantees over the review threshold."""
    with db.connect() as conn:
        ensure_schemas(conn)
        if not db.relation_exists(conn, AUDIT_MART):
            log.warning("%s is missing: the audit 20-6 e-mails wait until dbt builds it", AUDIT_MART)
            return {"skipped": f"relation missing: {AUDIT_MART}"}
        with conn.transaction():
            _, _, through = _lock_stream(conn, AUDIT_STREAM)
            latest = _latest_loaded_day(conn)
            if latest is None or (through is not None and through >= latest):
                return {"queued": []}
            after = through or latest - timedelta(days=AUDIT_FIRST_RUN_DAYS)
            queued = []
            for (day, group), rows in sorted(_audit_rows(conn, after, latest).items()):
                kind = recipients.audit_kind(group)
                message = mail.audit_alert(day, rows, recipients.recipients_of(kind))
                key = f"audit:{group}:{day.isoformat()}"
                if outbox.queue(conn, key, kind, message, day):
                    queued.append(key)
            _save_stream(conn, AUDIT_STREAM, OK, None, latest)
    log.info("audit 20-6: %d e-mail(s) queued for the days after %s through %s", len(queued), after, latest)
    return {"queued": queued}


# --- operators: failed tasks -----------------------------------------------------------------

def queue_task_failure(dag_id: str, task_id: str, run_id: str, try_number: int, error: BaseException | None,
                       log_url: str | None = None, missing_delivery: date | None = None,
                       waited: str = "") -> bool:
    """Queue (and try to send at once: later tasks will not run) the operator alert of a failed task.

    A failed load with a rejected delivery is reported as that rejection (once per delivery
    version); a sensor timeout as the missing delivery; anything else as the failed task.
    """
    to = recipients.recipients_of(recipients.OPS)
    try:
        conn = db.connect(connect_timeout=10)
    except Exception as exc:  # the warehouse itself may be what failed: the alert is sent without a record
        log.warning("warehouse unreachable (%s): the alert is sent without a record", exc)
        conn = None
    try:
        if conn is not None:
            ensure_schemas(conn)
        rejection = blocking_rejection(conn) if conn is not None and task_id == "check_deliveries" else None
        if rejection:
            key, message = rejection.alert_key, mail.rejection_alert(rejection, first_violations(conn, rejection), to)
        elif missing_delivery is not None:
            key = f"missing:{missing_delivery.isoformat()}"
            message = mail.missing_delivery_alert(missing_delivery, waited, to)
        else:
            key = f"failed:{dag_id}:{run_id}:{task_id}:{try_number}"
            message = mail.task_failure_alert(dag_id, task_id, run_id, try_number,
                                              f"{type(error).__name__}: {error}", log_url, to)
        if conn is None:
            return outbox.send_unrecorded(key, recipients.OPS, message)
        queued = outbox.queue(conn, key, recipients.OPS, message)
        conn.commit()
        outbox.deliver_pending(conn)
        return queued
    finally:
        if conn is not None:
            conn.close()


# --- operators: files not in the contract ---------------------------------------------------

UNEXPECTED_PENDING = """
select u.delivery_date, u.manifest_sha256, array_agg(u.name order by u.name)
from ops.unexpected_files as u
where not exists (select 1 from ops.alerts as a
                  where a.alert_key = 'unexpected:' || u.delivery_date || ':' || left(u.manifest_sha256, 16))
group by u.delivery_date, u.manifest_sha256
order by u.delivery_date"""


def queue_unexpected_files(conn: psycopg.Connection) -> list[str]:
    """One operator e-mail per delivery version holding files the contract does not name."""
    queued = []
    with conn.transaction():
        for day, sha, names in conn.execute(UNEXPECTED_PENDING).fetchall():
            key = f"unexpected:{day.isoformat()}:{sha[:16]}"
            message = mail.unexpected_files_alert(day, names, recipients.recipients_of(recipients.OPS))
            if outbox.queue(conn, key, recipients.OPS, message, day):
                queued.append(key)
    return queued


# --- delivery ----------------------------------------------------------------------------------

def deliver() -> dict:
    """Queue the operators' notices of files not in the contract, then send what waits in the
    outbox (through smtp_default, when configured)."""
    with db.connect() as conn:
        ensure_schemas(conn)
        conn.commit()
        queue_unexpected_files(conn)
        return outbox.deliver_pending(conn).as_dict()
