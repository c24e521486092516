"""Shared fixtures: a real PostgreSQL (embedded, or CGF_WAREHOUSE_URL's server), fresh databases
that are dropped when the session ends, the demo landing areas generated once per session, and a
project-local Airflow home for the tests."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
# CGF_TEST_STATE: another folder lets two test sessions run side by side (with CGF_TEST_PG_PORT)
TEST_STATE = Path(os.environ.get("CGF_TEST_STATE", ROOT / "var" / "test"))
# under pytest-xdist (make test runs two workers) each worker has its own server, Airflow home and state
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)
WORKER_STATE = TEST_STATE / WORKER

# Airflow reads its settings at import time: point it at a test home before anything imports it.
os.environ.setdefault("CGF_HOME", str(WORKER_STATE))
os.environ["AIRFLOW_HOME"] = str(WORKER_STATE / "airflow")

from include.orchestration import airflow_env  # noqa: E402
from include.warehouse import embedded  # noqa: E402

airflow_env.configure()

TEST_PORT = int(os.environ.get("CGF_TEST_PG_PORT", "55433")) + 10 * WORKER_INDEX
_SERVER_URL = os.environ.get("CGF_WAREHOUSE_URL")


# the customer-key secret of the landing areas the tests write (not the generator's: those need one);
# the demo warehouse is built without it, as `make run` builds the demo (tests/test_customer_key.py)
os.environ.setdefault("CGF_CUSTOMER_KEY_SECRET", "cgf-test-session-customer-key-secret")

# names the databases of this session, which are dropped when it ends (test modules that import
# make_database get their own copy of this module: the token lives in the environment)
SESSION_TOKEN = os.environ.setdefault("CGF_TEST_SESSION", uuid.uuid4().hex[:6])


# the modules that read the built demo marts (fixture demo_warehouse): under `make test` (--dist loadfile)
# they run on one xdist worker, so the demo is built once, not once per worker (it costs minutes of a core)
DEMO_WAREHOUSE_MODULES = ("tests/test_acceptance_report.py", "tests/test_council_report.py",
                          "tests/test_customer_key.py", "tests/test_export.py", "tests/test_forecast.py")


# the modules that take longest (minutes of DAG runs), longest first: under `make test` (--dist loadfile)
# the workers start with them, instead of one worker finishing the last long module alone while the
# other has nothing left (a scheduling hint only: a module missing here runs after them, in file order)
LONGEST_FIRST = ("tests/test_restatement.py", "tests/test_alerts.py", "tests/test_celery_executor.py",
                 *DEMO_WAREHOUSE_MODULES, "tests/test_independent_delivery.py", "tests/test_console.py",
                 "tests/test_cli.py", "tests/faults/test_marts.py", "tests/test_pipeline_e2e.py")


def pytest_collection_modifyitems(items) -> None:
    users = {item.nodeid.split("::", 1)[0] for item in items if "demo_warehouse" in item.fixturenames}
    if unlisted := users - set(DEMO_WAREHOUSE_MODULES):
        raise pytest.UsageError(f"add {sorted(unlisted)} to DEMO_WAREHOUSE_MODULES in tests/conftest.py")
    rank = {module: position for position, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: file order kept


def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, but the DEMO_WAREHOUSE_MODULES are one scope (one worker runs them all)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class DemoWarehouseOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "demo_warehouse" if module in DEMO_WAREHOUSE_MODULES else module

    return DemoWarehouseOnOneWorker(config, log)


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of a database on the test server (the embedded one unless CGF_WAREHOUSE_URL is set)."""
    if _SERVER_URL:
        yield _SERVER_URL
        drop_created_databases(_SERVER_URL)
        return
    already_running = embedded.is_accepting(embedded.embedded_url(TEST_PORT))
    pgdata = TEST_STATE / f"pgdata-{TEST_PORT}"
    url = embedded.start(pgdata=pgdata, port=TEST_PORT)
    with psycopg.connect(url, autocommit=True) as conn:  # a test server: keep its WAL small on disk
        conn.execute("alter system set max_wal_size = '256MB'")
        conn.execute("select pg_reload_conf()")
    yield url
    drop_created_databases(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")  # lets the server recycle the WAL of what was dropped
    if not already_running:  # another test session may share it: the one that started it stops it
        embedded.stop(pgdata)


def make_database(server_url: str, name: str, template_url: str | None = None) -> str:
    """A fresh database on the test server, empty or a copy of the database of `template_url`
    (CREATE DATABASE … TEMPLATE: a file copy, its sessions ended first); returns its URL. Dropped
    when the session ends."""
    name = f"{re.sub(r'[^a-z0-9_]', '_', name.lower())[:36]}_{SESSION_TOKEN}_{uuid.uuid4().hex[:4]}"
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if template_url is None:
            conn.execute(f'create database "{name}"')
        else:
            template = template_url.rsplit("/", 1)[1]
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (template,))
            conn.execute(f'create database "{name}" template "{template}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_created_databases(server_url: str) -> None:
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        names = [n for (n,) in conn.execute("select datname from pg_database where datname like %s",
                                            (f"%\\_{SESSION_TOKEN}\\_%",))]
        for name in names:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    """The demo landing area (822 deliveries, the foundation's figures), generated once per session.

    Read-only for the tests, like any landing area: copy what a test needs to change.
    """
    from include.demo.generator import generate_landing

    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate_landing(landing)
    return landing


@pytest.fixture(scope="session")
def breach_landing(tmp_path_factory) -> Path:
    """The demo's breach scenario (the multiple above 10× in March 2021), generated once per session."""
    from include.demo.generator import generate_landing

    landing = tmp_path_factory.mktemp("breach") / "landing"
    generate_landing(landing, scenario="breach")
    return landing


@pytest.fixture(scope="session")
def demo_warehouse(server_url, demo_landing, airflow_db, tmp_path_factory) -> dict:
    """The demo warehouse built once per session by the real nightly DAG (its modules share a worker).

    Shared by the modules that read the built marts (acceptance figures, export, forecast, council
    report): each full build costs a minute of both cores. A test that changes it puts it back.
    Built without CGF_CUSTOMER_KEY_SECRET: its customer keys use the demo secret.
    Returns the URL and the folder the nightly export_workbook task wrote to.
    """
    from include.orchestration.dag_runner import run_nightly

    url = make_database(server_url, "demo_warehouse")
    nightly_exports = tmp_path_factory.mktemp("nightly_exports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CGF_WAREHOUSE_URL", url)
        mp.setenv("CGF_LANDING_DIR", str(demo_landing))
        mp.setenv("CGF_EXPORT_DIR", str(nightly_exports))
        mp.setenv("CGF_RETRY_DELAY_SECONDS", "1")
        mp.delenv("CGF_CUSTOMER_KEY_SECRET")  # the demo as `make run` builds it: the demo secret
        result = run_nightly()
    assert result.succeeded, result
    return {"url": url, "nightly_exports": nightly_exports}


@pytest.fixture
def db_url(server_url, request) -> str:
    return make_database(server_url, request.node.name)


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url) as connection:
        yield connection


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata DB (SQLite in the test AIRFLOW_HOME), migrated once."""
    airflow_env.ensure_metadata_db()
    from airflow import settings

    if settings.Session is None:
        settings.configure_orm()
    return settings
