"""The platform of `make up` with its real executor (issue 8): Redis, two Celery workers and the
Airflow services against a test warehouse; one cgf_nightly run triggered through the REST API,
one worker killed with SIGKILL while the run's load is on it, and the marts compared with an
in-process run (dag.test()) over the same deliveries.

One platform and one run for the module (module-scoped fixtures); each test asserts one outcome.
"""
from __future__ import annotations

import csv
import json
import shutil
import socket
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.ingest.contract import FILES, REPAYMENTS
from include.ingest.loader import LOAD_LOCK_ID
from include.ingest.schema import ensure_schemas
from include.orchestration import platform
from include.orchestration.dag_runner import run_nightly
from include.warehouse.db import airflow_connection_uri
from tests.conftest import WORKER_INDEX, WORKER_STATE, make_database

END = date(2019, 1, 20)  # 21 deliveries from the cut-over: a run of 1-2 min on the platform
LOGICAL_DATE = "2019-01-21T02:00:00+09:00"  # the night after the last delivery
HEARTBEAT_TIMEOUT_S = 15  # Airflow's 300 s would keep the killed task "running" for 5 minutes
RUN_TIMEOUT_S = 240
WORKER_NAMES = set(platform.WORKERS)


# --- the REST API, the metadata database, the logs ------------------------------------------------

