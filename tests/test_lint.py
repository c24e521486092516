"""The linters are tests: ruff for the Python, sqlfluff for the dbt SQL (configured in the repo)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff():
    result = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff():
    result = subprocess.run([str(BIN / "sqlfluff"), "lint", "dbt_project/models", "dbt_project/macros",
                             "dbt_project/tests"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
