"""End to end: the real cgf_nightly DAG (dag.test) over a small generated landing area."""
from __future__ import annotations

import csv
from datetime import date

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.ingest.contract import FILES
from include.orchestration.dag_runner import run_nightly

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


def test_dag_loads_every_manifest_row_and_builds_the_marts(pipeline_env, db_url):
    result = run_nightly()
    assert result.succeeded, result
    assert result.run_day == date(2019, 1, 21)
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
