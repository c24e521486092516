"""A landing area that cannot lie: what is a delivery, what a delivery may hold, the cut-over.

The extract contract, "What the landing area may and may not hold": delivery folders named
YYYYMMDD (8 ASCII digits, a valid date); regular files only, never a link followed; the first
delivery loaded is the cut-over; other files are reported, not loaded; decimals have at most 4
places; ids carry no leading or trailing spaces.
"""
from __future__ import annotations

import logging
import os
from datetime import date

import pytest

from include.ingest.loader import DeliveryRejected, load_landing, waiting_deliveries
from include.ingest.rejections import blocking_rejection
from tests.landing_factory import (
    contribution,
    good_delivery,
    guarantee,
    repayment,
    write_delivery,
)

D1, D2, D3 = date(2019, 1, 2), date(2019, 1, 3), date(2019, 1, 4)
TABLES = ("guarantees", "repayments", "contributions", "headcount")


def raw_rows(conn) -> int:
    return sum(conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in TABLES)


def rejections(conn) -> list[tuple]:
    return conn.execute("select delivery_date, file_name, line_no, column_name, value, reason "
                        "from ops.rejections order by rejection_id").fetchall()


def loaded_days(conn) -> list[date]:
    return [d for (d,) in conn.execute(
        "select delivery_date from ops.deliveries where status = 'LOADED' order by delivery_date")]


def rejected_alone(conn, landing, expected: tuple) -> None:
    """The delivery is rejected with exactly this one violation, and nothing of it is loaded."""
    with pytest.raises(DeliveryRejected):
        load_landing(conn, landing).raise_for_rejection()
    assert rejections(conn) == [expected]
    assert raw_rows(conn) == 0


# --- regular files only ----------------------------------------------------------------------

def test_a_data_file_that_is_a_link_is_rejected_and_not_read(conn, tmp_path):
    folder = write_delivery(tmp_path / "landing", D1, good_delivery(D1))
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes((folder / "guarantees.csv").read_bytes())  # the same bytes: only the link is wrong
    (folder / "guarantees.csv").unlink()
    (folder / "guarantees.csv").symlink_to(elsewhere)
    rejected_alone(conn, tmp_path / "landing",
                   (D1, "guarantees.csv", None, None, None, "is a symbolic link, not a regular file: not read"))


def test_a_link_to_a_folder_inside_a_delivery_is_rejected(conn, tmp_path):
    folder = write_delivery(tmp_path / "landing", D1, good_delivery(D1))
    (folder / "archive").symlink_to(tmp_path, target_is_directory=True)
    rejected_alone(conn, tmp_path / "landing", (D1, "archive", None, None, None,
                                                 "is a symbolic link inside the delivery folder: not read "
                                                 "(a delivery holds regular files only)"))


def test_a_fifo_is_rejected_without_opening_it(conn, tmp_path):
    folder = write_delivery(tmp_path / "landing", D1, good_delivery(D1))
    (folder / "headcount.csv").unlink()
    os.mkfifo(folder / "headcount.csv")  # reading it would wait forever for a writer
    rejected_alone(conn, tmp_path / "landing",
                   (D1, "headcount.csv", None, None, None, "is a fifo, not a regular file: not read"))


def test_a_folder_where_a_file_belongs_is_rejected(conn, tmp_path):
    folder = write_delivery(tmp_path / "landing", D1, good_delivery(D1))
    (folder / "repayments.csv").unlink()
    (folder / "repayments.csv").mkdir()
    rejected_alone(conn, tmp_path / "landing",
                   (D1, "repayments.csv", None, None, None, "is a folder, not a regular file: not read"))


def test_a_delivery_folder_that_is_a_link_is_rejected_once_without_being_followed(conn, tmp_path):
    real = write_delivery(tmp_path / "real", D1, good_delivery(D1))
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "20190102").symlink_to(real, target_is_directory=True)
    reason = "the delivery folder is a symbolic link: not read (a delivery is a folder of regular files)"
    rejected_alone(conn, tmp_path / "landing", (D1, "20190102", None, None, None, reason))
    with pytest.raises(DeliveryRejected):  # the next run: the same rejection, not recorded again
        load_landing(conn, tmp_path / "landing").raise_for_rejection()
    assert len(rejections(conn)) == 1


# --- what is a delivery ---------------------------------------------------------------------

NOT_DELIVERIES = ["20190230", "2019-01-03", "２０１９０１０３", "201901031", "20190103 "]


