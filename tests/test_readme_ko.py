"""README.ko.md, the Korean README, names what README.md names: the two commands, every setting, the connection."""
from __future__ import annotations

import re
from pathlib import Path

from include.warehouse import embedded

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_KO = (ROOT / "README.ko.md").read_text(encoding="utf-8")


def table_settings(text: str) -> set[str]:
    """The variables of the first column of the settings tables (`CGF_…`, `AIRFLOW_CONN_…`)."""
    first_cells = [line.split("|")[1] for line in text.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`((?:CGF|AIRFLOW)_[A-Z0-9_]+)`", cell)}


def test_readme_links_the_korean_readme_at_the_top():
    assert "(README.ko.md)" in "\n".join(README.splitlines()[:5])


def test_the_korean_readme_has_every_setting_of_the_readme():
    settings = table_settings(README)
    assert {"CGF_WAREHOUSE_URL", "CGF_ALERT_TO", "AIRFLOW_CONN_SMTP_DEFAULT"} <= settings
    assert table_settings(README_KO) == settings


def test_the_korean_readme_names_the_two_commands_and_how_an_analyst_connects():
    assert "make run" in README_KO and "make test" in README_KO
    assert f"psql {embedded.embedded_url(55432)}" in README_KO  # the embedded default the code starts
    assert "marts" in README_KO and "docs/analyst-guide.md" in README_KO
