"""Hostile landing areas: what sits in the landing area or a delivery folder that is not a clean
delivery. Nothing that is not a delivery is loaded or followed; it is listed (once) with the reason,
and a complete delivery beside it is not disturbed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from include.ingest.loader import load_landing
from tests.faults.catalogue import Case
from tests.faults.outcomes import D1, D2, D3, assert_loaded_once, assert_rejected, statuses
from tests.landing_factory import good_delivery, write_delivery

FAMILY = "hostile landing"
NOT_A_DELIVERY = "not a delivery folder name (YYYYMMDD: 8 ASCII digits, a valid date)"


def ignored(conn) -> list[tuple]:
    return conn.execute("select name, reason from ops.ignored_landing_entries order by name").fetchall()


def unexpected(conn) -> list[tuple]:
    return conn.execute("select delivery_date, name from ops.unexpected_files order by 1, 2").fetchall()


def beside_a_good_delivery(make, expected_ignored: list[tuple]):
    """The entry is ignored once with its reason; the good delivery D1 beside it loads, once."""
    def run(conn, landing: Path) -> None:
        write_delivery(landing, D1, good_delivery(D1))
        make(landing)
        first, second = load_landing(conn, landing), load_landing(conn, landing)
        assert [day for day, _ in first.loaded] == [D1] and first.rejected is None
        assert sorted(first.ignored) == sorted(name for name, _ in expected_ignored) and second.ignored == []
        assert ignored(conn) == sorted(expected_ignored)
        assert_loaded_once(conn, landing)
    return run


def delivery_rejected(make, expected: list[tuple]):
    def run(conn, landing: Path) -> None:
        make(write_delivery(landing, D1, good_delivery(D1)))
        assert_rejected(conn, landing, D1, expected)
    return run


def _folder(name: str | bytes):
    def make(landing: Path) -> None:
        os.mkdir(os.path.join(os.fsencode(landing), os.fsencode(name)))
    return make


def _file(name: str):
    return lambda landing: (landing / name).write_bytes(b"PK\x03\x04")


def _extra_file(folder: Path) -> None:
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")


def _manifest_link(folder: Path) -> None:
    target = folder.parent.parent / "manifest-elsewhere.csv"
    target.write_bytes((folder / "manifest.csv").read_bytes())
    (folder / "manifest.csv").unlink()
    (folder / "manifest.csv").symlink_to(target)


def _manifest_only(folder: Path) -> None:
    for path in folder.iterdir():
        if path.name != "manifest.csv":
            path.unlink()


def _hardlinked(folder: Path) -> None:
    outside = folder.parent.parent / "guarantees-elsewhere.csv"
    os.link(folder / "guarantees.csv", outside)  # a second name for the same regular file


def nothing_happens(landing_of):
    """The landing area is missing or not a folder: the loader reports nothing and records nothing."""
    def run(conn, landing: Path) -> None:
        report = load_landing(conn, landing_of(landing))
        assert (report.loaded, report.rejected, report.ignored) == ([], None, [])
        assert statuses(conn) == [] and ignored(conn) == []
    return run


def _a_file(landing: Path) -> Path:
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "landing").write_text("not a folder")
    return landing / "landing"


def _waits_for_the_gap(conn, landing: Path) -> None:
    write_delivery(landing, D1, good_delivery(D1))
    write_delivery(landing, D3, good_delivery(D3))
    report = load_landing(conn, landing)
    assert [day for day, _ in report.loaded] == [D1] and report.waiting_for == D2 and report.rejected is None
    assert statuses(conn) == [(D1, "LOADED")]


def _half_written_waits(conn, landing: Path) -> None:
    write_delivery(landing, D1, good_delivery(D1), manifest=False)
    report = load_landing(conn, landing)
    assert (report.loaded, report.rejected, report.ignored) == ([], None, [])
    assert statuses(conn) == [] and ignored(conn) == []


def _unexpected_file_reported(conn, landing: Path) -> None:
    _extra_file(write_delivery(landing, D1, good_delivery(D1)))
    report = load_landing(conn, landing)
    assert report.unexpected_files == ["20190102/.DS_Store"] and report.rejected is None
    assert unexpected(conn) == [(D1, ".DS_Store")]
    assert_loaded_once(conn, landing)


CASES = [
    Case("impossible_date_folder", FAMILY, "a folder named 20190230 (no such day) with a delivery's files",
         "ignored once, reason recorded; the good delivery beside it loads",
         beside_a_good_delivery(_folder("20190230"), [("20190230", NOT_A_DELIVERY)])),
    Case("fullwidth_digit_folder", FAMILY, "a folder named with full-width digits ２０１９０１０３",
         "ignored once (not ASCII digits), reason recorded",
         beside_a_good_delivery(_folder("２０１９０１０３"), [("２０１９０１０３", NOT_A_DELIVERY)])),
    Case("undecodable_folder_name", FAMILY, "a folder whose name is not UTF-8 (bytes ff 20 19 …)",
         "ignored once under a printable name (\\xff20190103), reason recorded",
         beside_a_good_delivery(_folder(b"\xff20190103"), [("\\xff20190103", NOT_A_DELIVERY)])),
    Case("archive_named_like_a_day", FAMILY, "a file 20190103.zip in the landing area",
         "ignored once, reason recorded",
         beside_a_good_delivery(_file("20190103.zip"), [("20190103.zip", NOT_A_DELIVERY)])),
    Case("half_written_delivery", FAMILY, "a delivery folder whose manifest is not written yet",
         "not touched: nothing loaded, rejected or listed", _half_written_waits),
    Case("gap_in_the_days", FAMILY, "deliveries D1 and D3, D2 missing",
         "D1 loads; D3 waits for D2 (report.waiting_for), nothing rejected", _waits_for_the_gap),
    Case("manifest_only", FAMILY, "a delivery folder holding only manifest.csv",
         "rejected: the four data files missing; nothing loaded",
         delivery_rejected(_manifest_only, [(n, None, None, None, "file missing from the delivery") for n in
                                            ("guarantees.csv", "repayments.csv", "contributions.csv",
                                             "headcount.csv")])),
    Case("manifest_is_a_link", FAMILY, "manifest.csv is a symbolic link to a copy outside the folder",
         "rejected, the link not followed; nothing loaded",
         delivery_rejected(_manifest_link, [
             ("manifest.csv", None, None, None, "is a symbolic link, not a regular file: not read")])),
    Case("hidden_file_in_delivery", FAMILY, "a .DS_Store beside the five files",
         "reported once as unexpected (ops.unexpected_files), not loaded; the delivery loads",
         _unexpected_file_reported),
    Case("hard_linked_file", FAMILY, "guarantees.csv has a second (hard) link outside the landing area",
         "loaded: it is a regular file; every row once",
         lambda conn, landing: (_hardlinked(write_delivery(landing, D1, good_delivery(D1))),
                                load_landing(conn, landing).raise_for_rejection(),
                                assert_loaded_once(conn, landing))),
    Case("landing_area_missing", FAMILY, "CGF_LANDING_DIR names a folder that does not exist",
         "nothing loaded, nothing recorded, no error", nothing_happens(lambda landing: landing / "nowhere")),
    Case("landing_area_is_a_file", FAMILY, "the landing area is a regular file",
         "nothing loaded, nothing recorded, no error", nothing_happens(_a_file)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_landing(case, conn, tmp_path):
    case.run(conn, tmp_path / "landing")
