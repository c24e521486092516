"""cgf_nightly — the nightly pipeline of the credit guarantee warehouse."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.trigger import CronTriggerTimetable

from include.alerts import streams
from include.alerts.notifier import OperatorAlertNotifier
from include.ingest import steps
from include.quality import checks
from include.transform import cosmos_dbt
from include.warehouse import maintenance, settings

SEOUL = pendulum.timezone("Asia/Seoul")

DOC_MD = """
### cgf_nightly — 야간 적재 (nightly load)

Every night at 02:00 (Asia/Seoul) the core guarantee system delivers the previous day's extracts
(`guarantees.csv`, `repayments.csv`, `contributions.csv`, `headcount.csv`, `manifest.csv`).

1. **wait_for_delivery** — waits (reschedule mode, up to 6 h) for yesterday's manifest; fails loudly if it never comes.
   Complete deliveries the warehouse has never seen (a fresh deployment, nights the scheduler missed) do not wait:
   the run goes ahead at once and loads them.
2. **load_deliveries** — checks every pending delivery against the extract contract and COPYs it into `raw`.
   A contract violation rejects the whole delivery (see `ops.rejections`) and later deliveries wait;
   what came before it is loaded and built, and **check_deliveries** fails the run with the
   rejection's message (delivery `YYYYMMDD`, file, first violations) — or names the missing day
   when a delivery is absent while later ones are complete.
3. **nothing_loaded** → **source_freshness** — on a night that loaded nothing, `dbt source freshness` of
   `ops.deliveries` (warns 2 days after the last load, fails after 4).
   **anything_to_build** skips the rest on a night with nothing new; **dbt_build** — the dbt project through
   Cosmos, one task per seed and model with its tests (staging → intermediate → marts). The incremental models
   recompute the days from the earliest delivery not yet built, and their tests read those days only (dbt var
   `test_window: restated`; a first run builds and tests the whole history).
4. **mark_built** — records in `ops.deliveries` what dbt has built (incremental models restate from there), and
   vacuums the large tables the run wrote that no vacuum has passed over yet (after a backfill: not left to
   autovacuum during the next night).
5. **quality_checks** — Great Expectations suites of `expectations/` on the raw deliveries and the marts of the
   run (the days from the earliest one the run restated); results in `ops.validation_results`, Data Docs in
   `CGF_GX_DATA_DOCS_DIR` (`var/gx_data_docs/`).
   A failed suite is an operator alert, not a failed run.
