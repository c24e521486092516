"""Security of the warehouse: passwords for every connection, roles that confine analysts to the
marts and reference data, no password in what is printed, durable commits, and the upgrade of a
data folder of the previous release (trust, synchronous_commit off).

Some tests start embedded servers of their own (ports below the ephemeral range, data folders
under the worker's state: the server's system user must reach them), stopped at the end.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from include.ingest.schema import ensure_schemas
from include.orchestration.summary import how_to_connect_and_stop
from include.warehouse import db, embedded, roles
from tests.conftest import WORKER_INDEX, WORKER_STATE, make_database

ROOT = Path(__file__).resolve().parent.parent
STATE = WORKER_STATE / "security"


def free_port(start: int) -> int:
    """A port below 32768 (no client socket holds it) that nothing listens on."""
    for port in range(start, start + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port in {start}..{start + 99}")


@contextmanager
def own_server(name: str):
    """(pgdata, port, url) of a new embedded server of this module, stopped and removed afterwards."""
    port = free_port(23600 + 100 * WORKER_INDEX)
    pgdata = STATE / name / "pgdata"
    shutil.rmtree(pgdata.parent, ignore_errors=True)
    try:
        yield pgdata, port, embedded.start(pgdata=pgdata, port=port)
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(pgdata.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    with own_server("server") as started:
        yield started


@pytest.fixture(params=["embedded", "given"])
def warehouse(request, server, server_url) -> str:
    """A migrated warehouse: the embedded one (database cgf), and one as CGF_WAREHOUSE_URL names it."""
    url = server[2] if request.param == "embedded" else make_database(server_url, request.node.name)
    with psycopg.connect(url) as conn:
        ensure_schemas(conn)
    return url


def cgf(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "include.cli", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300)


def user_env(pgdata: Path, port: int) -> dict:
    """The environment of a person using this module's embedded server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST", "CGF_"))}
    return {**env, "CGF_HOME": str(pgdata.parent), "CGF_PGDATA": str(pgdata), "CGF_PG_PORT": str(port)}


def build_a_mart(conn: psycopg.Connection, name: str) -> None:
    """Relations created later by the pipeline's user, as dbt creates a mart and a seed."""
    for schema in ("marts", "reference"):
        conn.execute(f"drop table if exists {schema}.{name}")
        conn.execute(f"create table {schema}.{name} as select 1 as n")
    conn.commit()


# --- authentication ------------------------------------------------------------------------------

def test_a_connection_without_the_password_is_refused(server, tmp_path):
    pgdata, port, url = server
    for without_password in (embedded.embedded_url(port),
                             f"host={pgdata} port={port} user=postgres dbname=cgf"):  # the unix socket
        with pytest.raises(psycopg.OperationalError, match="no password supplied"):
            psycopg.connect(without_password, passfile=str(tmp_path / "none"), connect_timeout=5)
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_user").fetchone() == ("postgres",)


def test_no_connection_is_trusted(server):
    pgdata, _, _ = server
    lines = [line.split() for line in (pgdata / "pg_hba.conf").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines and {line[-1] for line in lines} == {"scram-sha-256"}


def test_the_password_is_kept_beside_the_data_folder_for_its_owner_only(server):
    pgdata, _, url = server
    password_file = embedded.pgpass_file(pgdata, "postgres")
    assert password_file.parent == pgdata.parent / "pgdata-secrets"
    assert password_file.stat().st_mode & 0o777 == 0o600 and password_file.parent.stat().st_mode & 0o777 == 0o700
    assert db.url_parts(url)["password"] == password_file.read_text().strip().rsplit(":", 1)[1]


def test_commits_are_durable(server):
    with psycopg.connect(server[2]) as conn:
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)


# --- the upgrade of a data folder of the previous release --------------------------------------

