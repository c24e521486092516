"""The main command (`make run` = `python -m include.cli run`) on a given landing area and warehouse."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from include import cli
from include.ingest.contract import DEMO_LANDING_MARKER
from tests.landing_factory import good_delivery, write_delivery
from tests.mail_capture import outbox_messages

ROOT = Path(__file__).resolve().parent.parent

FIRST = date(2019, 1, 1)


def write_days(landing, days: int, bad_day: int | None = None) -> None:
    for i in range(days):
        day = FIRST + timedelta(days=i)
        rows = good_delivery(day, 2)
        if i == bad_day:
            rows["guarantees.csv"][1]["business_reg_no"] = "1234567890"
        write_delivery(landing, day, rows)


def test_run_exits_non_zero_and_names_the_rejected_delivery(db_url, tmp_path, monkeypatch, capsys, airflow_db):
    landing = tmp_path / "landing"
    write_days(landing, 4, bad_day=2)
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")

    assert cli.main(["run"]) == 1
    out = capsys.readouterr().out
    assert "REJECTED delivery 20190103" in out
    assert "guarantees.csv:3 [business_reg_no='12********']" in out and "1234567890" not in out  # PII masked
    assert "select * from ops.rejections where delivery_date = '2019-01-03'" in out
    assert "2 complete deliveries wait (20190103 … 20190104)" in out
    with psycopg.connect(db_url) as conn:
        loaded = conn.execute("select delivery_date from ops.deliveries where status = 'LOADED' order by 1").fetchall()
        built_through = conn.execute("select max(as_of_date) from marts.fct_operating_multiple_daily").fetchone()[0]
    assert loaded == [(FIRST,), (FIRST + timedelta(days=1),)]  # later deliveries wait
    assert built_through == FIRST + timedelta(days=1)  # what came before the rejection is built

    write_days(landing, 4)  # the corrected re-send of 20190103
    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert "deliveries loaded: 4" in out and "[cgf] REJECTED" not in out


def test_run_fails_loudly_when_a_day_is_missing_before_complete_ones(db_url, tmp_path, monkeypatch, capsys,
                                                                      airflow_db):
    landing = tmp_path / "landing"
    write_days(landing, 4)
    for path in (landing / "20190102").iterdir():  # 2019-01-02 never completed: no manifest
        if path.name == "manifest.csv":
            path.unlink()
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")

    assert cli.main(["run"]) == 1
    out = capsys.readouterr().out
    assert "failed tasks: check_deliveries" in out
    assert "2 complete deliveries wait (20190103 … 20190104)" in out
    mails = outbox_messages(db_url)
    assert any("20190102" in m.get_body(("plain",)).get_content() for m in mails)  # the operators' alert

    assert cli.main(["outbox", "export", str(tmp_path / "exported")]) == 0  # to open without an SMTP server
    assert f"{len(mails)} alert(s) written to {tmp_path / 'exported'}" in capsys.readouterr().out
    assert sorted(p.read_bytes() for p in (tmp_path / "exported").glob("*.eml")) == sorted(
        m.as_bytes() for m in mails)


# --- the command line a person learns from --help -------------------------------------------------

def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_every_option_is_described():
    action = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    described = {choice.dest: choice.help for choice in action._choices_actions}
    for name, parser in subcommands().items():
        assert described.get(name), f"cgf {name} has no help line"
        assert parser.description, f"cgf {name} --help has no description"
        for option in parser._actions:
            assert option.help, f"cgf {name}: {option.option_strings or option.dest} has no help"


@pytest.mark.parametrize("command", ["", *subcommands()])
def test_help_of_every_command_exits_0(command):
    shown = subprocess.run([sys.executable, "-m", "include.cli", *command.split(), "--help"], cwd=ROOT,
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: cgf {command}".rstrip()) and shown.stderr == ""


def test_the_help_lists_every_setting_of_the_settings_module():
    shown = subprocess.run([sys.executable, "-m", "include.cli", "--help"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    source = (ROOT / "include" / "warehouse" / "settings.py").read_text(encoding="utf-8")
    for name in set(re.findall(r"\"(CGF_[A-Z0-9_]+)\"", source)):
        assert name in shown, name


def test_generate_takes_the_generators_options(tmp_path, capsys):
    assert cli.main(["generate", "--landing-dir", str(tmp_path), "--end", "2019-01-03", "--scale", "0.05"]) == 0
    assert "wrote 4 deliveries 20181231…20190103" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20181231", "20190101", "20190102", "20190103",
                                                          DEMO_LANDING_MARKER]
