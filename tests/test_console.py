"""What a person sees of `make run` (`python -m include.cli run`): a fresh CGF_HOME, a generated demo
landing area (its first quarter: what the console shows does not depend on how much history a run
loads; the figures are tested elsewhere), the embedded PostgreSQL of that home, Airflow's home under
it, run as a process the way make runs it. The first run stays short and ends with how to connect
and how to stop; a second run prints no warning; `make stop` says what it stopped."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import WORKER_INDEX, WORKER_STATE

ROOT = Path(__file__).resolve().parent.parent
FIRST_RUN_LINES = 150


def free_port_below_the_ephemeral_range(start: int) -> int:
    """A port no client socket of the session can be holding (the kernel hands those out from
    32768 up): the server of the user's run must be able to bind it when the run starts."""
    for port in range(start, start + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port in {start}..{start + 99}")


PORT = free_port_below_the_ephemeral_range(25400 + 100 * WORKER_INDEX)


def cgf(env: dict, *args: str) -> subprocess.CompletedProcess:
    """The command as a person runs it; stdout and stderr together, as the console shows them."""
    return subprocess.run([sys.executable, "-m", "include.cli", *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)


@pytest.fixture(scope="module")
def demo_quarter(tmp_path_factory) -> Path:
    from include.demo.generator import generate_landing

    landing = tmp_path_factory.mktemp("demo_quarter") / "landing"
    generate_landing(landing, end=date(2019, 3, 31))
    return landing


@pytest.fixture(scope="module")
def user_env(tmp_path_factory, demo_quarter) -> dict:
    """A user's environment: nothing of the test session's Airflow, warehouse or pytest."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "PYTEST", "CGF_"))}  # the demo needs no customer-key secret
    home = WORKER_STATE / "console_home"  # not under pytest's tmp: the server's user must reach its pgdata
    env.update(CGF_HOME=str(home), CGF_PG_PORT=str(PORT),
               CGF_LANDING_DIR=str(demo_quarter), HOME=str(tmp_path_factory.mktemp("user_home")))
    cgf(env, "warehouse", "stop")  # a server left by an interrupted session
    shutil.rmtree(home, ignore_errors=True)
    yield env
    cgf(env, "warehouse", "stop")


@pytest.fixture(scope="module")
def first_run(user_env) -> subprocess.CompletedProcess:
    return cgf(user_env, "run")


def test_a_first_run_prints_one_line_per_step_and_a_summary(first_run, user_env):
    lines = first_run.stdout.splitlines()
    assert first_run.returncode == 0, first_run.stdout[-4000:]
    assert len(lines) < FIRST_RUN_LINES, first_run.stdout
    assert [line for line in lines if not line.startswith("[cgf] ")] == []  # Airflow, dbt, GX: in the log
    assert any(re.match(r"\[cgf\]   ✓ dbt_build +[\d.]+ s, \d+ tasks$", line) for line in lines)
    assert "[cgf] ---- summary ----" in lines
    assert any(line.startswith("[cgf] quality checks (Great Expectations") for line in lines)
    assert any(line.startswith("[cgf]   Data Docs: ") and line.endswith("index.html") for line in lines)
    assert any(line.startswith("[cgf] reconciliation with the published report") for line in lines)
    assert lines[-2] == f"[cgf] connect: psql postgresql://postgres@127.0.0.1:{PORT}/cgf  " \
                        "(the embedded PostgreSQL keeps running for your queries)"
    assert lines[-1].startswith("[cgf] stop it: ") and lines[-1].endswith("make stop")


def test_the_full_log_is_under_cgf_home(first_run, user_env):
    path = Path(re.search(r"^\[cgf\] full log: (.+)$", first_run.stdout, flags=re.M).group(1))
    assert path.parent == Path(user_env["CGF_HOME"]) / "logs"
    log = path.read_text(encoding="utf-8")
    assert "[DAG TEST] end task task_id=send_alerts" in log and "Running with dbt=" in log
    assert (Path(user_env["CGF_HOME"]) / "airflow" / "airflow.db").is_file()  # Airflow's home: under CGF_HOME
    assert sorted(Path(user_env["HOME"]).rglob("*")) == []  # nothing in the user's home (~/airflow, ~/.dbt …)


def test_a_second_run_prints_no_warning(first_run, user_env):
    again = cgf(user_env, "run")
    assert again.returncode == 0, again.stdout[-4000:]
    assert [line for line in again.stdout.splitlines() if not line.startswith("[cgf] ")] == []
    assert not re.search(r"\[warning|\w+Warning\b|warning:", again.stdout, flags=re.I), again.stdout


def test_verbose_shows_the_full_log_too(first_run, user_env):
    shown = cgf({**user_env, "CGF_VERBOSE": "1"}, "run")
    assert shown.returncode == 0
    assert "[DAG TEST] end task task_id=send_alerts" in shown.stdout
    assert shown.stdout.count("[cgf] ---- summary ----") == 1  # the [cgf] lines once, not echoed


def test_stop_says_what_it_stopped(first_run, user_env):
    stopped = cgf(user_env, "warehouse", "stop")
    pgdata = Path(user_env["CGF_HOME"]) / "pgdata"
    assert stopped.stdout.startswith(f"[cgf] stopped the embedded PostgreSQL of {pgdata}")
    assert cgf(user_env, "warehouse", "stop").stdout.startswith(f"[cgf] no embedded PostgreSQL runs from {pgdata}")
