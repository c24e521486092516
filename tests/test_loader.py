"""Loader: every contract rule rejects with its recorded reason; good deliveries load once."""
from __future__ import annotations

import hashlib
from datetime import date

import psycopg
import pytest

from include.ingest.loader import DeliveryRejected, complete_deliveries
from include.ingest.loader import load_landing as load_landing_report
from tests.landing_factory import (
    contribution,
    employee,
    good_delivery,
    guarantee,
    repayment,
    write_delivery,
)

D1, D2, D3 = date(2019, 1, 2), date(2019, 1, 3), date(2019, 1, 4)


def load_landing(conn, landing):
    return load_landing_report(conn, landing).raise_for_rejection()


def raw_count(conn, table: str) -> int:
    return conn.execute(f"select count(*) from raw.{table}").fetchone()[0]


def rejections(conn) -> list[tuple]:
    return conn.execute(
        "select file_name, line_no, column_name, value, reason from ops.rejections order by rejection_id"
    ).fetchall()


def test_good_deliveries_load_with_lineage_and_second_load_is_a_no_op(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1, 3))
    write_delivery(tmp_path, D2, good_delivery(D2, 2), encodings={"guarantees.csv": "cp949",
                                                                  "repayments.csv": "utf-8-sig"})
    report = load_landing(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [D1, D2]
    assert raw_count(conn, "guarantees") == 5 and raw_count(conn, "headcount") == 4
    name, line, source, load_id = conn.execute(
        "select customer_name, line_no, source_file, load_id from raw.guarantees "
        "where delivery_date = %s order by line_no limit 1", (D2,)).fetchone()
    assert name == '주식회사 "한빛", 남동점'  # CP949, quoted comma and quotes survive
    assert (line, source) == (2, "20190103/guarantees.csv") and load_id > 0
    encodings = conn.execute("select encodings from ops.deliveries where delivery_date = %s", (D2,)).fetchone()[0]
    assert encodings["guarantees.csv"] == "cp949" and encodings["repayments.csv"] == "utf-8-sig"

    again = load_landing(conn, tmp_path)
    assert again.loaded == [] and again.already_loaded == 2
    assert raw_count(conn, "guarantees") == 5
    assert conn.execute("select count(*) from ops.deliveries").fetchone()[0] == 2


def test_multiline_quoted_name_keeps_its_starting_line(conn, tmp_path):
    rows = good_delivery(D1, 2)
    rows["guarantees.csv"][0]["customer_name"] = "두 줄\n상호"
    write_delivery(tmp_path, D1, rows)
    load_landing(conn, tmp_path)
    lines = conn.execute("select customer_name, line_no from raw.guarantees order by line_no").fetchall()
    assert lines == [("두 줄\n상호", 2), ('주식회사 "한빛", 남동점', 4)]


def test_half_written_delivery_is_not_touched_and_later_days_wait(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1))
    write_delivery(tmp_path, D2, good_delivery(D2), manifest=False)
    write_delivery(tmp_path, D3, good_delivery(D3))
    assert [d for d, _ in complete_deliveries(tmp_path)] == [D1, D3]
    report = load_landing(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [D1]
    assert report.waiting_for == D2
    assert conn.execute("select count(*) from ops.deliveries").fetchone()[0] == 1


def test_resent_day_replaces_the_earlier_version(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1, 3))
    write_delivery(tmp_path, D2, good_delivery(D2, 1))
    load_landing(conn, tmp_path)
    corrected = good_delivery(D1, 2)
    corrected["guarantees.csv"][0]["amount_krw"] = 77_000_000
    write_delivery(tmp_path, D1, corrected)
    report = load_landing(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [D1]
    amounts = conn.execute("select amount_krw from raw.guarantees where delivery_date = %s order by line_no",
                           (D1,)).fetchall()
    assert amounts == [(77_000_000,), (50_000_000,)]
    statuses = conn.execute("select status, dbt_built_at is null from ops.deliveries where delivery_date = %s "
                            "order by load_id", (D1,)).fetchall()
    assert statuses == [("SUPERSEDED", True), ("LOADED", True)]
    assert raw_count(conn, "guarantees") == 3  # D1 now 2 rows, D2 untouched


def test_rejected_delivery_loads_nothing_blocks_later_days_until_resent(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1))
    bad = good_delivery(D2, 2)
    bad["guarantees.csv"][1]["branch_code"] = "999"
    write_delivery(tmp_path, D2, bad)
    write_delivery(tmp_path, D3, good_delivery(D3))
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.rglob("*.csv")}

    report = load_landing_report(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [D1]  # what came before the rejection is loaded
    with pytest.raises(DeliveryRejected) as err:
        report.raise_for_rejection()
    message = str(err.value)
    assert "20190103" in message and "guarantees.csv:3" in message and "branch_code" in message
    assert conn.execute("select count(*) from raw.guarantees where delivery_date > %s", (D1,)).fetchone()[0] == 0
    assert rejections(conn) == [("guarantees.csv", 3, "branch_code", "999",
                                 rejections(conn)[0][4])]
    # running again reports the same rejection without recording it twice, D3 still waits
    with pytest.raises(DeliveryRejected):
        load_landing(conn, tmp_path)
    assert len(rejections(conn)) == 1
    assert not conn.execute("select 1 from ops.deliveries where delivery_date = %s", (D3,)).fetchone()

    write_delivery(tmp_path, D2, good_delivery(D2, 2))  # the corrected re-send
    report = load_landing(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [D2, D3]
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.rglob("*.csv")
             if p.parent.name != "20190103"}
    assert all(before[p] == h for p, h in after.items())  # source files never changed


def _mutate(field_file: str, index: int, **changes):
    def apply(rows):
        rows[field_file][index].update(changes)
    return apply


def _g(**changes):
    return _mutate("guarantees.csv", 0, **changes)


# (id, mutation of a good delivery, expected (file, line, column, value), reason fragment)
ROW_RULES = [
    ("bad_date", _g(event_date="2019/01/03"), ("guarantees.csv", 2, "event_date", "2019/01/03"), "not a date"),
    ("impossible_date", _g(maturity_date="2019-02-30"), ("guarantees.csv", 2, "maturity_date", "2019-02-30"), "calendar"),
    ("date_not_delivery_date", _g(event_date="2019-01-02"), ("guarantees.csv", 2, "event_date", "2019-01-02"), "delivery date"),
    ("amount_not_integer", _g(amount_krw="12.5"), ("guarantees.csv", 2, "amount_krw", "12.5"), "not an integer"),
    ("amount_with_separator", _g(amount_krw="1,000"), ("guarantees.csv", 2, "amount_krw", "1,000"), "not an integer"),
    ("amount_zero", _g(amount_krw="0"), ("guarantees.csv", 2, "amount_krw", "0"), "> 0"),
    ("ratio_not_decimal", _g(guarantee_ratio_pct="85%"), ("guarantees.csv", 2, "guarantee_ratio_pct", "85%"), "not a decimal"),
    ("ratio_too_low", _g(guarantee_ratio_pct="49.9"), ("guarantees.csv", 2, "guarantee_ratio_pct", "49.9"), ">= 50"),
    ("fee_too_high", _g(fee_rate_pct="3.5"), ("guarantees.csv", 2, "fee_rate_pct", "3.5"), "<= 3"),
    ("term_too_long", _g(term_months="121"), ("guarantees.csv", 2, "term_months", "121"), "<= 120"),
    ("maturity_not_after", _g(maturity_date="2019-01-03"), ("guarantees.csv", 2, "maturity_date", "2019-01-03"), "after event_date"),
    ("required_empty", _g(customer_id=""), ("guarantees.csv", 2, "customer_id", ""), "required"),
    ("new_needs_term", _g(term_months=""), ("guarantees.csv", 2, "term_months", ""), "required for event_type NEW"),
    ("extend_needs_maturity", _g(event_type="EXTEND", maturity_date=""), ("guarantees.csv", 2, "maturity_date", ""), "required for event_type EXTEND"),
    ("opening_needs_fee", _g(event_type="OPENING", fee_rate_pct=""), ("guarantees.csv", 2, "fee_rate_pct", ""), "required for event_type OPENING"),
    ("unknown_event_type", _g(event_type="CANCEL"), ("guarantees.csv", 2, "event_type", "CANCEL"), "allowed code"),
    ("unknown_branch", _g(branch_code="010"), ("guarantees.csv", 2, "branch_code", "010"), "allowed code"),
    ("unknown_program", _g(program_code="COVID"), ("guarantees.csv", 2, "program_code", "COVID"), "allowed code"),
    ("unknown_bank", _g(bank_code="CITI"), ("guarantees.csv", 2, "bank_code", "CITI"), "allowed code"),
    ("bad_check_digit", _g(business_reg_no="1248100997"), ("guarantees.csv", 2, "business_reg_no", "12********"), "사업자등록번호"),  # PII: masked
    ("brn_not_10_digits", _g(business_reg_no="124-81-00998"), ("guarantees.csv", 2, "business_reg_no", "12**********"), "사업자등록번호"),
    ("unknown_repayment_kind", _mutate("repayments.csv", 0, kind="REFUND"), ("repayments.csv", 2, "kind", "REFUND"), "allowed code"),
    ("repayment_unknown_unit", _mutate("repayments.csv", 0, branch_code="300"), ("repayments.csv", 2, "branch_code", "300"), "allowed code"),
    ("repayment_negative", _mutate("repayments.csv", 0, amount_krw="-5"), ("repayments.csv", 2, "amount_krw", "-5"), "> 0"),
    ("unknown_entry_type", _mutate("contributions.csv", 0, entry_type="GRANT"), ("contributions.csv", 2, "entry_type", "GRANT"), "allowed code"),
    ("contribution_needs_type", _mutate("contributions.csv", 0, contributor_type=""), ("contributions.csv", 2, "contributor_type", ""), "required for entry_type CONTRIBUTION"),
    ("loss_with_contributor_type", _mutate("contributions.csv", 0, entry_type="LOSS"), ("contributions.csv", 2, "contributor_type", "CITY"), "must be empty for entry_type LOSS"),
    ("unknown_contributor_type", _mutate("contributions.csv", 0, contributor_type="BANK"), ("contributions.csv", 2, "contributor_type", "BANK"), "allowed code"),
    ("unknown_grade", _mutate("headcount.csv", 0, grade="7"), ("headcount.csv", 2, "grade", "7"), "allowed code"),
    ("unknown_status", _mutate("headcount.csv", 0, employment_status="RETIRED"), ("headcount.csv", 2, "employment_status", "RETIRED"), "allowed code"),
    ("snapshot_date_wrong", _mutate("headcount.csv", 1, snapshot_date="2019-01-04"), ("headcount.csv", 3, "snapshot_date", "2019-01-04"), "delivery date"),
    ("duplicate_employee", _mutate("headcount.csv", 1, employee_id="EMP1"), ("headcount.csv", 3, "employee_id", "EMP1"), "duplicate id"),
    ("unknown_org_unit", _mutate("headcount.csv", 0, org_unit_code="999"), ("headcount.csv", 2, "org_unit_code", "999"), "allowed code"),
    ("unknown_contribution_program", _mutate("contributions.csv", 0, program_code="COVID"), ("contributions.csv", 2, "program_code", "COVID"), "allowed code"),
    ("term_too_short", _g(term_months="0"), ("guarantees.csv", 2, "term_months", "0"), ">= 1"),
    ("fee_too_low", _g(fee_rate_pct="0.09"), ("guarantees.csv", 2, "fee_rate_pct", "0.09"), ">= 0.1"),
    ("ratio_too_high", _g(guarantee_ratio_pct="100.5"), ("guarantees.csv", 2, "guarantee_ratio_pct", "100.5"), "<= 100"),
    ("new_needs_maturity", _g(maturity_date=""), ("guarantees.csv", 2, "maturity_date", ""), "required for event_type NEW"),
    ("fullwidth_digits", _g(amount_krw="５０００"), ("guarantees.csv", 2, "amount_krw", "５０００"), "not an integer"),
    ("amount_with_line_break", _g(amount_krw="5000\n"), ("guarantees.csv", 2, "amount_krw", "5000\n"), "not an integer"),
    ("amount_beyond_bigint", _g(amount_krw="99999999999999999999"), ("guarantees.csv", 2, "amount_krw", "99999999999999999999"), "out of range"),
    ("fullwidth_brn", _g(business_reg_no="１２４８１００９９８"), ("guarantees.csv", 2, "business_reg_no", "１２********"), "사업자등록번호"),
    ("duplicate_event_in_file", _mutate("guarantees.csv", 1, event_id="E20190103-0"), ("guarantees.csv", 3, "event_id", "E20190103-0"), "duplicate id"),
]


@pytest.mark.parametrize("mutate,expected,reason", [r[1:] for r in ROW_RULES], ids=[r[0] for r in ROW_RULES])
def test_row_rule_rejects_delivery_with_reason(conn, tmp_path, mutate, expected, reason):
    rows = good_delivery(D2, 2)
    mutate(rows)
    write_delivery(tmp_path, D2, rows)
    with pytest.raises(DeliveryRejected, match="20190103"):
        load_landing(conn, tmp_path)
    recorded = rejections(conn)
    assert [r[:4] for r in recorded] == [expected]
    assert reason in recorded[0][4]
    assert sum(raw_count(conn, t) for t in ("guarantees", "repayments", "contributions", "headcount")) == 0
    status = conn.execute("select status, violation_count from ops.deliveries").fetchall()
    assert status == [("REJECTED", 1)]


def _rewrite_manifest(folder, transform):
    path = folder / "manifest.csv"
    lines = path.read_text().splitlines()
    path.write_text("\r\n".join(transform(lines)) + "\r\n")


def _manifest_field(name: str, col: int, value: str):
    def transform(lines):
        out = []
        for line in lines:
            parts = line.split(",")
            if parts[0] == name:
                parts[col] = value
            out.append(",".join(parts))
        return out
    return transform


FILE_RULES = [
    ("manifest_rows", lambda f: _rewrite_manifest(f, _manifest_field("guarantees.csv", 1, "9")),
     ("guarantees.csv", "rows"), "row count differs"),
    ("manifest_amount", lambda f: _rewrite_manifest(f, _manifest_field("repayments.csv", 2, "1")),
     ("repayments.csv", "amount_krw"), "amount sum differs"),
    ("manifest_sha", lambda f: _rewrite_manifest(f, _manifest_field("headcount.csv", 3, "0" * 64)),
     ("headcount.csv", "sha256"), "SHA-256 differs"),
    ("manifest_headcount_amount", lambda f: _rewrite_manifest(f, _manifest_field("headcount.csv", 2, "5")),
     ("manifest.csv", "amount_krw_sum"), "must be 0"),
    ("manifest_header", lambda f: _rewrite_manifest(f, lambda ls: ["name,rows,amount,sha"] + ls[1:]),
     ("manifest.csv", None), "header must be"),
    ("manifest_missing_line", lambda f: _rewrite_manifest(f, lambda ls: [line for line in ls if not line.startswith("contributions")]),
     ("manifest.csv", "file"), "missing from the manifest"),
    ("file_missing", lambda f: (f / "repayments.csv").unlink(), ("repayments.csv", None), "file missing"),
]


@pytest.mark.parametrize("damage,expected,reason", [r[1:] for r in FILE_RULES], ids=[r[0] for r in FILE_RULES])
def test_file_rule_rejects_delivery_with_reason(conn, tmp_path, damage, expected, reason):
    folder = write_delivery(tmp_path, D2, good_delivery(D2, 2))
    damage(folder)
    with pytest.raises(DeliveryRejected, match="20190103"):
        load_landing(conn, tmp_path)
    recorded = rejections(conn)
    assert any((r[0], r[2]) == expected and reason in r[4] for r in recorded), recorded
    assert raw_count(conn, "guarantees") == 0


RAW_FILE_RULES = [
    ("undecodable", b"\x80\x81\xff\xfe,\n", (None, None), "neither UTF-8 nor CP949"),
    ("bom_not_utf8", b"\xef\xbb\xbf\xff\xfe\n", (None, None), "BOM"),
    ("header_missing_column", b"event_id,event_date\r\n", (1, None), "missing"),
    ("header_extra_column", None, (1, None), "unexpected ['note']"),
    ("wrong_field_count", None, (2, None), "fields, header has"),
    ("malformed_quotes", None, (None, None), "malformed CSV"),
    ("empty_file", b"", (1, None), "header row missing"),
    ("nul_character", b"event_id\r\nE\x001\r\n", (2, None), "NUL"),
]


def _raw_guarantees(case: str) -> bytes:
    from include.ingest.contract import GUARANTEES
    from tests.landing_factory import csv_bytes

    header = list(GUARANTEES.column_names)
    row = [guarantee(D2, "E1").get(c) for c in header]
    if case == "header_extra_column":
        return csv_bytes(header + ["note"], [row + ["x"]])
    if case == "wrong_field_count":
        return csv_bytes(header, [row[:-1]])
    if case == "malformed_quotes":
        return csv_bytes(header, []) + b'E1,"2019-01-03"x,NEW\r\n'
    raise KeyError(case)


@pytest.mark.parametrize("data,expected,reason", [r[1:] for r in RAW_FILE_RULES], ids=[r[0] for r in RAW_FILE_RULES])
def test_malformed_file_rejects_delivery_with_reason(conn, tmp_path, request, data, expected, reason):
    case = request.node.callspec.id
    data = data if data is not None else _raw_guarantees(case)
    write_delivery(tmp_path, D2, good_delivery(D2, 1), raw_files={"guarantees.csv": data})
    with pytest.raises(DeliveryRejected, match="20190103"):
        load_landing(conn, tmp_path)
    recorded = [r for r in rejections(conn) if r[0] == "guarantees.csv" and reason in r[4]]
    assert recorded and (recorded[0][1], recorded[0][2]) == expected, rejections(conn)
    assert raw_count(conn, "guarantees") == 0


def test_id_reused_from_another_delivery_is_rejected(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1))
    load_landing(conn, tmp_path)
    rows = good_delivery(D2)
    rows["repayments.csv"][0]["repayment_id"] = "R20190102-0"
    rows["contributions.csv"][0]["contribution_id"] = "C20190102"
    write_delivery(tmp_path, D2, rows)
    with pytest.raises(DeliveryRejected, match="20190103"):
        load_landing(conn, tmp_path)
    assert [r[:4] for r in rejections(conn)] == [
        ("repayments.csv", 2, "repayment_id", "R20190102-0"),
        ("contributions.csv", 2, "contribution_id", "C20190102"),
    ]
    assert all("already delivered on 2019-01-02" in r[4] for r in rejections(conn))