class RestApi:
    """Airflow's REST API as a client sees it: a token from /auth/token, then bearer requests."""

    def __init__(self, base: str, password: str):
        self.base = base
        token = self._send("POST", "/auth/token", {"username": "admin", "password": password}, headers={})
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        return self._send(method, path, body, self.headers)

    def _send(self, method: str, path: str, body: dict | None, headers: dict) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={**headers, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def exists(self, path: str) -> bool:
        try:
            self.call("GET", path)
            return True
        except OSError:  # urllib's HTTPError (404 until the DAG is parsed) and connection errors
            return False


def logs_tail(lines: int = 25) -> str:
    """The last lines of the platform's logs, for the message of a failed wait or assertion."""
    parts = []
    for log in sorted(platform.platform_dir().glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {log.name} ---\n" + "\n".join(tail))
    return "\n".join(parts)


def wait_for(condition, what: str, timeout: float, every: float = 0.5):
    """Polls `condition` until it returns something true; fails with the logs' tail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"no {what} after {timeout} s\n{logs_tail()}")


@dataclass(frozen=True)
class Try:
    task_id: str
    try_number: int
    hostname: str
    state: str | None


def task_tries(meta_url: str, run_id: str) -> list[Try]:
    """Every try of every task of the run: the final ones (task_instance) and the earlier ones
    (task_instance_history, where Airflow keeps a try when the task is retried)."""
    with psycopg.connect(meta_url) as conn:
        rows = conn.execute(
            "select task_id, try_number, hostname, state from task_instance "
            "where dag_id = 'cgf_nightly' and run_id = %s and map_index = -1 "
            "union all select task_id, try_number, hostname, state from task_instance_history "
            "where dag_id = 'cgf_nightly' and run_id = %s and map_index = -1 "
            "order by task_id, try_number", (run_id, run_id)).fetchall()
    return [Try(*row) for row in rows]


# --- the landing area and its manifests ----------------------------------------------------------

@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("celery") / "landing"
    generate_landing(landing, end=END, scale=0.05)
    return landing


def manifest_counts(landing: Path) -> Counter:
    """(file, delivery day) → rows, as the deliveries' manifests state them."""
    counts = Counter()
    for manifest in landing.glob("*/manifest.csv"):
        day = datetime.strptime(manifest.parent.name, "%Y%m%d").date()
        with manifest.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if int(row["rows"]):
                    counts[row["file"], day] = int(row["rows"])
    return counts


def raw_counts(url: str) -> Counter:
    counts = Counter()
    with psycopg.connect(url) as conn:
        for spec in FILES:
            for day, rows in conn.execute(f"select delivery_date, count(*) from raw.{spec.table} group by 1"):
                counts[spec.name, day] = rows
    return counts


def delivery_to_hold(landing: Path) -> tuple[date, str]:
    """The last delivery with repayments, and its first repayment id: the test holds that key so
    that the load blocks inside this delivery's transaction, after the deliveries before it."""
    day = max(day for name, day in manifest_counts(landing) if name == REPAYMENTS.name)
    path = landing / f"{day:%Y%m%d}" / REPAYMENTS.name
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:  # the ids are ASCII in any encoding
        return day, next(csv.DictReader(f))["repayment_id"]


# --- the run on the platform ---------------------------------------------------------------------

@dataclass
class NightOnCelery:
    run: dict  # the dag run, as the REST API returns it
    tries: list[Try]
    killed: Try  # the try that was on the worker when it was killed
    loaded_before_kill: int  # deliveries the killed load had committed
    held_day: date
    warehouse_url: str
    logs: str

    def final(self, task_id: str) -> Try:
        return max((t for t in self.tries if t.task_id == task_id), key=lambda t: t.try_number)


def free_ports(start: int, count: int) -> int:
    """The first of `count` free ports in a row, from `start` on in steps of 10. Below the kernel's
    ephemeral range (32768+), where no client socket of the session can be holding one."""
    def free(port: int) -> bool:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return True
            except OSError:
                return False

    for first in range(start, start + 100, 10):
        if all(free(port) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} free ports in a row in {start}..{start + 99}")


def platform_env(warehouse_url: str, meta_url: str) -> dict[str, str]:
    """The platform's settings for this test worker: its own home, ports and databases."""
    return {
        "CGF_HOME": str(WORKER_STATE / "celery_platform"),
        "CGF_WAREHOUSE_URL": warehouse_url,
        "CGF_AIRFLOW_DB_URL": meta_url,
        "CGF_AIRFLOW_PORT": str(free_ports(28000 + 100 * WORKER_INDEX, 5)),  # P .. P+4: see platform.py
        "CGF_REDIS_PORT": str(free_ports(26300 + 100 * WORKER_INDEX, 1)),
        "CGF_RETRY_DELAY_SECONDS": "1",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    }


@pytest.fixture(scope="module")
def night(server_url, landing) -> NightOnCelery:
    """The platform up (the DAG paused), the run triggered and its load killed mid-way; the
    platform always stopped at the end, whatever happened."""
    warehouse_url = make_database(server_url, "celery_warehouse")
    meta_url = make_database(server_url, "celery_airflow")
    with pytest.MonkeyPatch.context() as env:
        for name, value in {**platform_env(warehouse_url, meta_url), "CGF_LANDING_DIR": str(landing)}.items():
            env.setenv(name, value)
        platform.down()  # what a session killed before its teardown may have left
        shutil.rmtree(platform.platform_dir(), ignore_errors=True)
        try:
            start_platform()
            yield run_with_a_killed_worker(warehouse_url, meta_url, landing)
        finally:
            platform.down()


def start_platform() -> None:
    """`up` with cgf_nightly left paused (see trigger); what stopped while starting, with its log."""
    try:
        platform.up(unpause=False)
    except SystemExit as stopped:
        raise AssertionError(f"{stopped}\n{logs_tail()}") from None


def run_with_a_killed_worker(warehouse_url: str, meta_url: str, landing: Path) -> NightOnCelery:
    """The load is held inside one delivery's transaction, its worker killed, the hold released."""
    held_day, held_key = delivery_to_hold(landing)
    with psycopg.connect(warehouse_url, autocommit=True) as gate, psycopg.connect(warehouse_url) as hold:
        ensure_schemas(gate)
        gate.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_ID,))  # the loader's own lock, as `cgf load` takes it
        api = RestApi(platform.api_url(), platform.admin_password())
        run_id = trigger(api)
        wait_for(lambda: loader_waits(warehouse_url, "advisory"), "load waiting for the load lock", timeout=120)
        # only now, the load being past its `create index if not exists` (whose lock the key's insert
        # would hold it at): a repayment of the held delivery, not committed, that its COPY waits for
        hold.execute("insert into raw.repayments (repayment_id, delivery_date, source_file, line_no, load_id) "
                     "values (%s, %s, 'held by the test', 0, 0)", (held_key, held_day))
        gate.execute("select pg_advisory_unlock(%s)", (LOAD_LOCK_ID,))
        wait_for(lambda: loader_waits(warehouse_url, "transactionid"), "load waiting for the held key", timeout=30)
        killed = load_running(meta_url, run_id)
        loaded_before_kill = loaded_deliveries(warehouse_url)
        pid = platform.Process(killed.hostname, []).pid()
        assert pid, f"{killed.hostname} is not running\n{logs_tail()}"
        platform.kill_session(pid)
        hold.rollback()  # the retry finds the key free
    wait_for(lambda: load_retried(meta_url, run_id), "the load's retry on a worker", timeout=90)
    start_platform()  # the killed worker back (as after a crash), for the rest of the run
    run = wait_for(lambda: finished(api, run_id), "end of the run", timeout=RUN_TIMEOUT_S, every=2)
    return NightOnCelery(run, task_tries(meta_url, run_id), killed, loaded_before_kill, held_day, warehouse_url,
                         logs_tail())


