"""Running the real cgf_nightly DAG once, in process (`dag.test()`), for the CLI and the tests."""
from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from types import ModuleType

from pluggy import HookimplMarker

from include.orchestration import airflow_env
from include.warehouse import db, settings

hookimpl = HookimplMarker("airflow")  # airflow.listeners.hookimpl, without importing Airflow here


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
    """dag.test(), with the step lines of `progress` (a listener of the task runner) when asked for,
    and the imports of the quality step done while dbt builds (WarmUp)."""
    from airflow.sdk.listener import get_listener_manager

    from include.transform.cosmos_dbt import mirrored_tasks_pattern

    mirrored = mirrored_tasks_pattern()  # marked successful once the build succeeded, not run (see there)
    listeners = [WarmUp()]
    if progress is not None:
        from include.orchestration.progress import StepLines

        listeners.append(StepLines(nightly_dag.task_ids, progress, mirrored))
    manager = get_listener_manager()
    for listener in listeners:
        manager.add_listener(listener)
    try:
        dag_run = nightly_dag.test(logical_date=logical_date, mark_success_pattern=mirrored)
    finally:
        for listener in listeners:
            manager.pm.unregister(listener)
    if progress is not None:
        listeners[-1].finish({ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()})
    return dag_run


class WarmUp:
    """A listener: when the dbt build starts, import Great Expectations in a thread of this process.

    In a one-process run (dag.test) the tasks run one after the other in this process, and during the
    build it only waits for dbt, which runs in a process of its own: the seconds of GX's imports then
    cost nothing, instead of opening the quality step. A worker of a deployment runs each task in a
    process of its own: it has no listener, and the quality step imports GX itself, as here when the
    thread has not finished (the import waits for it).
    """

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance) -> None:
        if self.thread is None and task_instance.task_id.startswith("dbt_build."):
            self.thread = threading.Thread(target=_preload_quality, name="cgf-preload-gx", daemon=True)
            self.thread.start()


def _preload_quality() -> None:
    started = perf_counter()
    try:
        from include.quality import gx_suites

        gx_suites.preload()
    except Exception:  # only a head start: the quality step imports it again and reports what fails
        logging.getLogger(__name__).debug("preloading Great Expectations failed", exc_info=True)
        return
    logging.getLogger(__name__).info("Great Expectations imported during the dbt build (%.1f s)",
                                     perf_counter() - started)
