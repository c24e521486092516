"""Project-local Airflow settings, applied before Airflow is imported."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from include.warehouse import settings


def airflow_home() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME", settings.state_dir() / "airflow"))


def configure() -> None:
    """Set Airflow's environment: SQLite metadata in a local AIRFLOW_HOME, our dags/ folder."""
    home = airflow_home()
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Seoul",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__OPENLINEAGE__DISABLED": "True",
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        # the watcher's producer does not retry (include.transform.cosmos_dbt): no XCom backup needed
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.state_dir() / "cosmos_cache"),  # a cache: any worker rebuilds it
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        # a library's cache stays in the project too (matplotlib's font cache, for the alert chart), not in ~
        "MPLCONFIGDIR": str(settings.state_dir() / "cache" / "matplotlib"),
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    venv_bin = str(Path(sys.executable).parent)  # Cosmos looks for `dbt` on PATH, activated venv or not
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(p for p in (venv_bin, os.environ.get("PATH")) if p)


def ensure_metadata_db() -> None:
    """Create or upgrade Airflow's metadata database (idempotent; a second run is quick)."""
    marker = airflow_home() / ".migrated"
    import airflow

    version = airflow.__version__
    if marker.exists() and marker.read_text() == version:
        return
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                          env=os.environ.copy())
    sys.stderr.write(done.stdout + done.stderr)  # a `cgf run` keeps it in the run's log, not on the console
    done.check_returncode()
    marker.write_text(version)
