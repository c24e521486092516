"""Incremental and restatable: a new day processes that day only; a re-sent day D recomputes
everything from D onwards and nothing before it, and a changed amount flows into the marts —
the same marts as a rebuild from scratch. A night's dbt tests look at the days it restated."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.orchestration.dag_runner import run_nightly
from include.transform.cosmos_dbt import NIGHTLY_DBT_VARS, dbt_env
from include.warehouse.settings import DBT_PROJECT_DIR
from tests.conftest import make_database
from tests.landing_factory import folder_of, resend_with_changed_amount

END = date(2019, 3, 29)  # a Friday: the new day has activity
RESENT = date(2019, 3, 14)


def row_versions(conn, table: str, date_column: str, key: str) -> dict:
    """key -> (date, xmin): xmin changes when a row is rewritten."""
    return {k: (d, x) for k, d, x in conn.execute(
        f"select {key}, {date_column}, xmin::text from {table}").fetchall()}


def dbt(url: str, target: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt by hand against the test warehouse (its own target folder)."""
    env = {**os.environ, **dbt_env(url), "DBT_TARGET_PATH": str(target)}
    return subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR),
                           "--profiles-dir", str(DBT_PROJECT_DIR)], env=env, capture_output=True, text=True)


def relation_contents(conn, schemas=("intermediate", "marts")) -> dict[str, str]:
    """relation -> md5 of its rows (in a fixed order): equal contents, equal hashes."""
    names = [f"{s}.{t}" for s, t in conn.execute(
        "select table_schema, table_name from information_schema.tables where table_schema = any(%s) "
        "and table_name <> 'label_sync_state' order by 1, 2", (list(schemas),))]
    return {name: conn.execute(f"select md5(coalesce(string_agg(r::text, '|' order by r::text), '')) "
                               f"from {name} as r").fetchone()[0] for name in names}


@pytest.fixture(scope="module")
def built_once(server_url, tmp_path_factory, airflow_db) -> tuple[Path, Path, str]:
    """(full landing area, landing area without its last day, URL of the warehouse the DAG built from
    it): one DAG run for the module; each test works on copies of both (fixtures db_url, built)."""
    full = tmp_path_factory.mktemp("restatement") / "full"
    generate_landing(full, end=END, scale=0.1)
    landing = full.parent / "landing"
    landing.mkdir()
    for folder in sorted(f for f in full.iterdir() if f.is_dir())[:-1]:  # everything but the last day
        shutil.copytree(folder, landing / folder.name)
    url = make_database(server_url, "restatement_built")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CGF_WAREHOUSE_URL", url)
        env.setenv("CGF_LANDING_DIR", str(landing))
        env.setenv("CGF_RETRY_DELAY_SECONDS", "1")
        assert run_nightly().succeeded
    return full, landing, url


@pytest.fixture
def db_url(server_url, built_once, request) -> str:
    """The test's copy of the built warehouse."""
    return make_database(server_url, request.node.name, template_url=built_once[2])


@pytest.fixture
def built(built_once, db_url, tmp_path, monkeypatch):
    full, built_landing, _ = built_once
    landing = tmp_path / "landing"
    shutil.copytree(built_landing, landing)
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")
    return full, landing


def test_one_new_day_processes_that_day_only(built, db_url):
    full, landing = built
    shutil.copytree(folder_of(full, END), folder_of(landing, END))
    unit_key = "activity_date::text || handling_branch_code || coalesce(owning_branch_code, '') || program_code"
    with psycopg.connect(db_url) as conn:
        before = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")
        days_before = row_versions(conn, "marts.fct_operating_multiple_daily", "as_of_date", "as_of_date")
        facts_before = row_versions(conn, "marts.fct_guarantee_events", "event_date", "source_kind || event_key")
        units_before = row_versions(conn, "intermediate.int_daily_branch_program_changes", "activity_date", unit_key)
    assert run_nightly().succeeded
    with psycopg.connect(db_url) as conn:
        after = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")
        days_after = row_versions(conn, "marts.fct_operating_multiple_daily", "as_of_date", "as_of_date")
        facts_after = row_versions(conn, "marts.fct_guarantee_events", "event_date", "source_kind || event_key")
        units_after = row_versions(conn, "intermediate.int_daily_branch_program_changes", "activity_date", unit_key)
    new_keys = set(after) - set(before)
    assert new_keys and all(after[k][0] == END for k in new_keys)
    assert {k: after[k] for k in before} == before  # no earlier event row rewritten
    assert {d: days_after[d] for d in days_before} == days_before
    assert max(days_after) == END
    # nor a row of the event fact (its label post-hooks read no old row: the seeds did not change)
    assert {k: facts_after[k] for k in facts_before} == facts_before
    assert {k: units_after[k] for k in units_before} == units_before and max(units_after.values())[0] == END