def test_every_violation_of_a_delivery_is_recorded(conn, tmp_path):
    rows = good_delivery(D2, 3)
    for r in rows["guarantees.csv"]:
        r["bank_code"] = "XX"
    rows["headcount.csv"].append(employee(D2, "EMP3", grade="9"))
    rows["contributions.csv"].append(contribution(D2, "C-LOSS", entry_type="LOSS", contributor_type=None))
    rows["repayments.csv"].append(repayment(D2, "R-OPEN", kind="OPENING_RECOURSE", guarantee_id="OLD1"))
    write_delivery(tmp_path, D2, rows)
    with pytest.raises(DeliveryRejected) as err:
        load_landing(conn, tmp_path)
    assert err.value.total == 4
    assert [(r[0], r[1], r[2]) for r in rejections(conn)] == [
        ("guarantees.csv", 2, "bank_code"), ("guarantees.csv", 3, "bank_code"),
        ("guarantees.csv", 4, "bank_code"), ("headcount.csv", 4, "grade")]


def test_values_at_the_contract_bounds_are_accepted(conn, tmp_path):
    rows = good_delivery(D1, 2)
    rows["guarantees.csv"][0].update(fee_rate_pct="0.1", guarantee_ratio_pct="50", term_months="1")
    rows["guarantees.csv"][1].update(fee_rate_pct="3.0", guarantee_ratio_pct="100", term_months="120")
    write_delivery(tmp_path, D1, rows)
    assert [d for d, _ in load_landing(conn, tmp_path).loaded] == [D1]


