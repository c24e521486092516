"""Quality checks: the Great Expectations suites of expectations/ against a real warehouse."""
from __future__ import annotations

import json
from datetime import date

import pytest

from include.demo.generator import generate_landing
from include.ingest.loader import load_landing
from include.quality import checks, gx_suites
from tests.mail_capture import outbox_messages

END = date(2019, 1, 10)


@pytest.fixture
def loaded(conn, db_url, tmp_path, monkeypatch):
    """A small landing area loaded into raw (no dbt: the marts do not exist)."""
    landing = tmp_path / "landing"
    generate_landing(landing, end=END, scale=0.05)
    load_landing(conn, landing)
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CGF_OPS_ALERT_TO", "operator@example.org")
    return conn


def results(conn, run_id: str) -> list[tuple]:
    return conn.execute(
        "select suite, expectation, severity, success, observed_value, data_date, window_from "
        "from ops.validation_results where run_id = %s order by result_id", (run_id,)).fetchall()


def test_every_suite_file_is_a_valid_gx_suite_with_its_batch():
    import great_expectations as gx

    suites = gx_suites.suite_files()
    names = {s.name for s in suites}
    assert {"raw_guarantees", "raw_repayments", "raw_contributions", "raw_headcount", "raw_daily_volume",
            "marts_operating_multiple", "marts_reconciliation", "marts_ledger_findings",
            "marts_audit_large_guarantees"} == names
    for suite in suites:
        assert gx.ExpectationSuite(**suite.definition).expectations, suite.name
        assert suite.relations and suite.batch_query((END, END)).lower().startswith("select ")


def test_missing_marts_are_failed_checks_and_raw_suites_still_run(loaded, db_url, tmp_path):
    summary = checks.run_quality_checks("run-1")
    rows = results(loaded, "run-1")
    missing = [r for r in rows if r[1] == "relation_exists"]
    assert {r[0] for r in missing} == {s.name for s in gx_suites.suite_files() if s.name.startswith("marts_")}
    assert all(not r[3] and r[2] == "critical" for r in missing)
    assert "marts.fct_operating_multiple_daily" in summary["missing_relations"]
    raw = [r for r in rows if r[0] == "raw_guarantees"]
    assert raw and all(r[3] for r in raw)  # plausible amounts: the generated data passes
    assert {(r[5], r[6]) for r in rows} == {(END, date(2018, 12, 31))}  # the whole history: first run
    docs = tmp_path / "home" / "gx_data_docs"
    assert (docs / "index.html").is_file()
    # built once for the run: a page per validated suite (and per suite), the index
    validated = {path.relative_to(docs / "validations").parts[0] for path in (docs / "validations").rglob("*.html")}
    assert validated == {s.name for s in gx_suites.suite_files() if not s.name.startswith("marts_")}
    assert {path.stem for path in (docs / "expectations").rglob("*.html")} == validated
    [message] = outbox_messages(db_url, "quality_")
    assert "relation missing: marts.fct_operating_multiple_daily" in message.get_body(("plain",)).get_content()


def test_implausible_amount_fails_its_suite_and_queues_one_operator_alert(loaded, tmp_path):
    loaded.execute("update raw.guarantees set amount_krw = 9000000000 where event_id = "
                   "(select min(event_id) from raw.guarantees where event_type = 'NEW')")
    loaded.commit()
    summary = checks.run_quality_checks("run-2")
    failed = [r for r in results(loaded, "run-2") if r[0] == "raw_guarantees" and not r[3]]
    assert {r[1] for r in failed} == {"expect_column_values_to_be_between", "unexpected_rows_expectation"}
    by_type = {r[1]: r[4] for r in failed}
    assert by_type["expect_column_values_to_be_between"]["partial_unexpected_list"] == [9000000000]
    assert by_type["unexpected_rows_expectation"]["observed_value"] == 1
    assert any("raw_guarantees" in f for f in summary["failed"])
    [(kind, status)] = loaded.execute("select kind, status from ops.alerts").fetchall()
    assert (kind, status) == ("OPS", "PENDING")  # no smtp_default here: it waits in the outbox


def test_a_repeated_run_validates_the_latest_day_again(loaded):
    checks.run_quality_checks("run-3")
    checks.run_quality_checks("run-4")
    windows = {(r[6], r[5]) for r in results(loaded, "run-4")}
    assert windows == {(END, END)}
    volume = json.dumps([r[4] for r in results(loaded, "run-3") if r[0] == "raw_daily_volume"])
    assert "2019-01-01" in volume  # New Year's Day: a weekday without activity is a warning


def test_a_restated_earlier_day_is_validated_again(conn):
    from include.ingest.schema import ensure_schemas

    ensure_schemas(conn)
    for day in range(1, 6):
        conn.execute("insert into ops.deliveries (delivery_date, manifest_sha256, landing_path, status) "
                     "values (%s, 'x', 'x', 'LOADED')", (date(2019, 1, day),))
    conn.execute("insert into ops.validation_results (run_id, data_date, suite, expectation, severity, success) "
                 "values ('r', '2019-01-05', 's', 'e', 'critical', true)")
    assert checks.quality_window(conn) == (date(2019, 1, 5), date(2019, 1, 5))
    # a re-sent 2019-01-02 changed the marts from that day on
    assert checks.quality_window(conn, date(2019, 1, 2)) == (date(2019, 1, 2), date(2019, 1, 5))


def test_decimals_of_a_result_become_floats_without_inspecting_the_stack(monkeypatch, caplog):
    """GX's own conversion inspects the whole call stack per Decimal (seconds in an Airflow task):
    after preload() a Decimal still becomes the same float, a lossy one still warns, and no stack is read."""
    import decimal
    import inspect

    gx_suites.preload()
    from great_expectations import util

    def no_stack(*args, **kwargs):
        raise AssertionError("inspect.stack() called")

    monkeypatch.setattr(inspect, "stack", no_stack)
    monkeypatch.setattr(util, "stack", no_stack, raising=False)
    assert util.convert_to_json_serializable({"v": [decimal.Decimal("31814"), decimal.Decimal("232.5")]}) == \
        {"v": [31814.0, 232.5]}
    with caplog.at_level("WARNING", logger="great_expectations"):
        assert util.convert_to_json_serializable(decimal.Decimal("0.1000000000000000055511151231257827")) == 0.1
    assert "lossy conversion" in caplog.text