def test_resent_day_recomputes_from_that_day_on(built, db_url, tmp_path):
    _full, landing = built
    with psycopg.connect(db_url) as conn:
        supply_before = conn.execute(
            "select supply_amount_krw from marts.rpt_supply_yearly where year = 2019").fetchone()[0]
        balances_before = dict(conn.execute(
            "select as_of_date, guarantee_balance_krw from marts.fct_operating_multiple_daily").fetchall())
        events_before = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")

    changed_event = resend_with_changed_amount(folder_of(landing, RESENT), "NEW", 1_000_000)
    assert run_nightly().succeeded

    with psycopg.connect(db_url) as conn:
        supply_after = conn.execute(
            "select supply_amount_krw from marts.rpt_supply_yearly where year = 2019").fetchone()[0]
        balances_after = dict(conn.execute(
            "select as_of_date, guarantee_balance_krw from marts.fct_operating_multiple_daily").fetchall())
        events_after = row_versions(conn, "intermediate.int_guarantee_events", "event_date", "event_key")
        amount = conn.execute("select amount_krw, balance_after_krw from intermediate.int_guarantee_events "
                              "where event_key = %s", (changed_event,)).fetchone()
        versions = conn.execute("select status from ops.deliveries where delivery_date = %s order by load_id",
                                (RESENT,)).fetchall()
    assert supply_after - supply_before == 1_000_000
    assert amount[0] == amount[1]  # the NEW event sets the balance to its (new) amount
    assert balances_after[RESENT] - balances_before[RESENT] == 1_000_000
    assert all(balances_after[d] == balances_before[d] for d in balances_before if d < RESENT)
    assert versions == [("SUPERSEDED",), ("LOADED",)]
    untouched = {k: v for k, v in events_before.items() if v[0] < RESENT}
    assert {k: events_after[k] for k in untouched} == untouched
    rewritten = [k for k, v in events_before.items() if v[0] >= RESENT and events_after[k][1] != v[1]]
    assert rewritten  # rows from the re-sent day on were recomputed
    # and every later figure with them: the incremental marts equal a rebuild from scratch
    with psycopg.connect(db_url) as conn:
        monthly = conn.execute("select sum(supply_amount_krw) from marts.fct_supply_balance_monthly "
                               "where month_start_date = %s", (RESENT.replace(day=1),)).fetchone()[0]
        restated = relation_contents(conn)
    target = tmp_path / "rebuild"
    rebuilt = dbt(db_url, target, "run", "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    with psycopg.connect(db_url) as conn:
        assert relation_contents(conn) == restated
        assert conn.execute("select sum(supply_amount_krw) from marts.fct_supply_balance_monthly "
                            "where month_start_date = %s", (RESENT.replace(day=1),)).fetchone()[0] == monthly


def test_a_night_tests_only_the_days_it_restated(built, db_url, tmp_path):
    """The night's dbt tests of the incremental models read the restated days (dbt_project/macros/
    test_window.sql): a flaw in a day built and tested before is not read again; a test of the whole
    history (dbt by hand, test_window unset) still finds it."""
    full, landing = built
    with psycopg.connect(db_url) as conn:
        flawed = conn.execute("update intermediate.int_guarantee_events set guarantee_id = null where event_key = "
                              "(select min(event_key) from intermediate.int_guarantee_events where event_date = %s) "
                              "returning event_key", (RESENT,)).fetchone()
    assert flawed
    shutil.copytree(folder_of(full, END), folder_of(landing, END))
    assert run_nightly().succeeded  # its not_null_columns test of int_guarantee_events read END only

    with psycopg.connect(db_url) as conn:  # END pending again, as it was during the night's build
        conn.execute("update ops.deliveries set dbt_built_at = null where delivery_date = %s", (END,))
    nightly = dbt(db_url, tmp_path / "nightly", "compile", "--select", "int_guarantee_events,resource_type:test",
                  "--vars", json.dumps(NIGHTLY_DBT_VARS))
    assert nightly.returncode == 0, nightly.stdout[-3000:]
    [compiled] = (tmp_path / "nightly" / "compiled").rglob("not_null_columns_int_guarantee_events_.sql")
    assert f"\"event_date\" >= date '{END}'" in compiled.read_text()

    whole = dbt(db_url, tmp_path / "whole", "test", "--select", "not_null_columns_int_guarantee_events_")
    assert whole.returncode != 0
    [result] = [r for r in json.loads((tmp_path / "whole" / "run_results.json").read_text())["results"]
                if r["unique_id"].startswith("test.")]  # not the project's on-run-start hook
    assert (result["status"], result["failures"]) == ("fail", 1)
    [compiled] = (tmp_path / "whole" / "compiled").rglob("not_null_columns_int_guarantee_events_.sql")
    assert "event_date" not in compiled.read_text()


def test_label_columns_are_synced_once_per_seed_version(built, db_url):
    """The incremental marts' label post-hooks rewrite stored rows only when the seed changed since
    their last sync (intermediate.label_sync_state): not every night."""
    _full, _landing = built
    with psycopg.connect(db_url) as conn:
        synced = dict(conn.execute("select label_column, seed_checksum from intermediate.label_sync_state "
                                   "where relation_name = 'marts.fct_guarantee_events'").fetchall())
        assert set(synced) >= {"event_type_ko", "status_after_ko", "bank_name", "program_name"}
        # a stored label out of line with the seed, the seed not changed since the last sync: left alone
        conn.execute("update marts.fct_guarantee_events set event_type_ko = 'stale' where event_date = %s", (RESENT,))
    with psycopg.connect(db_url) as conn:  # re-build the last day only
        conn.execute("update ops.deliveries set dbt_built_at = null where delivery_date = "
                     "(select max(delivery_date) from ops.deliveries)")
    assert run_nightly().succeeded
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from marts.fct_guarantee_events where event_type_ko = 'stale'"
                            ).fetchone()[0] > 0
        # a new seed version (here: the sync forgotten) brings every stored row in line with the seed
        conn.execute("delete from intermediate.label_sync_state where label_column = 'event_type_ko'")
        conn.execute("update ops.deliveries set dbt_built_at = null where delivery_date = "
                     "(select max(delivery_date) from ops.deliveries)")
    assert run_nightly().succeeded
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from marts.fct_guarantee_events where event_type_ko = 'stale'"
                            ).fetchone()[0] == 0
        assert conn.execute("select seed_checksum from intermediate.label_sync_state where relation_name = "
                            "'marts.fct_guarantee_events' and label_column = 'event_type_ko'").fetchone()[0] == \
            synced["event_type_ko"]
