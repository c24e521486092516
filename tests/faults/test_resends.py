"""Re-sends: the producer writes a day's folder again. The same version is a no-op; a corrected
re-send of a rejected day loads (and releases the days behind it); a changed re-send of a loaded
day replaces it (the earlier version SUPERSEDED), and a wrong one is rejected without touching
what is loaded (the extract contract, "Deliveries")."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from include.ingest.loader import load_landing
from tests.faults.catalogue import Case
from tests.faults.outcomes import D1, D2, D3, assert_loaded_once, raw_counts, rejections, statuses
from tests.landing_factory import good_delivery, write_delivery

FAMILY = "re-sends"


def _bad(day, **change):
    rows = good_delivery(day, 2)
    rows["guarantees.csv"][1].update(change)
    return rows


def _identical(touch: bool):
    def run(conn, landing: Path) -> None:
        folder = write_delivery(landing, D1, good_delivery(D1, 2))
        load_landing(conn, landing).raise_for_rejection()
        write_delivery(landing, D1, good_delivery(D1, 2))  # the same bytes written again
        if touch:
            for path in folder.iterdir():
                os.utime(path, (0, 0))
        again = load_landing(conn, landing)
        assert (again.loaded, again.already_loaded, again.rejected) == ([], 1, None)
        assert statuses(conn) == [(D1, "LOADED")]
        assert_loaded_once(conn, landing)
    return run


def _rejected_then_corrected(conn, landing: Path) -> None:
    write_delivery(landing, D1, good_delivery(D1))
    write_delivery(landing, D2, _bad(D2, branch_code="999"))
    write_delivery(landing, D3, good_delivery(D3))
    first = load_landing(conn, landing)
    assert [d for d, _ in first.loaded] == [D1] and first.rejected.delivery_date == D2
    write_delivery(landing, D2, good_delivery(D2, 2))
    second = load_landing(conn, landing)
    assert [d for d, _ in second.loaded] == [D2, D3] and second.rejected is None
    assert statuses(conn) == [(D1, "LOADED"), (D2, "REJECTED"), (D2, "LOADED"), (D3, "LOADED")]
    assert_loaded_once(conn, landing)


def _rejected_unchanged(conn, landing: Path) -> None:
    write_delivery(landing, D1, _bad(D1, branch_code="999"))
    load_landing(conn, landing)
    write_delivery(landing, D1, _bad(D1, branch_code="999"))  # the same wrong files again
    again = load_landing(conn, landing)
    assert again.rejected.delivery_date == D1 and again.loaded == []
    assert statuses(conn) == [(D1, "REJECTED")] and len(rejections(conn)) == 1
    assert sum(raw_counts(conn).values()) == 0


def _rejected_differently(conn, landing: Path) -> None:
    write_delivery(landing, D1, _bad(D1, branch_code="999"))
    load_landing(conn, landing)
    write_delivery(landing, D1, _bad(D1, bank_code="CITI"))
    again = load_landing(conn, landing)
    assert again.rejected.delivery_date == D1
    assert statuses(conn) == [(D1, "REJECTED"), (D1, "REJECTED")]
    assert [(f, line, col, v) for f, line, col, v, _ in rejections(conn)] == [
        ("guarantees.csv", 3, "branch_code", "999"), ("guarantees.csv", 3, "bank_code", "CITI")]
    assert sum(raw_counts(conn).values()) == 0


def _loaded_day_changed(conn, landing: Path) -> None:
    write_delivery(landing, D1, good_delivery(D1, 3))
    write_delivery(landing, D2, good_delivery(D2, 2))
    load_landing(conn, landing).raise_for_rejection()
    write_delivery(landing, D1, good_delivery(D1, 2))  # a correction: one event and one repayment fewer
    again = load_landing(conn, landing)
    assert [d for d, _ in again.loaded] == [D1] and again.rejected is None
    assert sorted(statuses(conn)) == [(D1, "LOADED"), (D1, "SUPERSEDED"), (D2, "LOADED")]
    assert_loaded_once(conn, landing)


def _other_encoding(conn, landing: Path) -> None:
    write_delivery(landing, D1, good_delivery(D1, 2))
    load_landing(conn, landing).raise_for_rejection()
    before = conn.execute("select event_id, customer_name from raw.guarantees order by line_no").fetchall()
    write_delivery(landing, D1, good_delivery(D1, 2), encodings={"guarantees.csv": "cp949"})
    again = load_landing(conn, landing)
    assert [d for d, _ in again.loaded] == [D1]
    assert sorted(statuses(conn)) == [(D1, "LOADED"), (D1, "SUPERSEDED")]
    assert conn.execute("select event_id, customer_name from raw.guarantees order by line_no").fetchall() == before
    assert_loaded_once(conn, landing)


def _resend_taking_anothers_id(conn, landing: Path) -> None:
    write_delivery(landing, D1, good_delivery(D1))
    write_delivery(landing, D2, good_delivery(D2))
    load_landing(conn, landing).raise_for_rejection()
    loaded_d2 = raw_counts(conn)
    rows = good_delivery(D2)
    rows["guarantees.csv"][0]["event_id"] = "E20190102-0"  # D1's event
    write_delivery(landing, D2, rows)
    again = load_landing(conn, landing)
    assert again.rejected.delivery_date == D2
    assert rejections(conn) == [("guarantees.csv", 2, "event_id", "E20190102-0", "id already delivered on 2019-01-02")]
    assert sorted(statuses(conn)) == [(D1, "LOADED"), (D2, "LOADED"), (D2, "REJECTED")]
    assert raw_counts(conn) == loaded_d2  # the loaded version of D2 stays, untouched


CASES = [
    Case("identical_resend", FAMILY, "a loaded day written again with the same bytes",
         "no-op: already loaded, no new ops.deliveries row, raw unchanged", _identical(touch=False)),
    Case("touched_resend", FAMILY, "a loaded day's files touched (new modification times, same bytes)",
         "no-op: the version is its manifest's digest, not a timestamp", _identical(touch=True)),
    Case("corrected_resend_of_rejected_day", FAMILY, "D2 rejected (D3 waiting), then re-sent corrected",
         "D2 and D3 load; D2's rejected version stays REJECTED in ops; raw = manifests", _rejected_then_corrected),
    Case("unchanged_resend_of_rejected_day", FAMILY, "a rejected day written again with the same wrong files",
         "the same rejection reported; not recorded twice; nothing loaded", _rejected_unchanged),
    Case("differently_wrong_resend", FAMILY, "a rejected day re-sent with another violation",
         "a second REJECTED version, its own violation recorded; nothing loaded", _rejected_differently),
    Case("changed_resend_of_loaded_day", FAMILY, "loaded D1 re-sent with a row fewer per file, D2 loaded after it",
         "D1's new version replaces the old (SUPERSEDED); raw = manifests, nothing doubled", _loaded_day_changed),
    Case("resend_in_cp949", FAMILY, "a loaded day re-sent with guarantees.csv in CP949, same rows",
         "a new version (new digest) replaces the old; raw rows identical", _other_encoding),
    Case("resend_taking_another_days_id", FAMILY, "loaded D2 re-sent with an event id of D1",
         "rejected: id already delivered on 2019-01-02; D2's loaded version stays in raw",
         _resend_taking_anothers_id),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_resend(case, conn, tmp_path):
    case.run(conn, tmp_path / "landing")
