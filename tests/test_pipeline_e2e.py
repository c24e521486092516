"""End to end: the real cgf_nightly DAG (dag.test) over a small generated landing area."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.ingest.contract import FILES
from include.orchestration.dag_runner import run_nightly
from include.transform.cosmos_dbt import dbt_env
from include.warehouse.settings import DBT_PROJECT_DIR

END = date(2019, 1, 20)


def manifest_counts(landing) -> dict[str, int]:
    totals = {spec.name: 0 for spec in FILES}
    for manifest in landing.glob("*/manifest.csv"):
        with manifest.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                totals[row["file"]] += int(row["rows"])
    return totals


@pytest.fixture
def pipeline_env(db_url, tmp_path, monkeypatch, airflow_db):
    landing = tmp_path / "landing"
    generate_landing(landing, end=END, scale=0.05)
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")
    return landing


def dbt_by_hand(url: str, target, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **dbt_env(url), "DBT_TARGET_PATH": str(target)}
    return subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR),
                           "--profiles-dir", str(DBT_PROJECT_DIR)], env=env, capture_output=True, text=True)


def test_dag_loads_every_manifest_row_and_builds_the_marts(pipeline_env, db_url, tmp_path):
    result = run_nightly()
    assert result.succeeded, result
    assert result.run_day == date(2019, 1, 21)
    model_tasks = {t: state for t, state in result.task_states.items()
                   if t.startswith("dbt_build.") and t.endswith("_run")}
    assert len(model_tasks) >= 30 and set(model_tasks.values()) == {"success"}  # marked after the build succeeded
    expected = manifest_counts(pipeline_env)
    with psycopg.connect(db_url) as conn:
        for spec in FILES:
            loaded = conn.execute(f"select count(*) from raw.{spec.table}").fetchone()[0]
            assert loaded == expected[spec.name], spec.name
        deliveries = conn.execute(
            "select count(*), count(dbt_built_at) from ops.deliveries where status = 'LOADED'").fetchone()
        assert deliveries == (21, 21)  # 2018-12-31 .. 2019-01-20, all marked built
        days = conn.execute("select count(*), max(as_of_date) from marts.fct_operating_multiple_daily").fetchone()
        assert days == (21, END)
        # the label columns of the incremental marts were synced with these seeds: no later night re-reads them
        synced = conn.execute("select count(*), count(distinct seed_checksum) from intermediate.label_sync_state "
                              "where relation_name = 'marts.fct_guarantee_events'").fetchone()
        assert synced[0] == 8 and synced[1] >= 4  # 4 label columns of ref_code_labels, 4 names of 3 seeds
    # the dbt unit tests, which the nightly build leaves out (their rows are fixed, not the night's), pass
    unit = dbt_by_hand(db_url, tmp_path / "unit", "test", "--select", "test_type:unit")
    assert unit.returncode == 0, unit.stdout[-3000:]
    results = json.loads((tmp_path / "unit" / "run_results.json").read_text())["results"]
    unit_tests = [r["status"] for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 10 and set(unit_tests) == {"pass"}

    # a second run of the same night changes nothing, and skips the build
    again = run_nightly()
    assert again.succeeded
    dbt_states = {state for task, state in again.task_states.items()
                  if task.startswith("dbt_build.") and task != "dbt_build.dbt_producer_watcher_done"}
    assert dbt_states == {"skipped"}  # the build and every model task: no model runs on its own
    assert again.task_states["send_alerts"] == "success"
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from ops.deliveries").fetchone()[0] == 21
    # freshness is checked on the nights that load nothing: fresh now, stale once the last load is old
    assert result.task_states["source_freshness"] == "skipped" and again.task_states["source_freshness"] == "success"
    with psycopg.connect(db_url) as conn:
        conn.execute("update ops.deliveries set processed_at = processed_at - interval '5 days'")
    stale = run_nightly()
    assert stale.failed_tasks == ["source_freshness"]


def test_the_nightly_build_tests_the_restated_days(airflow_db):
    """The DAG's one `dbt build` runs with test_window 'restated' (dbt_project/macros/test_window.sql)."""
    from include.orchestration.dag_runner import _load_dag_file
    from include.transform.cosmos_dbt import NIGHTLY_DBT_VARS
    from include.warehouse.settings import PROJECT_ROOT

    nightly = _load_dag_file(PROJECT_ROOT / "dags" / "cgf_nightly.py").nightly_dag
    producer = nightly.get_task("dbt_build.dbt_producer_watcher")
    assert NIGHTLY_DBT_VARS == {"test_window": "restated"}
    assert producer.vars == NIGHTLY_DBT_VARS  # `dbt build --vars …`: the same every night (partial parse kept)
    # no unit tests (they check SQL, not the night's data), no debug log file (in Cosmos's temporary copy)
    assert producer.dbt_cmd_flags == ["--exclude-resource-type", "unit_test", "--log-level-file", "none"]
