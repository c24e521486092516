"""PII stays in raw and staging: rejections, log lines, the exception and the operator e-mail
carry a personal value (사업자등록번호, customer name) masked, and never a whole row."""
from __future__ import annotations

import logging
from datetime import date

import pytest

from include.alerts.mail import rejection_alert
from include.ingest import contract
from include.ingest.loader import DeliveryRejected, load_landing
from include.ingest.rejections import blocking_rejection, first_violations
from include.ingest.validation import Violation
from tests.landing_factory import csv_bytes, good_delivery, rewrite_manifest, write_delivery

D1 = date(2019, 1, 2)
NAME = "홍길동상회"  # the customer's name: in raw, nowhere else
BRN_INVALID = "1234567890"  # a wrong check digit: rejected, so it reaches a rejection record
BRN_VALID = "2208139938"  # valid, on a malformed row: the row must not be echoed
SECRETS = (NAME, BRN_INVALID, BRN_VALID)


def all_text_of_rejections(conn) -> str:
    rows = conn.execute("select r::text from ops.rejections r union all select d::text from ops.deliveries d")
    return "\n".join(text for (text,) in rows)


def mail_text(message) -> str:
    return "\n".join(message.get_body((kind,)).get_content() for kind in ("plain", "html")) + message["Subject"]


def assert_no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def write_guarantees(landing, lines: list[list], header: bool = True):
    """A delivery whose guarantees.csv is written as given (a malformed row included), manifest right."""
    rows = good_delivery(D1)
    folder = write_delivery(landing, D1, rows)
    columns = list(contract.GUARANTEES.column_names)
    data = csv_bytes(columns, lines)
    if not header:
        data = data.split(b"\r\n", 1)[1]
    (folder / "guarantees.csv").write_bytes(data)
    rewrite_manifest(folder)
    return folder


def guarantee_line(event_id: str, brn: str, extra: list | None = None) -> list:
    row = good_delivery(D1)["guarantees.csv"][0]
    row.update(event_id=event_id, business_reg_no=brn, customer_name=NAME)
    return [row[c] for c in contract.GUARANTEES.column_names] + (extra or [])


def test_mask_keeps_the_leading_characters_the_contract_names():
    assert contract.shown_value("guarantees.csv", "business_reg_no", "1248100998") == "12********"
    assert contract.shown_value("guarantees.csv", "customer_name", "한빛상사주식회사") == "한*******"
    assert contract.shown_value("guarantees.csv", "customer_name", "김") == "*"  # never shown whole
    assert contract.shown_value("guarantees.csv", "customer_id", "C0001") == "C0001"  # pseudonymous: not PII
    assert contract.shown_value("guarantees.csv", "customer_name", "") == ""
    assert contract.shown_value("guarantees.csv", "business_reg_no", None) is None
    assert [c.name for spec in contract.FILES for c in spec.columns if c.pii] == ["business_reg_no", "customer_name"]


def test_long_values_are_cut_to_80_characters_with_an_ellipsis():
    long = "x" * 500
    shown = contract.shown_value("guarantees.csv", "event_id", long)
    assert shown == "x" * 79 + "…" and len(shown) == 80
    assert contract.cut(shown) == shown  # cutting twice changes nothing
    assert contract.shown_value("guarantees.csv", "customer_name", "가" * 200) == "가" + "*" * 78 + "…"


def test_a_violation_masks_its_value_wherever_it_comes_from():
    made = Violation("guarantees.csv", 2, "business_reg_no", "1248100997", "not a valid 사업자등록번호")
    assert made.value == "12********"
    assert Violation(*vars(made).values()).value == "12********"  # read back: unchanged
    assert "1248100997" not in str(made) and "12********" in str(made)


def test_a_rejected_delivery_shows_personal_values_masked_everywhere(conn, tmp_path, caplog):
    write_guarantees(tmp_path, [guarantee_line("E1", BRN_INVALID), guarantee_line("E2", BRN_VALID, ["surplus"])])
    caplog.set_level(logging.DEBUG)
    report = load_landing(conn, tmp_path)

    recorded = conn.execute("select file_name, line_no, column_name, value, reason from ops.rejections "
                            "order by rejection_id").fetchall()
    assert recorded == [  # rows are parsed first, then their values checked column by column
        ("guarantees.csv", 3, None, None, "has 16 fields, header has 15"),  # the row itself is not stored
        ("guarantees.csv", 2, "business_reg_no", "12********",
         "not a valid 사업자등록번호 (10 digits with check digit)"),
    ]
    assert conn.execute("select count(*) from raw.guarantees").fetchone()[0] == 0
    rejection = blocking_rejection(conn)
    message = rejection_alert(rejection, first_violations(conn, rejection), ["ops@example.com"])
    assert "사업자등록번호 (business_reg_no) = '12********'" in mail_text(message)
    assert "12********" in str(report.rejected) and "12********" in caplog.text
    assert_no_secret_in(all_text_of_rejections(conn), caplog.text, str(report.rejected), mail_text(message))

    with pytest.raises(DeliveryRejected) as again:  # the stored rejection, reported on the next run
        load_landing(conn, tmp_path).raise_for_rejection()
    assert_no_secret_in(str(again.value))


def test_a_header_that_is_a_data_row_is_not_echoed(conn, tmp_path, caplog):
    write_guarantees(tmp_path, [guarantee_line("E1", BRN_VALID)], header=False)
    caplog.set_level(logging.DEBUG)
    report = load_landing(conn, tmp_path)
    [(line, column, value, reason)] = conn.execute(
        "select line_no, column_name, value, reason from ops.rejections where file_name = 'guarantees.csv'"
    ).fetchall()
    assert (line, column, value) == (1, None, None)
    assert reason.startswith("header does not match the contract: missing [")
    assert_no_secret_in(all_text_of_rejections(conn), caplog.text, str(report.rejected))


def test_values_recorded_by_an_earlier_release_are_masked_when_read_back(conn, tmp_path):
    write_guarantees(tmp_path, [guarantee_line("E1", BRN_INVALID)])
    load_landing(conn, tmp_path)
    conn.execute("update ops.rejections set value = %s", (BRN_INVALID,))  # as an earlier release stored it
    rejection = blocking_rejection(conn)
    [violation] = first_violations(conn, rejection)
    assert violation.value == "12********"
    assert_no_secret_in(mail_text(rejection_alert(rejection, [violation], ["ops@example.com"])))
