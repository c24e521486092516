"""The operators' alert of a failed task: an Airflow notifier for on_failure_callback."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import BaseNotifier
from airflow.sdk.exceptions import AirflowSensorTimeout

SEOUL = pendulum.timezone("Asia/Seoul")


class OperatorAlertNotifier(BaseNotifier):
    """Queues the operator e-mail of a task that failed for good (after its retries).

    Attach it as on_failure_callback; the e-mail goes through the outbox (include.alerts.streams).
    """

    def notify(self, context) -> None:
        from include.alerts import streams
        from include.ingest import steps

        ti = context["ti"]
        error = context.get("exception")
        missing = None
        waited = ""
        if isinstance(error, AirflowSensorTimeout):
            run_day = pendulum.instance(context["logical_date"]).in_timezone(SEOUL).date()
            missing = steps.expected_delivery_date(run_day)
            waited = str(timedelta(seconds=getattr(context.get("task"), "timeout", 0) or 0))
        streams.queue_task_failure(
            dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id, try_number=ti.try_number, error=error,
            log_url=getattr(ti, "log_url", None), missing_delivery=missing, waited=waited,
        )