6. **publish_marts** — marks the marts (every model of `models/marts/`, from dbt's node list) as Assets.
   **export_workbook** — then writes the yearly reports as one Excel workbook
   (`CGF_EXPORT_DIR`, `var/exports/cgf_yearly_reports_<through date>.xlsx`: one sheet per report, Korean headers,
   million won). It sits beside the alerts, not before them: when it fails (after its retries) the operators are
   mailed and the run is marked failed, but the marts are published and the alerts go out all the same; the next
   night writes the workbook again from the marts (nothing of it is read back).
7. **operating_multiple_alerts** — one e-mail per change of state of the 보증운용배수 (OK / WARN / BREACH / LEGAL)
   to `CGF_ALERT_TO`; a breach is a finding, not a failure.
8. **audit_alerts** — 감사 20-6: per audit group and day, the guarantees over 30 million won.
9. **send_alerts** — sends the outbox (`ops.alerts`, in the warehouse) through the `smtp_default` connection, when
   there is one.

Any task that fails for good mails the operators (`CGF_OPS_ALERT_TO`): a rejected delivery with its first
violations, a delivery missing past the sensor's timeout, or the failed task.
"""

default_args = {
    "owner": "전략기획부 data",
    "retries": 2,
    # a one-shot run (make run, tests) may shorten the wait between tries
    "retry_delay": timedelta(seconds=settings.retry_delay_seconds()),
    "on_failure_callback": OperatorAlertNotifier(),
    "execution_timeout": timedelta(minutes=30),  # per try; a sensor poke is one try
}


def _restated_from(load_summary: dict):
    """The earliest day this run loaded: the marts changed from it on."""
    first = load_summary["first_loaded"]
    return pendulum.parse(first).date() if first else None


@dag(
    dag_id="cgf_nightly",
    schedule=CronTriggerTimetable("0 2 * * *", timezone=SEOUL),
    start_date=pendulum.parse(settings.dag_start_date(), tz=SEOUL),
    # No catch-up of runs: every run loads every pending delivery in date order, so the nights a
    # scheduler missed are caught up by its next run, and a fresh deployment starts with one run
    # (the latest night) that loads the whole landing area, not ~2,500 runs since the start date.
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    doc_md=DOC_MD,
    user_defined_macros=cosmos_dbt.USER_DEFINED_MACROS,
    tags=["cgf", "nightly", "warehouse"],
)
def cgf_nightly():
    @task.sensor(poke_interval=settings.delivery_poke_seconds(), timeout=settings.delivery_wait_seconds(),
                 mode="reschedule", retries=0)
    def wait_for_delivery(logical_date=None) -> bool:
        run_day = pendulum.instance(logical_date).in_timezone(SEOUL).date()
        return steps.delivery_arrived(steps.expected_delivery_date(run_day))

    @task
    def load_deliveries() -> dict:
        report = steps.load_pending_deliveries()
        return {
            "deliveries_loaded": len(report.loaded),
            "rows_loaded": report.rows,
            "already_loaded": report.already_loaded,
            "waiting_for": report.waiting_for.isoformat() if report.waiting_for else None,
            "rejected": str(report.rejected) if report.rejected else None,
            "first_loaded": report.first_loaded.isoformat() if report.first_loaded else None,
            "max_load_id": report.max_load_id,
        }

    @task.short_circuit
    def nothing_loaded(load_summary: dict) -> bool:
        """A night that loaded something is fresh by definition: freshness is checked on the others."""
        return load_summary["deliveries_loaded"] == 0

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def anything_to_build(load_summary: dict) -> bool:
        """Skips the build and what follows on a night with nothing new (e.g. catch-up runs)."""
        return bool(load_summary["rejected"]) or steps.has_unbuilt_deliveries()

    dbt_build = cosmos_dbt.dbt_task_group("dbt_build", default_args={"retries": 1})
    mart_assets = [Asset(name=f"marts.{name}", uri=f"postgres://cgf-warehouse:5432/cgf/marts/{name}")
                   for name in cosmos_dbt.mart_names(dbt_build)]

    @task
    def mark_built(load_summary: dict) -> int:
        marked = steps.mark_deliveries_built(load_summary["max_load_id"])
        maintenance.vacuum_new_large_tables()  # a backfill's tables: vacuumed now, not during the next night
        return marked

    @task
    def check_deliveries(load_summary: dict) -> None:
        """Fails the run when a delivery was rejected, or a day is missing before complete ones.

        It runs beside the build: the marts still get what came before the problem.
        """
        if load_summary["rejected"]:
            raise AirflowFailException(load_summary["rejected"])  # not transient: no retry
        if load_summary["waiting_for"]:
            day = pendulum.parse(load_summary["waiting_for"]).format("YYYYMMDD")
            raise AirflowFailException(
                f"delivery {day} is missing or incomplete (no manifest.csv) while later deliveries are "
                f"complete: they wait until it arrives")

    @task
    def quality_checks(load_summary: dict, run_id=None) -> dict:
        return checks.run_quality_checks(run_id, _restated_from(load_summary))

    @task(outlets=mart_assets)
    def publish_marts() -> None:
        """Marks the marts as updated Assets for downstream consumers."""

    @task
    def export_workbook() -> str:
        """The yearly reports as an Excel workbook for the analysts (an output: no later run reads it)."""
        from include.export import workbook  # openpyxl is loaded by this task, not by every parse of the DAG

        return str(workbook.export_yearly_reports())

    @task
    def operating_multiple_alerts(load_summary: dict) -> dict:
        return streams.queue_multiple_alerts(_restated_from(load_summary))

    @task
    def audit_alerts() -> dict:
        return streams.queue_audit_alerts()

    @task(trigger_rule=TriggerRule.ALL_DONE)  # whatever happened before, the outbox goes out
    def send_alerts() -> dict:
        return streams.deliver()

    loaded = load_deliveries()
    to_build = anything_to_build(loaded)
    wait_for_delivery() >> loaded >> to_build >> dbt_build
    nothing_loaded(loaded) >> cosmos_dbt.source_freshness(dbt_build, retries=0)
    check_deliveries(loaded)
    built = mark_built(loaded)
    published = publish_marts()
    quality = quality_checks(loaded)
    dbt_build >> built >> [quality, published]
    # the marts are published before anyone is mailed: an SMTP outage never holds them back,
    # and a failing quality step holds back neither the marts nor the risk alert
    multiple_alerts, audits, export = operating_multiple_alerts(loaded), audit_alerts(), export_workbook()
    published >> multiple_alerts >> audits >> send_alerts()
    published >> export  # beside the alerts: a failed export holds back neither marts nor alerts
    # a night with nothing to build skips the whole branch at once: the short circuit skips the tasks
    # right after it, the others would follow one level per scheduling pass (in a one-process run,
    # dag.test(), a pass with nothing to run sleeps a second)
    to_build >> [*dbt_build.iter_tasks(), built, quality, published, multiple_alerts, audits, export]


nightly_dag = cgf_nightly()
