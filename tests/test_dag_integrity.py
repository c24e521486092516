"""DAG integrity: every DAG in dags/ imports, has tags, retries, a schedule and no cycles."""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parent.parent / "dags"


@pytest.fixture(scope="module")
def dag_bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_every_dag_imports(dag_bag):
    assert dag_bag.import_errors == {}
    assert "cgf_nightly" in dag_bag.dags


def test_every_dag_has_tags_retries_schedule_and_docs(dag_bag):
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags, dag_id
        assert dag.doc_md, dag_id
        assert dag.timetable.summary != "None", dag_id
        for task in dag.tasks:
            # they fail loudly instead: the sensor times out, freshness is a verdict, the dbt build restates next run
            if task.task_id not in ("wait_for_delivery", "source_freshness", "dbt_build.dbt_producer_watcher"):
                assert task.retries >= 1, (dag_id, task.task_id)


def dbt_tasks(dag) -> set[str]:
    return {task_id for task_id in dag.task_ids if task_id.startswith("dbt_build.")}


def test_nightly_dag_shape(dag_bag):
    dag = dag_bag.dags["cgf_nightly"]
    assert dag.max_active_runs == 1 and not dag.catchup
    assert dag.timetable.summary.startswith("0 2 * * *")
    chain = ["wait_for_delivery", "load_deliveries", "anything_to_build", "dbt_build.dbt_producer_watcher",
             "dbt_build.fct_operating_multiple_daily_run", "mark_built",
             "publish_marts", "operating_multiple_alerts", "audit_alerts", "send_alerts"]
    for upstream, downstream in itertools.pairwise(chain):
        assert downstream in dag.get_task(upstream).get_flat_relative_ids(upstream=False), (upstream, downstream)
    assert "dbt_build.dbt_producer_watcher" in dag.get_task("anything_to_build").downstream_task_ids
    # a failing quality step holds back neither the marts nor the alerts
    assert dag.get_task("quality_checks").upstream_task_ids == {"mark_built", "load_deliveries", "anything_to_build"}
    assert not dag.get_task("quality_checks").downstream_task_ids
    # the workbook follows the published marts, beside the alerts: its failure holds back neither
    assert dag.get_task("export_workbook").upstream_task_ids == {"publish_marts", "anything_to_build"}
    assert not dag.get_task("export_workbook").downstream_task_ids
    # a rejected delivery fails the run beside the build, which gets what came before it
    assert dag.get_task("check_deliveries").upstream_task_ids == {"load_deliveries"}
    assert dag.get_task("send_alerts").trigger_rule == "all_done"  # the outbox goes out whatever failed
    # nothing to build: the short circuit skips the whole branch itself, not level by level
    assert dag.get_task("anything_to_build").downstream_task_ids == dbt_tasks(dag) | {
        "mark_built", "quality_checks", "publish_marts", "operating_multiple_alerts", "audit_alerts", "export_workbook"}
    assert set(dag.task_ids) - dbt_tasks(dag) == set(chain) - dbt_tasks(dag) | {
        "quality_checks", "check_deliveries", "nothing_loaded", "source_freshness", "export_workbook"}
    # the producer's one `dbt build` runs the tests beside the models: no test task, no restriction
    producer = dag.get_task("dbt_build.dbt_producer_watcher")
    assert producer.base_cmd == ["build"] and "--resource-type" not in (producer.dbt_cmd_flags or [])
    assert not [t for t in dbt_tasks(dag) if "Test" in type(dag.get_task(t)).__name__]  # no Dbt*Test*Operator
    sensor = dag.get_task("wait_for_delivery")
    assert sensor.mode == "reschedule" and sensor.timeout == 6 * 3600



def test_one_dbt_task_per_model_and_the_marts_as_assets_from_dbt(dag_bag):
    dag = dag_bag.dags["cgf_nightly"]
    models_dir = DAGS_DIR.parent / "dbt_project" / "models"
    models = {path.stem for path in models_dir.rglob("*.sql")}
    assert {t.removeprefix("dbt_build.").removesuffix("_run") for t in dbt_tasks(dag) if t.endswith("_run")} == models
    marts = {f"marts.{path.stem}" for path in (models_dir / "marts").glob("*.sql")}
    assert {a.name for a in dag.get_task("publish_marts").outlets} == marts
    assert {"marts.rpt_supply_yearly", "marts.fct_operating_multiple_daily"} <= marts


