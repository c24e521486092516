"""Settings from the environment, with project-local defaults.

CGF_WAREHOUSE_URL  postgresql://user:pass@host:port/db of an existing server; when unset the
                   project starts its own embedded PostgreSQL (see include.warehouse.db).
CGF_LANDING_DIR    the landing area of the nightly extracts (default: var/landing).
CGF_HOME           the project-local state folder (default: <repo>/var): pgdata, Airflow home,
                   the GX Data Docs (gx_data_docs/) and the logs of `cgf run` (logs/). The alert
                   outbox is in the warehouse (ops.alerts; `cgf outbox export DIR`).
CGF_PG_PORT, CGF_PGDATA  port (default 55432) and data folder (default: <CGF_HOME>/pgdata) of
                   the embedded PostgreSQL; its passwords beside it, in <pgdata>-secrets/ (mode 0600).
CGF_VERBOSE        1: `cgf run` shows the full log (Airflow, dbt, Great Expectations) on the console
                   too, as `cgf run -v` does; by default it goes to <CGF_HOME>/logs/ only.
CGF_EXPORT_DIR     where the yearly reports workbook is written (default: <CGF_HOME>/exports).
CGF_GX_DATA_DOCS_DIR  where Great Expectations writes its Data Docs (default: <CGF_HOME>/gx_data_docs);
                   with Celery workers on several machines, a folder they share.
CGF_ALERT_TO       risk alert recipients (보증운용배수), comma-separated.
CGF_OPS_ALERT_TO   pipeline alert recipients (operators), comma-separated.
CGF_AUDIT_GROUP1_TO, CGF_AUDIT_GROUP2_TO  audit 20-6 recipients of group I and group II.
CGF_ALERT_FROM     sender of the alerts when the smtp_default connection names none.
CGF_DAG_START_DATE, CGF_RETRY_DELAY_SECONDS, CGF_DELIVERY_WAIT_SECONDS, CGF_DELIVERY_POKE_SECONDS
                   the nightly DAG's start date, retry delay and wait for the delivery.
CGF_PROJECTED_WITHIN_DAYS  the risk alert's PROJECTED state: the forecast has the multiple above the
                   policy limit within this many days (default 90; 0: off).
CGF_DEESCALATE_AFTER_DAYS  the risk alert steps down (BREACH → WARN, WARN → OK) only after the lower
                   state has held this many consecutive days (default 5; 1: at once).
                   Both: include.alerts.multiple_states.
CGF_AIRFLOW_PORT   `cgf up`: port P of Airflow's UI and REST API on 127.0.0.1 (default 8080); the
                   platform also takes P+1 (scheduler health) to P+4 (triggerer and worker log servers).
CGF_AIRFLOW_ADMIN_PASSWORD  `cgf up`: the admin's password (default: generated once, kept in
                   <CGF_HOME>/platform/secrets.json, mode 0600).
CGF_AIRFLOW_DB_URL `cgf up`: Airflow's metadata database (default: database airflow beside the
                   warehouse). CGF_REDIS_PORT: the Celery broker's port on 127.0.0.1 (default 56379).
Read elsewhere: CGF_MULTIPLE_WARN_LEVEL, CGF_MULTIPLE_POLICY_LIMIT, CGF_MULTIPLE_LEGAL_LIMIT (the
                   보증운용배수 levels, 9 / 10 / 15: include.transform.levels), CGF_CUSTOMER_KEY_SECRET
                   (the secret key of customer_key, HMAC-SHA256 computed by the loader; required
                   unless the landing area is the generated demo: include.ingest.customer_key),
                   CGF_COSMOS_EXECUTION_MODE (Cosmos).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


def state_dir() -> Path:
    return Path(os.environ.get("CGF_HOME", PROJECT_ROOT / "var"))


def landing_dir() -> Path:
    return Path(os.environ.get("CGF_LANDING_DIR", state_dir() / "landing"))


def embedded_pgdata() -> Path:
    return Path(os.environ.get("CGF_PGDATA", state_dir() / "pgdata"))


def embedded_port() -> int:
    return int(os.environ.get("CGF_PG_PORT", "55432"))


def configured_warehouse_url() -> str | None:
    return os.environ.get("CGF_WAREHOUSE_URL") or None


def gx_data_docs_dir() -> Path:
    """CGF_GX_DATA_DOCS_DIR: the Data Docs site (shared between machines when the workers are)."""
    return Path(os.environ.get("CGF_GX_DATA_DOCS_DIR", state_dir() / "gx_data_docs"))


def log_dir() -> Path:
    """<CGF_HOME>/logs: the full log of every `cgf run`, one file per run."""
    return state_dir() / "logs"


def verbose() -> bool:
    """CGF_VERBOSE=1: the full log on the console too."""
    return os.environ.get("CGF_VERBOSE", "").strip().lower() in ("1", "true", "yes")


def export_dir() -> Path:
    """CGF_EXPORT_DIR: where the yearly reports workbook goes (an output: no run reads it back)."""
    return Path(os.environ.get("CGF_EXPORT_DIR", state_dir() / "exports"))


def recipients(variable: str) -> list[str]:
    """Comma-separated addresses of an environment variable (CGF_ALERT_TO …)."""
    return [a.strip() for a in os.environ.get(variable, "").split(",") if a.strip()]


def alert_sender() -> str:
    return os.environ.get("CGF_ALERT_FROM", "cgf-warehouse@localhost")


# --- the nightly DAG's schedule settings ---------------------------------------------------------

def dag_start_date() -> str:
    """CGF_DAG_START_DATE: the first night of the DAG's catch-up (YYYY-MM-DD)."""
    return os.environ.get("CGF_DAG_START_DATE", "2019-01-01")


def retry_delay_seconds() -> int:
    """CGF_RETRY_DELAY_SECONDS: wait between a failed task's tries (a one-shot run shortens it)."""
    return int(os.environ.get("CGF_RETRY_DELAY_SECONDS", "300"))


def delivery_wait_seconds() -> int:
    """CGF_DELIVERY_WAIT_SECONDS: how long the night waits for its delivery before alerting (6 h)."""
    return int(os.environ.get("CGF_DELIVERY_WAIT_SECONDS", str(6 * 3600)))


def delivery_poke_seconds() -> int:
    """CGF_DELIVERY_POKE_SECONDS: how often the landing area is looked at while waiting (5 min)."""
    return int(os.environ.get("CGF_DELIVERY_POKE_SECONDS", "300"))


def projected_within_days() -> int:
    """CGF_PROJECTED_WITHIN_DAYS: how far ahead a projected breach of the policy limit is reported (90 days)."""
    return int(os.environ.get("CGF_PROJECTED_WITHIN_DAYS") or "90")


def deescalate_after_days() -> int:
    """CGF_DEESCALATE_AFTER_DAYS: how many consecutive days a lower state holds before the alert steps down (5)."""
    return max(1, int(os.environ.get("CGF_DEESCALATE_AFTER_DAYS") or "5"))


# --- the platform of `cgf up` (include.orchestration.platform) -----------------------------------

def airflow_port() -> int:
    return int(os.environ.get("CGF_AIRFLOW_PORT", "8080"))


def airflow_admin_password() -> str | None:
    return os.environ.get("CGF_AIRFLOW_ADMIN_PASSWORD") or None


def airflow_db_url() -> str | None:
    return os.environ.get("CGF_AIRFLOW_DB_URL") or None


def redis_port() -> int:
    return int(os.environ.get("CGF_REDIS_PORT", "56379"))
