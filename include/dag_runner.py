"""Running the real cgf_nightly DAG once, in process (`dag.test()`), for the CLI and the tests."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from include import airflow_env, config


@dataclass
class DagRunResult:
    state: str
    failed_tasks: list[str]
    run_day: date
    task_states: dict[str, str]

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def night_after_latest_delivery() -> date:
    from include.loader import complete_deliveries

    deliveries = complete_deliveries(config.landing_dir())
    last_day = deliveries[-1][0] if deliveries else date.today() - timedelta(days=1)
    return last_day + timedelta(days=1)


def run_nightly(run_day: date | None = None) -> DagRunResult:
    """Run cgf_nightly for the night of `run_day` (default: after the latest complete delivery)."""
    import pendulum

    airflow_env.configure()
    airflow_env.ensure_metadata_db()
    from airflow import settings

    if settings.Session is None:
        settings.configure_orm()
    dags_dir = str(config.PROJECT_ROOT / "dags")
    if dags_dir not in sys.path:
        sys.path.insert(0, dags_dir)
    from cgf_nightly import SEOUL, nightly_dag

    run_day = run_day or night_after_latest_delivery()
    logical = pendulum.instance(datetime.combine(run_day, time(2, 0)), tz=SEOUL)
    dag_run = nightly_dag.test(logical_date=logical)
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    failed = sorted(task_id for task_id, state in states.items() if state == "failed")
    return DagRunResult(str(dag_run.state), failed, run_day, states)
