"""Running the real cgf_nightly DAG once, in process (`dag.test()`), for the CLI and the tests."""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import ModuleType

from include.orchestration import airflow_env
from include.warehouse import db, settings


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
    from include.ingest.loader import complete_deliveries

    deliveries = complete_deliveries(settings.landing_dir())
    last_day = deliveries[-1][0] if deliveries else date.today() - timedelta(days=1)
    return last_day + timedelta(days=1)


def _load_dag_file(path: Path) -> ModuleType:
    """The DAG file as a module, loaded the way the dag-processor does: by path, not by import."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_nightly(run_day: date | None = None, progress: Callable[[str], None] | None = None) -> DagRunResult:
    """Run cgf_nightly for the night of `run_day` (default: after the latest complete delivery).

    `progress`, when given, gets one line per step of the DAG as it ends (include.orchestration.progress).
    """
    import pendulum

    airflow_env.configure()
    airflow_env.ensure_metadata_db()
    # imported here, not at the top: it imports Airflow, which reads its settings once, at import
    from include.transform import cosmos_dbt

    cosmos_dbt.point_connection_at(db.warehouse_url())
    from airflow import settings as airflow_settings

    if airflow_settings.Session is None:
        airflow_settings.configure_orm()
    dag_module = _load_dag_file(settings.PROJECT_ROOT / "dags" / "cgf_nightly.py")
    nightly_dag, seoul = dag_module.nightly_dag, dag_module.SEOUL

    run_day = run_day or night_after_latest_delivery()
    logical = pendulum.instance(datetime.combine(run_day, time(2, 0)), tz=seoul)
    dag_run = _test_run(nightly_dag, logical, progress)
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    failed = sorted(task_id for task_id, state in states.items() if state == "failed")
    return DagRunResult(str(dag_run.state), failed, run_day, states)


def _test_run(nightly_dag, logical_date, progress: Callable[[str], None] | None):
    """dag.test(), with the step lines of `progress` (a listener of the task runner) when asked for."""
    if progress is None:
        return nightly_dag.test(logical_date=logical_date)
    from airflow.sdk.listener import get_listener_manager

    from include.orchestration.progress import StepLines

    lines = StepLines(nightly_dag.task_ids, progress)
    manager = get_listener_manager()
    manager.add_listener(lines)
    try:
        dag_run = nightly_dag.test(logical_date=logical_date)
    finally:
        manager.pm.unregister(lines)
    lines.finish({ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()})
    return dag_run