def trigger(api: RestApi) -> str:
    """A run of the night after the last delivery, then the DAG unpaused.

    Its run_after is its own night, long past: unpausing makes the scheduler create the run of the
    latest night too (catchup=False), and with max_active_runs=1 queued runs start in run_after
    order, so this one goes first (that other run then waits for a delivery that never comes).
    """
    wait_for(lambda: api.exists("/api/v2/dags/cgf_nightly"), "cgf_nightly parsed", timeout=120)
    run = api.call("POST", "/api/v2/dags/cgf_nightly/dagRuns",
                   {"dag_run_id": "celery_test", "logical_date": LOGICAL_DATE, "run_after": LOGICAL_DATE})
    api.call("PATCH", "/api/v2/dags/cgf_nightly", {"is_paused": False})
    return run["dag_run_id"]


def loader_waits(warehouse_url: str, wait_event: str) -> bool:
    """A session of the warehouse (the load's) waits for a lock: `advisory`, or `transactionid` (a key
    held by another transaction)."""
    with psycopg.connect(warehouse_url) as conn:
        return conn.execute("select count(*) from pg_stat_activity where datname = current_database() "
                            "and wait_event_type = 'Lock' and wait_event = %s", (wait_event,)).fetchone()[0] > 0


def load_running(meta_url: str, run_id: str) -> Try:
    (running,) = [t for t in task_tries(meta_url, run_id) if t.task_id == "load_deliveries"]
    assert running.state == "running" and running.hostname in WORKER_NAMES, running
    return running


def load_retried(meta_url: str, run_id: str) -> Try | None:
    """The load's next try, once a worker has it."""
    retries = [t for t in task_tries(meta_url, run_id)
               if t.task_id == "load_deliveries" and t.try_number > 1 and t.hostname]
    return retries[0] if retries else None


def loaded_deliveries(warehouse_url: str) -> int:
    with psycopg.connect(warehouse_url) as conn:
        return conn.execute("select count(*) from ops.deliveries where status = 'LOADED'").fetchone()[0]


def finished(api: RestApi, run_id: str) -> dict | None:
    run = api.call("GET", f"/api/v2/dags/cgf_nightly/dagRuns/{run_id}")
    return run if run["state"] in ("success", "failed") else None


# --- the same deliveries, in process -------------------------------------------------------------

@pytest.fixture(scope="module")
def in_process_url(server_url, landing, airflow_db, tmp_path_factory) -> str:
    """The warehouse of a dag.test() run of the same night over the same landing area."""
    url = make_database(server_url, "celery_reference")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CGF_HOME", str(tmp_path_factory.mktemp("in_process_home")))
        env.setenv("CGF_WAREHOUSE_URL", url)
        env.setenv("CGF_LANDING_DIR", str(landing))
        env.setenv("CGF_RETRY_DELAY_SECONDS", "1")
        env.setenv("AIRFLOW_CONN_CGF_WAREHOUSE", airflow_connection_uri(url))  # restored afterwards
        result = run_nightly(END + timedelta(days=1))
    assert result.succeeded, result
    return url