def start_as_the_previous_release(pgdata: Path, port: int) -> None:
    """What the previous release left: trust for every connection, synchronous_commit off
    (on the command line and in postgresql.auto.conf), a table of data."""
    run_as = embedded._run_kw(embedded.prepare_pgdata(pgdata))
    opts = f"-h 127.0.0.1 -p {port} -k {pgdata} -c synchronous_commit=off -c max_connections=100"
    subprocess.run([embedded.bundled("pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "server.log"), "-o", opts,
                    "-w", "start"], check=True, capture_output=True, **run_as)
    with psycopg.connect(embedded.embedded_url(port, db="postgres"), autocommit=True) as conn:
        conn.execute("alter system set synchronous_commit = off")
        conn.execute("create table kept as select 42 as answer")


@pytest.mark.parametrize("left", ["running", "stopped"])
def test_a_data_folder_of_the_previous_release_is_upgraded_in_place(left, tmp_path):
    port = free_port(23650 + 100 * WORKER_INDEX)
    pgdata = STATE / f"previous-{left}" / "pgdata"
    shutil.rmtree(pgdata.parent, ignore_errors=True)
    try:
        start_as_the_previous_release(pgdata, port)
        if left == "stopped":
            embedded.stop(pgdata)
        url = embedded.start(pgdata=pgdata, port=port)
        with pytest.raises(psycopg.OperationalError, match="no password supplied"):
            psycopg.connect(embedded.embedded_url(port, db="postgres"), passfile=str(tmp_path / "none"),
                            connect_timeout=5)
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as conn:
            assert conn.execute("select answer from kept").fetchone() == (42,)
            assert conn.execute("show synchronous_commit").fetchone() == ("on",)
        assert "trust" not in (pgdata / "pg_hba.conf").read_text()
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(pgdata.parent, ignore_errors=True)


# --- roles ---------------------------------------------------------------------------------------

def test_analysts_read_marts_and_reference_only(warehouse):
    with psycopg.connect(warehouse) as conn:
        build_a_mart(conn, "probe")
        conn.execute(f"set role {roles.ANALYST}")
        assert conn.execute("select n from marts.probe").fetchone() == (1,)
        assert conn.execute("select n from reference.probe").fetchone() == (1,)
        for hidden in ("raw.guarantees", "ops.deliveries", "ops.alerts"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"select count(*) from {hidden}")
            conn.rollback()
            conn.execute(f"set role {roles.ANALYST}")


def test_each_role_reaches_its_own_schemas(warehouse):
    with psycopg.connect(warehouse) as conn:
        build_a_mart(conn, "probe")
        assert_may(conn, roles.LOADER, "insert into ops.pipeline_runs (run_id, step) values ('r', 's')")
        assert_may(conn, roles.LOADER, "delete from raw.guarantees")
        assert_may(conn, roles.OPERATOR, "select count(*) from ops.deliveries")
        assert_may(conn, roles.TRANSFORMER, "select count(*) from raw.guarantees")
        assert_may(conn, roles.TRANSFORMER, "create table marts.built_by_dbt as select 1 as n")
        assert_refused(conn, roles.OPERATOR, "select count(*) from raw.guarantees")
        assert_refused(conn, roles.OPERATOR, "delete from ops.deliveries")
        assert_refused(conn, roles.LOADER, "select n from marts.probe")
        assert_refused(conn, roles.TRANSFORMER, "insert into raw.headcount default values")


def assert_may(conn: psycopg.Connection, role: str, statement: str) -> None:
    conn.execute(f"set role {role}")
    conn.execute(statement)
    conn.rollback()


def assert_refused(conn: psycopg.Connection, role: str, statement: str) -> None:
    conn.execute(f"set role {role}")
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)
    conn.rollback()


def test_two_databases_of_a_new_server_migrate_at_once():
    """Roles belong to the server: two databases creating them at once must both succeed."""
    with own_server("concurrent") as (_, _, url):
        urls = [make_database(url, f"twin{i}") for i in range(2)]
        failures = []

        def migrate(target: str) -> None:
            try:
                with psycopg.connect(target) as conn:
                    ensure_schemas(conn)
            except Exception as exc:  # reported below, whatever it is
                failures.append(exc)

        threads = [threading.Thread(target=migrate, args=(target,)) for target in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        for target in urls:
            with psycopg.connect(target) as conn:
                assert roles.all_roles_exist(conn) and roles.grants_in_place(conn)


def test_an_analyst_logs_in_with_the_kept_password_never_printed(server):
    pgdata, port, url = server
    shown = cgf(user_env(pgdata, port), "warehouse", "analyst-login")
    assert shown.returncode == 0, shown.stderr
    command = shown.stdout.splitlines()[-1]
    password_file = embedded.pgpass_file(pgdata, roles.ANALYST)
    assert command.startswith(f"PGPASSFILE={password_file} ")
    assert command.endswith(f"'postgresql://{roles.ANALYST}@127.0.0.1:{port}/cgf'")
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert embedded.kept_password(pgdata, roles.ANALYST)[0] not in shown.stdout + shown.stderr
    with (psycopg.connect(db.login_url(url, roles.ANALYST), passfile=str(password_file)) as analyst,
          pytest.raises(errors.InsufficientPrivilege)):
        analyst.execute("select count(*) from raw.guarantees")


# --- no password printed -------------------------------------------------------------------------

def test_shown_urls_mask_the_password():
    assert db.shown_url("postgresql://cgf:s3cr%40t@db:5432/cgf") == "postgresql://cgf:***@db:5432/cgf"
    assert db.shown_url("postgresql://cgf@db/cgf") == "postgresql://cgf@db/cgf"
    assert db.shown_url("postgresql://db/cgf?password=s3cret&sslmode=require") == \
        "postgresql://db/cgf?password=***&sslmode=require"


def test_the_warehouse_commands_print_no_password(server):
    pgdata, port, url = server
    password = db.url_parts(url)["password"]
    env = user_env(pgdata, port)
    for action in ("start", "url"):
        shown = cgf(env, "warehouse", action)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip() == f"postgresql://postgres:***@127.0.0.1:{port}/cgf"
        assert password not in shown.stdout + shown.stderr
    assert cgf(env, "warehouse", "url", "--with-password").stdout.strip() == url  # for scripts


def test_the_summary_prints_no_password(server):
    pgdata, port, url = server
    with psycopg.connect(url) as conn:
        ensure_schemas(conn)
    summary = cgf(user_env(pgdata, port), "summary")
    assert summary.returncode == 0, summary.stderr
    assert db.url_parts(url)["password"] not in summary.stdout + summary.stderr
    assert f"[cgf] connect: psql postgresql://postgres@127.0.0.1:{port}/cgf " in summary.stdout
    assert f"PGPASSFILE={embedded.pgpass_file(pgdata, 'postgres')}" in summary.stdout


def test_the_closing_lines_of_a_given_warehouse_mask_its_password():
    lines = how_to_connect_and_stop("postgresql://cgf:s3cret@db:5432/cgf", is_embedded=False)
    assert lines == ["connect: psql postgresql://cgf:***@db:5432/cgf  (CGF_WAREHOUSE_URL: a server of yours, "
                     "nothing to stop)"]