def test_undecodable_manifest_rejects_the_delivery(conn, tmp_path):
    folder = write_delivery(tmp_path, D2, good_delivery(D2))
    (folder / "manifest.csv").write_bytes(b"\xff\xfe\x80 not a manifest")
    with pytest.raises(DeliveryRejected, match="20190103"):
        load_landing(conn, tmp_path)
    assert any(r[0] == "manifest.csv" and "neither UTF-8 nor CP949" in r[4] for r in rejections(conn))


def test_a_day_missing_after_the_warehouse_state_blocks_later_days(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1))
    load_landing(conn, tmp_path)
    for path in sorted((tmp_path / "20190102").iterdir()):  # D1 archived from the landing area
        path.unlink()
    (tmp_path / "20190102").rmdir()
    write_delivery(tmp_path, D3, good_delivery(D3))  # D2 never arrived
    report = load_landing(conn, tmp_path)
    assert report.loaded == [] and report.waiting_for == D2


def test_a_resend_reverting_to_an_earlier_version_is_loaded(conn, tmp_path):
    first = good_delivery(D1)
    second = good_delivery(D1)
    second["guarantees.csv"][0]["amount_krw"] = 70_000_000
    for version in (first, second, first):
        write_delivery(tmp_path, D1, version)
        assert len(load_landing(conn, tmp_path).loaded) == 1
    assert conn.execute("select amount_krw from raw.guarantees").fetchall() == [(50_000_000,)]
    statuses = conn.execute("select status from ops.deliveries order by load_id").fetchall()
    assert statuses == [("SUPERSEDED",), ("SUPERSEDED",), ("LOADED",)]