# Compared by rank, not value: load ids come from a sequence, and the load killed mid-delivery took
# one that its rolled-back transaction does not give back (a gap), so only their order must agree.
BY_RANK = {"load_id"}


def marts_hashes(url: str) -> dict[str, str]:
    """Every table and view of schema marts → one hash of its rows, in any order."""
    columns = defaultdict(list)
    with psycopg.connect(url) as conn:
        for table, column in conn.execute("select table_name, column_name from information_schema.columns "
                                          "where table_schema = 'marts' order by table_name, ordinal_position"):
            columns[table].append(f'dense_rank() over (order by "{column}")' if column in BY_RANK else f'"{column}"')
        return {table: conn.execute(f"select md5(coalesce(string_agg(h, '' order by h), '')) from "
                                    f"(select md5(row({', '.join(cols)})::text) as h from marts.{table}) as r"
                                    ).fetchone()[0]
                for table, cols in columns.items()}


# --- the outcomes --------------------------------------------------------------------------------

def test_the_run_triggered_through_the_rest_api_succeeds(night):
    assert night.run["state"] == "success", night.logs
    assert night.run["run_type"] == "manual" and night.run["logical_date"].startswith("2019-01-20T17:00:00")
    final = [night.final(task_id) for task_id in sorted({t.task_id for t in night.tries})]
    assert [t for t in final if t.state not in ("success", "skipped")] == [], night.logs


def test_tasks_ran_on_both_workers(night):
    """Both workers ran final tries: the killed one, started again, took tasks again. (A task with
    no hostname ran on none: the scheduler marks an EmptyOperator done itself.)"""
    final = [night.final(task_id) for task_id in {t.task_id for t in night.tries}]
    assert {t.hostname for t in final if t.hostname} == WORKER_NAMES, final
    # the per-model tasks run on the workers (a one-process run marks them instead: dag_runner)
    model_tasks = [t for t in final if t.task_id.startswith("dbt_build.") and t.task_id.endswith("_run")]
    assert len(model_tasks) >= 30 and all(t.hostname in WORKER_NAMES for t in model_tasks), model_tasks


def test_the_killed_load_was_retried_on_the_other_worker(night):
    assert night.killed.task_id == "load_deliveries" and night.killed.try_number == 1
    # the scheduler failed the killed try when its heartbeats stopped, and retried it
    assert Try("load_deliveries", 1, night.killed.hostname, "failed") in night.tries, night.tries
    final = night.final("load_deliveries")
    assert final.state == "success" and final.try_number >= 2, night.tries
    assert final.hostname in WORKER_NAMES - {night.killed.hostname}, night.tries


def test_the_killed_load_had_committed_part_of_the_deliveries(night, landing):
    """The kill hit mid-load: the deliveries before the held one loaded, the held one not."""
    deliveries = sorted(f.name for f in landing.iterdir() if f.is_dir())
    assert 0 < night.loaded_before_kill == deliveries.index(night.held_day.strftime("%Y%m%d"))


def test_raw_rows_equal_the_manifests_nothing_doubled(night, landing):
    assert raw_counts(night.warehouse_url) == manifest_counts(landing)
    with psycopg.connect(night.warehouse_url) as conn:
        statuses = conn.execute("select delivery_date, status from ops.deliveries order by load_id").fetchall()
    assert Counter(status for _, status in statuses) == {"LOADED": len([f for f in landing.iterdir() if f.is_dir()])}
    assert len({day for day, _ in statuses}) == len(statuses)  # each delivery once


def test_the_marts_equal_an_in_process_run_row_by_row(night, in_process_url):
    celery, in_process = marts_hashes(night.warehouse_url), marts_hashes(in_process_url)
    assert celery.keys() == in_process.keys() and len(celery) > 10
    differing = sorted(name for name in celery if celery[name] != in_process[name])
    assert differing == []

