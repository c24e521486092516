"""The one build of the catalogue: the real nightly DAG (in process) over a small generated landing
area in which one loaded day carries hostile names and a hostile event id, and a later day is
rejected. Nothing of the rejected delivery is visible in the marts; the hostile names stop in
staging (PII), the hostile id comes out unchanged. Then `dbt build` is killed mid-model on that
warehouse: every model is swapped in one transaction, so the marts stay as they were, and the
next build leaves no half-built relation behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.ingest.extract_files import decode, records
from include.orchestration.dag_runner import run_nightly
from include.transform.cosmos_dbt import dbt_env
from include.warehouse import settings
from tests.conftest import make_database
from tests.faults.catalogue import Case
from tests.faults.outcomes import manifest_counts, raw_counts
from tests.landing_factory import csv_bytes, folder_of, rewrite_manifest

FAMILY = "marts"
HOSTILE_DAY, REJECTED_DAY = date(2019, 1, 11), date(2019, 1, 14)  # a Friday and a Monday: both have events
BLOCKED_MODEL = "marts.fct_operating_multiple_daily"  # held by the test: dbt is killed while it waits
NAMES = ["=cmd|' /C calc'!A0", "'; drop table raw.guarantees; --", "<script>alert(1)</script>"]
HOSTILE_ID = "E'); drop table marts.fct_guarantee_events; --<b>"

CASES = [
    Case("rejected_delivery_not_in_marts", FAMILY, "a delivery rejected (one bad branch code) after ten good ones; "
         "the nightly DAG runs", "check_deliveries fails; none of the rejected day's event ids (event_key) in "
         "marts.fct_guarantee_events, no mart day at or after it"),
    Case("raw_equals_loaded_manifests", FAMILY, "the same night",
         "raw holds exactly the rows of the manifests of the loaded days, none of the rejected one"),
    Case("hostile_names_stop_in_staging", FAMILY, "customer names that are a spreadsheet formula, SQL and a "
         "<script> tag, in a loaded day", "built; no text column of any mart holds any of them"),
    Case("hostile_id_unchanged_in_marts", FAMILY, f"an event id {HOSTILE_ID}",
         "built; the id is in marts.fct_guarantee_events exactly as delivered, every mart still there"),
    Case("dbt_sigkill_mid_build", FAMILY, "`dbt build` on the built warehouse, killed with SIGKILL while a "
         f"model waits for {BLOCKED_MODEL}, then run again", "every mart relation holds exactly what it held "
         "before, after the kill and after the next build; no __dbt_tmp or __dbt_backup relation is left"),
]


def edit_guarantees(folder: Path, edit) -> list[list[str]]:
    """Rewrites guarantees.csv (same encoding) with `edit(header, rows)` applied, and the manifest."""
    decoded = decode(folder / "guarantees.csv")
    header, *rows = [fields for _, fields in records(decoded.text)]
    edit(header, rows)
    (folder / "guarantees.csv").write_bytes(csv_bytes(header, rows, decoded.encoding))
    rewrite_manifest(folder)
    return rows


def _hostile(header: list[str], rows: list[list[str]]) -> None:
    for row, name in zip(rows, NAMES):
        row[header.index("customer_name")] = name
    rows[0][header.index("event_id")] = HOSTILE_ID


def _rejected(header: list[str], rows: list[list[str]]) -> None:
    rows[-1][header.index("branch_code")] = "999"


@pytest.fixture(scope="module")
def night(server_url, airflow_db, tmp_path_factory) -> dict:
    landing = tmp_path_factory.mktemp("marts") / "landing"
    generate_landing(landing, end=REJECTED_DAY, scale=0.05)
    edit_guarantees(folder_of(landing, HOSTILE_DAY), _hostile)
    rejected = edit_guarantees(folder_of(landing, REJECTED_DAY), _rejected)
    url = make_database(server_url, "faults_marts")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CGF_WAREHOUSE_URL", url)
        env.setenv("CGF_LANDING_DIR", str(landing))
        env.setenv("CGF_HOME", str(tmp_path_factory.mktemp("marts_home")))
        env.setenv("CGF_RETRY_DELAY_SECONDS", "1")
        env.delenv("CGF_CUSTOMER_KEY_SECRET", raising=False)
        result = run_nightly()
    return {"url": url, "landing": landing, "result": result, "rejected_ids": [r[0] for r in rejected]}


def query(night: dict, sql: str, *params) -> list[tuple]:
    with psycopg.connect(night["url"]) as conn:
        return conn.execute(sql, params).fetchall()


def test_rejected_delivery_not_in_marts(night):
    assert night["result"].failed_tasks == ["check_deliveries"], night["result"]
    assert len(night["rejected_ids"]) >= 2
    assert query(night, "select event_key from marts.fct_guarantee_events where event_key = any(%s)",
                 night["rejected_ids"]) == []
    assert query(night, "select max(as_of_date) from marts.fct_operating_multiple_daily") == [(date(2019, 1, 13),)]


def test_raw_equals_loaded_manifests(night):
    loaded = {f.name for f in night["landing"].iterdir() if f.name < f"{REJECTED_DAY:%Y%m%d}"}
    with psycopg.connect(night["url"]) as conn:
        assert raw_counts(conn) == manifest_counts(night["landing"], loaded)


def test_hostile_names_stop_in_staging(night):
    columns = query(night, "select table_name, column_name from information_schema.columns "
                           "where table_schema = 'marts' and data_type = 'text'")
    assert len(columns) > 10
    found = [(table, column) for table, column in columns
             if query(night, f'select 1 from marts."{table}" where "{column}" = any(%s) limit 1', NAMES)]
    assert found == []


def test_hostile_id_unchanged_in_marts(night):
    assert query(night, "select event_key from marts.fct_guarantee_events where event_date = %s and event_key = %s",
                 HOSTILE_DAY, HOSTILE_ID) == [(HOSTILE_ID,)]


def marts_contents(url: str) -> dict[str, str]:
    """Every relation of the marts schema and a digest of its rows."""
    with psycopg.connect(url) as conn:
        relations = [name for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
        return {name: conn.execute(f'select md5(coalesce(string_agg(t::text, \'|\' order by t::text), \'\')) '
                                   f'from marts."{name}" as t').fetchone()[0] for name in relations}


def dbt_build(url: str, log: Path) -> subprocess.Popen:
    flags = ["--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR)]
    with log.open("wb") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "dbt"), "build", *flags],
                                env={**os.environ, **dbt_env(url)}, start_new_session=True,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_for_lock_waiter(url: str, build: subprocess.Popen) -> None:
    """Until a session of dbt waits for a lock (polled in autocommit: pg_stat_activity is a snapshot
    per transaction)."""
    deadline = time.monotonic() + 300
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline and build.poll() is None:
            if conn.execute("select count(*) from pg_stat_activity where datname = current_database() "
                            "and wait_event_type = 'Lock'").fetchone()[0]:
                return
            time.sleep(0.2)
    raise AssertionError(f"dbt never waited for {BLOCKED_MODEL}: exit {build.returncode}")


def test_dbt_sigkill_mid_build(night, tmp_path):
    before = marts_contents(night["url"])
    assert BLOCKED_MODEL.split(".")[1] in before
    with psycopg.connect(night["url"]) as holder:
        holder.execute(f"lock table {BLOCKED_MODEL} in access exclusive mode")
        build = dbt_build(night["url"], tmp_path / "killed.log")
        try:
            wait_for_lock_waiter(night["url"], build)
        finally:
            os.killpg(build.pid, signal.SIGKILL)
        assert build.wait(30) == -signal.SIGKILL
    assert marts_contents(night["url"]) == before  # the waiting model's transaction died with dbt

    again = dbt_build(night["url"], tmp_path / "again.log")
    assert again.wait(600) == 0, (tmp_path / "again.log").read_text(errors="replace")[-3000:]
    assert marts_contents(night["url"]) == before
    assert query(night, "select table_schema, table_name from information_schema.tables "
                        "where table_name like '%%__dbt_tmp%%' or table_name like '%%__dbt_backup%%'") == []