def test_only_8_ascii_digits_forming_a_date_are_deliveries_the_rest_is_listed_once(conn, tmp_path, caplog):
    write_delivery(tmp_path, D1, good_delivery(D1))
    for name in NOT_DELIVERIES:
        (tmp_path / name).mkdir()
        write_delivery(tmp_path / name, D2, good_delivery(D2))  # a complete delivery inside: still not one
    (tmp_path / "README.txt").write_text("not a delivery")
    caplog.set_level(logging.WARNING)

    report = load_landing(conn, tmp_path)
    assert [day for day, _ in report.loaded] == [D1] and report.rejected is None
    assert sorted(report.ignored) == sorted([*NOT_DELIVERIES, "README.txt"])
    stored = dict(conn.execute("select name, reason from ops.ignored_landing_entries").fetchall())
    assert stored["２０１９０１０３"] == "not a delivery folder name (YYYYMMDD: 8 ASCII digits, a valid date)"
    assert "'20190230' is not a delivery, ignored" in caplog.text

    caplog.clear()
    again = load_landing(conn, tmp_path)  # the next night: nothing new to say
    assert again.ignored == [] and "not a delivery" not in caplog.text


def test_a_file_named_like_a_delivery_is_ignored(conn, tmp_path):
    (tmp_path / "20190102").write_text("a file, not a folder")
    report = load_landing(conn, tmp_path)
    assert report.ignored == ["20190102"] and report.loaded == [] and report.rejected is None
    assert conn.execute("select reason from ops.ignored_landing_entries").fetchall() == [
        ("a regular file, not a delivery folder",)]


# --- the cut-over ---------------------------------------------------------------------------

def opening_delivery(day: date) -> dict[str, list[dict]]:
    rows = good_delivery(day)
    tag = f"{day:%Y%m%d}"
    rows["guarantees.csv"].append(guarantee(day, f"O{tag}", "OPENING", f"OG{tag}"))
    rows["repayments.csv"].append(repayment(day, f"OR{tag}", "OPENING_RECOURSE", f"OC{tag}"))
    rows["contributions.csv"].append(contribution(day, f"OF{tag}", entry_type="OPENING"))
    return rows


def test_opening_rows_after_the_cut_over_are_rejected(conn, tmp_path):
    write_delivery(tmp_path, D1, opening_delivery(D1))  # the cut-over: OPENING rows belong here
    write_delivery(tmp_path, D2, opening_delivery(D2))
    report = load_landing(conn, tmp_path)
    assert [day for day, _ in report.loaded] == [D1]
    assert rejections(conn) == [
        (D2, "guarantees.csv", 3, "event_type", "OPENING",
         "OPENING rows belong to the cut-over delivery 20190102 only"),
        (D2, "repayments.csv", 3, "kind", "OPENING_RECOURSE",
         "OPENING_RECOURSE rows belong to the cut-over delivery 20190102 only"),
        (D2, "contributions.csv", 3, "entry_type", "OPENING",
         "OPENING rows belong to the cut-over delivery 20190102 only"),
    ]
    assert conn.execute("select count(*) from raw.guarantees where delivery_date = %s", (D2,)).fetchone()[0] == 0


def test_a_cut_over_without_the_opening_entry_of_basic_assets_is_rejected_and_later_days_wait(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1), cutover=False)  # a day like any other, first
    write_delivery(tmp_path, D2, good_delivery(D2))
    report = load_landing(conn, tmp_path)
    assert report.loaded == [] and report.rejected is not None and report.rejected.delivery_date == D1
    assert rejections(conn) == [
        (D1, "contributions.csv", None, "entry_type", None,
         "the warehouse's first delivery is its cut-over and must carry the OPENING rows "
         "(the opening state); this file has none")]
    assert raw_rows(conn) == 0 and loaded_days(conn) == []
    write_delivery(tmp_path, D1, opening_delivery(D1))  # re-sent as the cut-over it is
    assert [day for day, _ in load_landing(conn, tmp_path).raise_for_rejection().loaded] == [D1, D2]


def test_a_resent_cut_over_may_carry_its_opening_rows(conn, tmp_path):
    write_delivery(tmp_path, D1, good_delivery(D1))
    load_landing(conn, tmp_path)
    write_delivery(tmp_path, D1, opening_delivery(D1))
    assert [day for day, _ in load_landing(conn, tmp_path).raise_for_rejection().loaded] == [D1]