def test_each_delivery_is_committed_as_soon_as_it_is_loaded(conn, db_url, tmp_path):
    import psycopg

    for day in (D1, D2, D3):
        write_delivery(tmp_path, day, good_delivery(day))
    seen_by_another_session = []

    def progress(done, total, day, rows):
        with psycopg.connect(db_url) as other:
            seen_by_another_session.append(other.execute(
                "select count(*) from ops.deliveries where status = 'LOADED'").fetchone()[0])

    load_landing_report(conn, tmp_path, progress=progress)
    assert seen_by_another_session == [1, 2, 3]


def test_the_night_goes_ahead_at_once_when_unseen_deliveries_wait(conn, db_url, tmp_path, monkeypatch):
    """A fresh deployment's first run loads the landing area now, not after waiting for its own night."""
    from include.ingest import steps

    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(tmp_path))
    tonight = date(2026, 11, 28)  # a night whose delivery this landing area never has
    write_delivery(tmp_path, D1, good_delivery(D1))
    write_delivery(tmp_path, D2, good_delivery(D2))
    assert steps.delivery_arrived(tonight)  # an empty warehouse: everything waiting is unseen
    load_landing(conn, tmp_path)
    assert not steps.delivery_arrived(tonight)  # all loaded: the night waits for its delivery
    assert steps.delivery_arrived(D2)  # a night already loaded
    write_delivery(tmp_path, D3, good_delivery(D3))
    assert steps.delivery_arrived(tonight)  # a missed night arrived since: go ahead



