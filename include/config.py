"""Settings from the environment, with project-local defaults.

CGF_WAREHOUSE_URL  postgresql://user:pass@host:port/db of an existing server; when unset the
                   project starts its own embedded PostgreSQL (see include.warehouse).
CGF_LANDING_DIR    the landing area of the nightly extracts (default: var/landing).
CGF_HOME           the project-local state folder (default: <repo>/var).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
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


def outbox_dir() -> Path:
    return state_dir() / "outbox"