def test_the_model_tasks_a_one_process_run_marks_follow_a_successful_build(dag_bag):
    """dag.test() marks the per-model tasks successful instead of running them (cosmos_dbt.mirrored_tasks_pattern):
    exactly the models' tasks, each downstream of the producer's `dbt build` and run only when it succeeded."""
    from cosmos.operators.watcher import DbtConsumerWatcherSensor

    from include.transform.cosmos_dbt import mirrored_tasks_pattern

    dag = dag_bag.dags["cgf_nightly"]
    pattern = mirrored_tasks_pattern()
    mirrored = {t for t in dag.task_ids if re.fullmatch(pattern, t)}
    models = {path.stem for path in (DAGS_DIR.parent / "dbt_project" / "models").rglob("*.sql")}
    assert {t.removeprefix("dbt_build.").removesuffix("_run") for t in mirrored} == models
    for task_id in mirrored:
        task = dag.get_task(task_id)
        assert task.trigger_rule == "all_success", task_id
        assert "dbt_build.dbt_producer_watcher" in task.get_flat_relative_ids(upstream=True), task_id
        assert isinstance(task, DbtConsumerWatcherSensor), task_id  # reads the build's result, builds nothing


def test_monthly_report_dag_shape(dag_bag):
    """The council report, written on the 1st of each month (tests/test_council_report.py runs it)."""
    dag = dag_bag.dags["cgf_monthly_report"]
    assert dag.timetable.summary.startswith("0 7 1 * *")
    assert dag.max_active_runs == 1 and not dag.catchup
    assert dag.task_ids == ["council_report"]


def test_every_task_has_an_execution_timeout(dag_bag):
    for dag in dag_bag.dags.values():
        for task in dag.tasks:
            assert task.execution_timeout is not None, (dag.dag_id, task.task_id)


def test_no_cycles(dag_bag):
    for dag in dag_bag.dags.values():
        dag.topological_sort()  # raises on a cycle
        for task in dag.tasks:
            assert task.task_id not in {t.task_id for t in task.get_flat_relatives(upstream=False)}


def test_a_fresh_deployment_schedules_one_run_not_years_of_them(dag_bag):
    """The scheduler's first run of a new deployment is the latest night (which loads every pending
    delivery), not the start date's: catch-up would create a run per night since 2019."""
    import pendulum

    dag = dag_bag.dags["cgf_nightly"]
    assert dag.start_date < pendulum.now("Asia/Seoul").subtract(years=1)
    first = dag.timetable.next_dagrun_info(last_automated_data_interval=None,
                                           restriction=_restriction(dag))
    assert pendulum.now("UTC").subtract(days=2) <= first.run_after <= pendulum.now("UTC").add(days=1)


def _restriction(dag):
    from airflow.timetables.base import TimeRestriction

    return TimeRestriction(earliest=dag.start_date, latest=None, catchup=dag.catchup)


def test_every_not_null_constraint_is_enforced_or_tested():
    """A column's `constraints: [{type: not_null}]` is kept by PostgreSQL in a table rebuilt whole under
    an enforced contract; every other model or seed declaring one has the test not_null_columns
    (dbt_project/tests/generic/not_null_columns.sql), or the constraint would check nothing."""
    import yaml

    project = DAGS_DIR.parent / "dbt_project"
    unchecked, kept_by_the_table = [], []
    for path in [*(project / "models").rglob("*.yml"), *(project / "seeds").glob("*.yml")]:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for node in document.get("models", []) + document.get("seeds", []):
            constrained = [c["name"] for c in node.get("columns", [])
                           if {"type": "not_null"} in c.get("constraints", [])]
            tests = [t if isinstance(t, str) else next(iter(t)) for t in node.get("data_tests", [])]
            sql = next(project.glob(f"models/*/{node['name']}.sql"), None)
            rebuilt_whole = sql is not None and "materialized='incremental'" not in sql.read_text(encoding="utf-8")
            enforced = (node.get("config") or {}).get("contract", {}).get("enforced") and rebuilt_whole
            if constrained and enforced:
                kept_by_the_table.append(node["name"])
            elif constrained and "not_null_columns" not in tests:
                unchecked.append(node["name"])
    assert unchecked == []
    assert "rpt_supply_yearly" in kept_by_the_table and "fct_operating_multiple_daily" not in kept_by_the_table