def test_the_sensor_and_the_loader_agree_on_a_manifest_that_is_a_link(conn, db_url, tmp_path, monkeypatch):
    """A manifest that is a dangling symbolic link: the delivery is complete for both (nothing is
    followed), and the loader rejects it without reading what it points to."""
    from include.ingest import steps

    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(tmp_path))
    folder = write_delivery(tmp_path, D1, good_delivery(D1))
    (folder / "manifest.csv").unlink()
    (folder / "manifest.csv").symlink_to(tmp_path / "nowhere.csv")
    assert steps.delivery_arrived(D1) and [d for d, _ in complete_deliveries(tmp_path)] == [D1]
    report = load_landing_report(conn, tmp_path)
    assert report.loaded == [] and report.rejected is not None and "symbolic link" in str(report.rejected)

# --- the fast path (include.ingest.fast_check) and the exact checker agree -------------------

def _exact_only(monkeypatch):
    """Every file checked by the exact row-by-row checker alone (the fast path never vouches)."""
    from include.ingest import fast_check

    monkeypatch.setattr(fast_check, "clean_frames", lambda spec, files, unique_elsewhere=False: [None] * len(files))


def _outcome(folders, unique_elsewhere=frozenset()):
    from include.ingest.validation import check_deliveries

    return [(c.ok, [(v.file, v.line, v.column, v.value, v.reason) for v in c.violations],
             {name: (p.data_records, p.amount_sum, p.encoding, p.sha256) for name, p in c.files.items()})
            for c in check_deliveries(folders, unique_elsewhere=unique_elsewhere)]