def test_a_delivery_before_the_cut_over_is_rejected_for_good_and_blocks_nothing(conn, tmp_path):
    write_delivery(tmp_path, D2, good_delivery(D2))
    load_landing(conn, tmp_path)  # D2 is the cut-over
    write_delivery(tmp_path, D1, opening_delivery(D1))  # arrives late, dated before it
    write_delivery(tmp_path, D3, good_delivery(D3))

    report = load_landing(conn, tmp_path)
    assert [day for day, _ in report.loaded] == [D3]  # not held back by it
    assert report.rejected is not None and report.rejected.delivery_date == D1
    assert "never accepted, nothing waits for it" in str(report.rejected)
    assert rejections(conn) == [(D1, "20190102", None, None, None,
                                 "dated before the warehouse's cut-over delivery 20190103: "
                                 "no delivery before the cut-over is ever accepted")]
    assert conn.execute("select count(*) from raw.guarantees where delivery_date = %s", (D1,)).fetchone()[0] == 0
    assert blocking_rejection(conn) is None and waiting_deliveries(conn, tmp_path) == []

    again = load_landing(conn, tmp_path)  # reported once: the next night is quiet
    assert again.rejected is None and len(rejections(conn)) == 1
    assert loaded_days(conn) == [D2, D3]


# --- files not in the contract --------------------------------------------------------------

def test_files_not_in_the_contract_are_reported_once_and_not_loaded(conn, tmp_path, caplog):
    folder = write_delivery(tmp_path, D1, good_delivery(D1, 2))
    (folder / "notes.txt").write_text("guarantees.csv was re-exported")
    (folder / "old").mkdir()
    caplog.set_level(logging.WARNING)
    report = load_landing(conn, tmp_path).raise_for_rejection()
    assert [day for day, _ in report.loaded] == [D1] and raw_rows(conn) == 2 + 2 + (1 + 1) + 2  # + the OPENING entry
    assert report.unexpected_files == ["20190102/notes.txt", "20190102/old"]
    assert conn.execute("select delivery_date, name from ops.unexpected_files order by name").fetchall() == [
        (D1, "notes.txt"), (D1, "old")]
    assert "delivery 20190102 holds 2 file(s) not in the contract, not loaded: 20190102/notes.txt" in caplog.text
    caplog.clear()
    folder.touch()  # the next night: the same delivery version, already reported
    assert load_landing(conn, tmp_path).unexpected_files == [] and "not in the contract" not in caplog.text


def test_the_operators_get_one_mail_per_delivery_version_with_files_not_in_the_contract(conn, db_url, tmp_path,
                                                                                       monkeypatch):
    from include.alerts import streams
    from tests.mail_capture import MailServer

    folder = write_delivery(tmp_path / "landing", D1, good_delivery(D1, 2))
    (folder / "notes.txt").write_text("re-exported")
    load_landing(conn, tmp_path / "landing").raise_for_rejection()
    conn.commit()
    server = MailServer().start()
    try:
        for name, value in {"CGF_WAREHOUSE_URL": db_url, "CGF_OPS_ALERT_TO": "operator@example.org",
                            "CGF_HOME": str(tmp_path / "home"), "AIRFLOW_CONN_SMTP_DEFAULT": server.connection_uri,
                            "CGF_LANDING_DIR": str(tmp_path / "landing")}.items():
            monkeypatch.setenv(name, value)
        assert len(streams.deliver()["sent"]) == 1
        assert streams.deliver()["sent"] == []  # the next night: already reported
    finally:
        server.stop()
    [mail] = server.received
    assert mail.recipients == ["operator@example.org"]
    assert mail.subject == "[CGF] 계약 외 파일 (files not in the contract): 20190102 — 1개"
    assert "파일 / File(s): notes.txt" in mail.part("text/plain")


# --- decimals and ids -----------------------------------------------------------------------

def test_a_decimal_with_more_than_4_places_is_rejected_not_rounded(conn, tmp_path):
    rows = good_delivery(D1, 2)
    rows["guarantees.csv"][0]["fee_rate_pct"] = "1.2345"  # 4 places: accepted
    rows["guarantees.csv"][1]["fee_rate_pct"] = "1.23456"
    write_delivery(tmp_path, D1, rows)
    rejected_alone(conn, tmp_path, (D1, "guarantees.csv", 3, "fee_rate_pct", "1.23456",
                                    "more than 4 digits after the point (not rounded)"))


@pytest.mark.parametrize("file,column,value", [
    ("guarantees.csv", "event_id", " E1"),
    ("guarantees.csv", "guarantee_id", "G1 "),
    ("guarantees.csv", "customer_id", "C0001\t"),
    ("repayments.csv", "guarantee_id", "\u3000G1"),  # an ideographic space
    ("headcount.csv", "employee_id", "EMP1 "),
])
def test_an_id_with_leading_or_trailing_spaces_is_rejected(conn, tmp_path, file, column, value):
    rows = good_delivery(D1)
    rows[file][0][column] = value
    write_delivery(tmp_path, D1, rows)
    rejected_alone(conn, tmp_path, (D1, file, 2, column, value,
                                    "id has leading or trailing spaces (ids are compared exactly)"))
