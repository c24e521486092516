"""Killed processes: a loader killed with SIGKILL mid-load, and the warehouse server stopped
mid-load. Each delivery is one transaction, so what was committed stays, the delivery in flight
leaves nothing, and the next load finishes the rest: raw equals the manifests, each delivery
LOADED once. (A Celery worker killed mid-task: tests/test_celery_executor.py.)"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from include.demo.generator import generate_landing
from include.ingest.loader import load_landing
from include.warehouse import embedded
from tests.conftest import ROOT, WORKER_INDEX
from tests.faults.catalogue import Case
from tests.faults.outcomes import assert_loaded_once

FAMILY = "kills"
OWN_SERVER_PORT = 23800 + 10 * WORKER_INDEX
DELIVERIES = 91  # 2018-12-31 .. 2019-03-31: the cut-over takes a second, the rest ~10 ms each

CASES = [
    Case("loader_sigkill_mid_load", FAMILY, "`cgf load` killed with SIGKILL after a few deliveries committed, "
         "then loaded again", "the committed deliveries stay, the rest loads: raw = manifests, each delivery "
         "LOADED once, the lock of the killed session released"),
    Case("server_stopped_mid_load", FAMILY, "the PostgreSQL server stopped (fast) while `cgf load` runs, "
         "started again, then loaded again", "the loader fails; afterwards raw = manifests, each delivery "
         "LOADED once"),
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kills") / "landing"
    generate_landing(path, end=date(2019, 3, 31))
    return path


def loaded(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute("select count(*) from ops.deliveries where status = 'LOADED'").fetchone()[0]
    except psycopg.Error:  # not created yet, or the server is going down
        return 0


def start_loader(url: str, landing: Path, home: Path) -> subprocess.Popen:
    env = {**os.environ, "CGF_WAREHOUSE_URL": url, "CGF_HOME": str(home)}
    env.pop("CGF_CUSTOMER_KEY_SECRET", None)  # the generated demo landing area uses the demo secret
    return subprocess.Popen([sys.executable, "-m", "include.cli", "load", "--landing-dir", str(landing)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def when_some_loaded(url: str, process: subprocess.Popen, at_least: int = 3) -> int:
    """Waits until `at_least` deliveries are committed (the loader still running); returns how many."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        done = loaded(url)
        if done >= at_least:
            return done
        time.sleep(0.005)
    raise AssertionError(f"the loader ended (or hung) before {at_least} deliveries: {process.returncode}")


def reload(url: str, landing: Path, monkeypatch) -> None:
    monkeypatch.delenv("CGF_CUSTOMER_KEY_SECRET")
    with psycopg.connect(url) as conn:
        load_landing(conn, landing).raise_for_rejection()
        assert_loaded_once(conn, landing)


def test_loader_sigkill_mid_load(db_url, landing, tmp_path, monkeypatch):
    loader = start_loader(db_url, landing, tmp_path / "home")
    when_some_loaded(db_url, loader)
    loader.send_signal(signal.SIGKILL)
    assert loader.wait(30) == -signal.SIGKILL
    assert 0 < loaded(db_url) < DELIVERIES, "killed too late: nothing left to load"
    reload(db_url, landing, monkeypatch)


@pytest.fixture
def own_server():
    """A server of this test's own (it is stopped mid-load), in a folder its system user can reach."""
    pgdata = Path(tempfile.mkdtemp(prefix="cgf-faults-pg-")) / "pgdata"
    pgdata.parent.chmod(0o755)
    try:
        yield pgdata, embedded.start(pgdata=pgdata, port=OWN_SERVER_PORT)
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(pgdata.parent, ignore_errors=True)


def test_server_stopped_mid_load(own_server, landing, tmp_path, monkeypatch):
    pgdata, url = own_server
    loader = start_loader(url, landing, tmp_path / "home")
    when_some_loaded(url, loader)
    embedded.stop(pgdata)
    assert loader.wait(60) == 1, loader.stderr.read().decode()[-2000:]
    embedded.start(pgdata=pgdata, port=OWN_SERVER_PORT)
    assert 0 < loaded(url) < DELIVERIES, "stopped too late: nothing left to load"
    reload(url, landing, monkeypatch)
