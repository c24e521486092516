"""Hostile text: values that would be commands to a spreadsheet, to SQL, to a browser or to a log
formatter. Valid per the contract, they load as plain data and come out of raw byte for byte;
in a rejected value they are recorded as data (masked when personal), and the operators' e-mail
shows them escaped. (That no such name reaches the marts is checked after the build, test_marts.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from include.alerts import mail
from include.ingest.loader import load_landing
from include.ingest.rejections import blocking_rejection, first_violations
from tests.faults.catalogue import Case
from tests.faults.outcomes import D1, assert_loaded_once, assert_rejected
from tests.landing_factory import good_delivery, write_delivery

FAMILY = "hostile text"
FORMULA = "=cmd|' /C calc'!A0"
SQL = "'; drop table raw.guarantees; --"
SCRIPT = "<script>alert(1)</script>"


def loads_unchanged(file: str, column: str, value: str):
    """The value, valid per the contract, is in raw exactly as delivered; every row loads once."""
    table = file.removesuffix(".csv")

    def run(conn, landing: Path) -> None:
        rows = good_delivery(D1, 2)
        rows[file][0][column] = value
        write_delivery(landing, D1, rows)
        load_landing(conn, landing).raise_for_rejection()
        stored = [v for (v,) in conn.execute(f"select {column} from raw.{table} order by line_no")]
        assert stored[0] == value
        assert_loaded_once(conn, landing)
    return run


def rejected_as_data(file: str, column: str, value: str, expected: tuple):
    """The value breaks the contract: recorded as data (masked if personal), nothing loaded."""
    def run(conn, landing: Path) -> None:
        rows = good_delivery(D1, 2)
        rows[file][0][column] = value
        write_delivery(landing, D1, rows)
        assert_rejected(conn, landing, D1, [expected])
    return run


def _mail_escapes_html(conn, landing: Path) -> None:
    reason = "not an allowed code (101, 102, 103, 104, 105, 106, 107, 201)"
    rejected_as_data("guarantees.csv", "branch_code", SCRIPT,
                     ("guarantees.csv", 2, "branch_code", SCRIPT, reason))(conn, landing)
    rejection = blocking_rejection(conn)
    message = mail.rejection_alert(rejection, first_violations(conn, rejection), ["ops@example.org"])
    html_part = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    text_part = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "<script>" not in html_part and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part
    assert SCRIPT in text_part  # the plain text shows the value as it was delivered


def _drop_table_in_an_id(conn, landing: Path) -> None:
    loads_unchanged("guarantees.csv", "event_id", "E1'); drop table ops.deliveries; --")(conn, landing)
    assert conn.execute("select count(*) from ops.deliveries").fetchone()[0] == 1


CASES = [
    Case("formula_in_customer_name", FAMILY, f"customer_name {FORMULA}",
         "loaded as plain text, unchanged in raw", loads_unchanged("guarantees.csv", "customer_name", FORMULA)),
    Case("sql_in_customer_name", FAMILY, f"customer_name {SQL}",
         "loaded as plain text, unchanged; raw.guarantees still there",
         loads_unchanged("guarantees.csv", "customer_name", SQL)),
    Case("html_in_customer_name", FAMILY, f"customer_name {SCRIPT}",
         "loaded as plain text, unchanged", loads_unchanged("guarantees.csv", "customer_name", SCRIPT)),
    Case("copy_null_marker_as_name", FAMILY, r"customer_name \N (COPY's null marker)",
         r"loaded as the two characters \N, not null", loads_unchanged("guarantees.csv", "customer_name", "\\N")),
    Case("tabs_and_backslashes", FAMILY, "customer_name with a tab, backslashes and a quoted comma",
         "loaded unchanged", loads_unchanged("guarantees.csv", "customer_name", 'a\tb\\\\c, "d"\\')),
    Case("format_string_in_name", FAMILY, "customer_name %s %(x)s {0} %n",
         "loaded unchanged (never used as a format)", loads_unchanged("guarantees.csv", "customer_name",
                                                                     "%s %(x)s {0} %n")),
    Case("bidi_and_zero_width", FAMILY, "customer_name with a right-to-left override and zero-width space",
         "loaded unchanged", loads_unchanged("guarantees.csv", "customer_name", "\u202e상호\u200b점")),
    Case("very_long_name", FAMILY, "customer_name of 20,000 characters", "loaded unchanged",
         loads_unchanged("guarantees.csv", "customer_name", "가" * 20_000)),
    Case("formula_in_contributor_name", FAMILY, f"contributor_name {FORMULA}",
         "loaded as plain text, unchanged", loads_unchanged("contributions.csv", "contributor_name", FORMULA)),
    Case("sql_in_an_id", FAMILY, "event_id E1'); drop table ops.deliveries; --",
         "loaded as the id, unchanged; ops.deliveries intact", _drop_table_in_an_id),
    Case("formula_in_business_number", FAMILY, '사업자등록번호 =HYPERLINK("http://x")',
         "rejected (check digit); the value recorded masked, nothing loaded",
         rejected_as_data("guarantees.csv", "business_reg_no", '=HYPERLINK("http://x")',
                          ("guarantees.csv", 2, "business_reg_no", "=H********************",
                           "not a valid 사업자등록번호 (10 digits with check digit)"))),
    Case("html_in_a_code_escaped_in_mail", FAMILY, f"branch_code {SCRIPT}",
         "rejected with the value recorded as data; the operators' HTML mail shows it escaped",
         _mail_escapes_html),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_text(case, conn, tmp_path):
    case.run(conn, tmp_path / "landing")