def _bad_delivery(case: str):
    """Writes delivery D2 as the bad-file case `case` of this module's tables."""
    rules = {r[0]: r for r in ROW_RULES}
    raw_rules = {r[0]: r for r in RAW_FILE_RULES}
    file_rules = {r[0]: r for r in FILE_RULES}

    def write(landing):
        if case in rules:
            rows = good_delivery(D2, 2)
            rules[case][1](rows)
            write_delivery(landing, D2, rows)
        elif case in raw_rules:
            data = raw_rules[case][1]
            write_delivery(landing, D2, good_delivery(D2, 1),
                           raw_files={"guarantees.csv": data if data is not None else _raw_guarantees(case)})
        else:
            file_rules[case][1](write_delivery(landing, D2, good_delivery(D2, 2)))
    return write


BAD_FILES = [r[0] for r in ROW_RULES] + [r[0] for r in RAW_FILE_RULES] + [r[0] for r in FILE_RULES]


@pytest.mark.parametrize("case", BAD_FILES)
def test_fast_and_exact_paths_agree_on_every_bad_file(tmp_path, monkeypatch, case):
    """Each bad-file case, in a batch between good deliveries: the same deliveries rejected with
    the same violations (file, line, column, value, reason, in order) by either path."""
    write_delivery(tmp_path, D1, good_delivery(D1, 3))
    _bad_delivery(case)(tmp_path)
    write_delivery(tmp_path, D3, good_delivery(D3, 2), encodings={"guarantees.csv": "cp949"})
    folders = [folder for _, folder in complete_deliveries(tmp_path)]
    ids_in_raw = frozenset({"guarantees.csv", "repayments.csv", "contributions.csv"})
    fast, fast_trusting_raw = _outcome(folders), _outcome(folders, ids_in_raw)
    _exact_only(monkeypatch)
    exact = _outcome(folders)
    assert [ok for ok, _, _ in exact] == [True, False, True]
    assert fast == exact
    if case != "duplicate_event_in_file":  # left to raw's unique index, checked exactly when it fires
        assert fast_trusting_raw == exact


