"""customer_key: HMAC-SHA256 with a secret key, computed by the loader; the secret never reaches the
database, a view, a function, compiled dbt or a log. The demo secret only for the generator's
landing area; any other landing area without CGF_CUSTOMER_KEY_SECRET is refused before loading."""
from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from include import cli
from include.demo.generator import generate_landing
from include.ingest import customer_key
from include.ingest.customer_key import CustomerKeySecretMissing
from include.ingest.loader import load_landing, rekey_warehouse
from tests.conftest import WORKER_STATE
from tests.landing_factory import good_delivery, write_delivery

D1 = date(2019, 1, 2)
DEMO_SECRET = "cgf-demo-customer-key-secret"  # the demo constant, written here independently
SESSION_SECRET = os.environ["CGF_CUSTOMER_KEY_SECRET"]  # tests/conftest.py


def expected_key(secret: str, number: str) -> str:
    return hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()


def raw_keys(conn) -> list[tuple[str, str]]:
    return conn.execute("select business_reg_no, customer_key from raw.guarantees order by event_id").fetchall()


@pytest.fixture
def landing(tmp_path) -> Path:
    """A landing area that is not the generator's: one good delivery."""
    write_delivery(tmp_path / "landing", D1, good_delivery(D1))
    return tmp_path / "landing"


def test_the_key_is_the_hmac_of_the_number_with_the_secret(conn, landing):
    load_landing(conn, landing).raise_for_rejection()
    keys = raw_keys(conn)
    assert keys and all(key == expected_key(SESSION_SECRET, number) for number, key in keys)
    assert customer_key.DEMO_SECRET == DEMO_SECRET


def test_a_landing_area_not_the_generators_without_a_secret_is_refused_before_loading(
        conn, landing, monkeypatch):
    monkeypatch.delenv("CGF_CUSTOMER_KEY_SECRET")
    with pytest.raises(CustomerKeySecretMissing, match="CGF_CUSTOMER_KEY_SECRET is not set") as refused:
        load_landing(conn, landing)
    assert str(landing) in str(refused.value) and "Nothing was loaded" in str(refused.value)
    assert conn.execute("select to_regclass('raw.guarantees'), to_regclass('ops.deliveries')").fetchone() == (
        None, None)  # stopped before even the schemas


def test_cgf_load_and_run_print_the_refusal_and_exit_1(db_url, landing, monkeypatch, capsys):
    monkeypatch.delenv("CGF_CUSTOMER_KEY_SECRET")
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    assert cli.main(["load"]) == 1
    assert "[cgf] CGF_CUSTOMER_KEY_SECRET is not set" in capsys.readouterr().err
    assert cli.main(["run"]) == 1
    assert "the run stopped: CustomerKeySecretMissing: CGF_CUSTOMER_KEY_SECRET is not set" in capsys.readouterr().out
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select to_regclass('raw.guarantees')").fetchone()[0] is None


def test_the_generators_landing_area_loads_with_the_demo_secret_and_its_marker_is_no_entry(
        conn, tmp_path, monkeypatch):
    monkeypatch.delenv("CGF_CUSTOMER_KEY_SECRET")
    demo = tmp_path / "demo"
    generate_landing(demo, end=date(2019, 1, 1), scale=0.05)
    assert (demo / "cgf-demo-landing.json").is_file()
    report = load_landing(conn, demo).raise_for_rejection()
    assert len(report.loaded) == 2 and report.ignored == []
    assert conn.execute("select count(*) from ops.ignored_landing_entries").fetchone()[0] == 0
    keys = raw_keys(conn)
    assert keys and all(key == expected_key(DEMO_SECRET, number) for number, key in keys)


def test_rows_loaded_before_the_column_existed_get_their_key(conn, landing):
    """A warehouse of a release that hashed in SQL: the column is added and filled on start."""
    load_landing(conn, landing).raise_for_rejection()
    conn.execute("alter table raw.guarantees drop column customer_key")
    conn.execute("drop table ops.cgf_alembic_version")  # a release before the migrations kept no version
    conn.commit()
    assert load_landing(conn, landing).already_loaded == 1
    keys = raw_keys(conn)
    assert keys and all(key == expected_key(SESSION_SECRET, number) for number, key in keys)


def test_rekey_changes_every_key_and_nothing_else(conn, db_url, landing, monkeypatch, capsys):
    load_landing(conn, landing).raise_for_rejection()
    conn.commit()
    before = conn.execute("select * from raw.guarantees order by event_id").fetchall()
    conn.commit()  # an open transaction would hold the rekey's migration back
    monkeypatch.setenv("CGF_CUSTOMER_KEY_SECRET", "a-new-secret")
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    assert cli.main(["warehouse", "rekey"]) == 0
    assert f"customer_key recomputed for {len(before)} raw.guarantees rows" in capsys.readouterr().out
    after = conn.execute("select * from raw.guarantees order by event_id").fetchall()
    position = [d.name for d in conn.execute("select * from raw.guarantees limit 0").description].index(
        "customer_key")
    without_key = [row[:position] + row[position + 1:] for row in before]
    assert [row[:position] + row[position + 1:] for row in after] == without_key
    assert all(old[position] != new[position] for old, new in zip(before, after))
    assert [row[position] for row in after] == [expected_key("a-new-secret", n) for n, _ in raw_keys(conn)]
    assert rekey_warehouse(conn, landing) == len(before)  # again: the same keys, no harm


# --- the built demo warehouse: the secret is nowhere ---------------------------------------------------

def _texts_of_database(url: str) -> list[str]:
    """View definitions, function sources, and the comments and defaults of the whole database."""
    with psycopg.connect(url) as conn:
        return [text or "" for (text,) in conn.execute(
            "select definition from pg_views union all select definition from pg_matviews "
            "union all select prosrc from pg_proc union all select description from pg_description "
            "union all select pg_get_expr(adbin, adrelid) from pg_attrdef")]


def _files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def _dbt(args: list[str], url: str, target: Path, logs: Path) -> None:
    from include.transform.cosmos_dbt import dbt_env
    from include.warehouse.settings import DBT_PROJECT_DIR

    env = {**os.environ, **dbt_env(url), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(logs)}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR),
                    "--profiles-dir", str(DBT_PROJECT_DIR)], check=True, env=env, capture_output=True)


def test_no_view_function_compiled_model_or_log_holds_the_secret(demo_warehouse, tmp_path):
    url = demo_warehouse["url"]
    with psycopg.connect(url) as conn:  # the demo was built without a secret: the demo constant
        number, key = conn.execute("select business_reg_no, customer_key from staging.stg_guarantee_events "
                                   "limit 1").fetchone()
        assert key == expected_key(DEMO_SECRET, number)
        assert conn.execute("select count(*) from marts.fct_guarantee_events where customer_key is not null "
                            "and length(customer_key) = 64").fetchone()[0] > 0
    target, logs = tmp_path / "target", tmp_path / "logs"
    _dbt(["compile", "--select", "stg_guarantee_events+"], url, target, logs)
    _dbt(["run", "--select", "stg_guarantee_events"], url, target, logs)  # the view, as it is
    compiled = _files_under(target / "compiled", target / "run")
    assert any(p.name == "stg_guarantee_events.sql" for p in compiled)
    log_files = _files_under(logs, WORKER_STATE / "logs", WORKER_STATE / "airflow" / "logs")
    assert any("dbt" in p.read_text(errors="replace") for p in log_files)
    for text in [*_texts_of_database(url), *(p.read_text(errors="replace") for p in compiled + log_files)]:
        for secret in (DEMO_SECRET, SESSION_SECRET):
            assert secret not in text