def _content(conn, day) -> dict:
    """A delivery's rows in raw without what differs from day to day (ids, dates, lineage)."""
    from include.ingest.contract import DATE, FILES

    found = {}
    for spec in FILES:
        columns = [c.name for c in spec.columns if not c.identifier and c.type != DATE]
        columns += [d.name for d in spec.derived] + ["line_no"]
        found[spec.table] = conn.execute(f"select {', '.join(columns)} from raw.{spec.table} "
                                         "where delivery_date = %s order by line_no", (day,)).fetchall()
    return found


def test_cp949_bom_lf_and_quoted_line_breaks_load_the_same_rows(conn, tmp_path):
    """The same delivery written in UTF-8, UTF-8 with BOM and CP949, with CRLF or LF line ends,
    names with quotes, commas and line breaks: the same rows are loaded each time."""
    from include.ingest.contract import FILES
    from tests.landing_factory import csv_bytes

    def rows_for(day):
        rows = good_delivery(day, 3)
        rows["guarantees.csv"][1]["customer_name"] = '두 줄\n"상호", 남동점'
        rows["guarantees.csv"][2]["customer_name"] = "세 줄\n이름\n끝"
        return rows
    cutover, days = date(2019, 1, 1), [date(2019, 1, d) for d in (2, 3, 4, 5)]
    write_delivery(tmp_path, cutover, good_delivery(cutover))
    write_delivery(tmp_path, days[0], rows_for(days[0]))
    write_delivery(tmp_path, days[1], rows_for(days[1]),
                   encodings={"guarantees.csv": "utf-8-sig", "repayments.csv": "utf-8-sig"})
    write_delivery(tmp_path, days[2], rows_for(days[2]), encodings={"guarantees.csv": "cp949", "headcount.csv": "cp949"})
    lf = rows_for(days[3])
    raw_lf = {spec.name: csv_bytes(list(spec.column_names), [[r.get(c) for c in spec.column_names]
                                                              for r in lf[spec.name]]).replace(b"\r\n", b"\n")
              for spec in FILES}
    write_delivery(tmp_path, days[3], lf, raw_files=raw_lf)
    report = load_landing(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [cutover, *days]
    loaded = [_content(conn, day) for day in days]
    assert all(found == loaded[0] for found in loaded[1:])
    names = conn.execute("select customer_name, line_no from raw.guarantees where delivery_date = %s "
                         "order by line_no", (days[2],)).fetchall()
    assert names == [('주식회사 "한빛", 남동점', 2), ('두 줄\n"상호", 남동점', 3), ("세 줄\n이름\n끝", 5)]
    encodings = conn.execute("select encodings from ops.deliveries order by load_id").fetchall()
    assert [e["guarantees.csv"] for (e,) in encodings][1:] == ["utf-8", "utf-8-sig", "cp949", "utf-8"]


def test_a_big_delivery_loads_with_every_row_checked_and_keyed(conn, tmp_path):
    """A delivery of many rows goes through the fast path (chunks, customer keys made while
    copied) and loads the same keys as CustomerKeys computes one by one."""
    from include.ingest.customer_key import CustomerKeys, secret_for

    rows = good_delivery(D1, 60_000)
    write_delivery(tmp_path, D1, rows)
    write_delivery(tmp_path, D2, good_delivery(D2, 2))
    report = load_landing(conn, tmp_path)
    assert report.rows == 60_000 * 2 + (1 + 1) + 2 + 2 * 2 + 3  # the cut-over's OPENING entry included
    keys = CustomerKeys(secret_for(tmp_path))
    sample = conn.execute("select business_reg_no, customer_key, line_no from raw.guarantees "
                          "where delivery_date = %s and line_no in (2, 30001, 60001)", (D1,)).fetchall()
    assert [(key, line) for number, key, line in sample] == [(keys(n), line) for n, _, line in sample]
    assert [line for _, _, line in sample] == [2, 30001, 60001]


def test_deliveries_without_any_quoted_field_load(conn, tmp_path):
    """Files with no quoted field at all (the optional last column empty): checked as one batch."""
    for day in (D1, D2, D3):
        rows = good_delivery(day, 3)
        for row in rows["guarantees.csv"]:
            row["customer_name"] = "한빛상회"
        rows["guarantees.csv"][2].update(event_type="TERMINATE", guarantee_ratio_pct="", fee_rate_pct="",
                                         term_months="", maturity_date="")
        write_delivery(tmp_path, day, rows)
    report = load_landing(conn, tmp_path)
    assert [d for d, _ in report.loaded] == [D1, D2, D3]
    assert conn.execute("select array_agg(line_no order by line_no) from raw.guarantees "
                        "where delivery_date = %s", (D3,)).fetchone()[0] == [2, 3, 4]


def test_records_copied_as_delivered_load_what_the_frame_would(conn, server_url, tmp_path, monkeypatch):
    """A clean file's records go to COPY as delivered (include.ingest.fast_check.Verbatim), each line
    with its derived values and lineage appended: in any column order, line ending, encoding, with
    or without a last line break, quoted commas and quotes, quoted and unquoted empty fields, raw
    holds exactly what re-serialising the checked frame loads."""
    from include.ingest import fast_check, loader
    from include.ingest.contract import FILES, GUARANTEES
    from tests.conftest import make_database
    from tests.landing_factory import csv_bytes

    def rows_for(day):
        rows = good_delivery(day, 4)
        rows["guarantees.csv"][1]["customer_name"] = '주식회사 "한빛", 남동점'
        rows["guarantees.csv"][3].update(event_type="TERMINATE", guarantee_ratio_pct="", fee_rate_pct="",
                                         term_months="", maturity_date="")
        return rows

    def written(rows, header_order, line_end=b"\r\n", encoding="utf-8", last_break=True):
        files = {}
        for spec in FILES:
            header = header_order(list(spec.column_names))
            data = csv_bytes(header, [[r.get(c) for c in header] for r in rows[spec.name]], encoding)
            data = data.replace(b"\r\n", line_end).replace(b',"",', b",,")
            files[spec.name] = data if last_break else data.rstrip(b"\r\n")
        files["guarantees.csv"] = files["guarantees.csv"].replace(b",,,,", b',"","",,')  # quoted empty fields too
        return files

    cutover = date(2019, 1, 1)
    variants = {date(2019, 1, 2): {"header_order": lambda h: h[::-1]},
                date(2019, 1, 3): {"header_order": lambda h: h, "line_end": b"\n", "encoding": "utf-8-sig"},
                date(2019, 1, 4): {"header_order": lambda h: h[1:] + h[:1], "encoding": "cp949"},
                date(2019, 1, 5): {"header_order": lambda h: h, "last_break": False}}
    write_delivery(tmp_path, cutover, good_delivery(cutover))
    for day, how in variants.items():
        rows = rows_for(day)
        write_delivery(tmp_path, day, rows, raw_files=written(rows, **how))

    def raw_contents(connection):
        return {spec.table: connection.execute(
            f"select * from raw.{spec.table} order by delivery_date, line_no").fetchall() for spec in FILES}

    copied_as_delivered = []
    write_verbatim = loader._write_verbatim
    monkeypatch.setattr(loader, "_write_verbatim",
                        lambda copy, spec, *args: copied_as_delivered.append(spec.name) or write_verbatim(copy, spec, *args))
    assert [d for d, _ in load_landing_report(conn, tmp_path).loaded] == [cutover, *variants]
    assert copied_as_delivered.count(GUARANTEES.name) == 1 + len(variants)
    assert len(copied_as_delivered) == 5 * len(FILES)

    monkeypatch.setattr(fast_check, "verbatim", lambda plain: None)
    with psycopg.connect(make_database(server_url, "reserialised")) as other:
        assert [d for d, _ in load_landing_report(other, tmp_path).loaded] == [cutover, *variants]
        contents, reserialised = raw_contents(conn), raw_contents(other)
    for table, rows in contents.items():
        assert len(rows) == len(reserialised[table]) > 0
        drop = [i for i, c in enumerate(conn.execute(f"select * from raw.{table} limit 0").description)
                if c.name == "loaded_at"]
        assert [[v for i, v in enumerate(r) if i not in drop] for r in rows] == \
               [[v for i, v in enumerate(r) if i not in drop] for r in reserialised[table]]
    terminated = conn.execute("select guarantee_ratio_pct, fee_rate_pct, term_months, maturity_date, customer_name "
                              "from raw.guarantees where delivery_date = '2019-01-02' order by line_no").fetchall()
    assert terminated[3][:4] == (None, None, None, None)
    assert terminated[1][4] == '주식회사 "한빛", 남동점'
