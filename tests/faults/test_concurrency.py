"""Concurrent loaders: two loads of one warehouse at once (a manual `cgf load` during the nightly
run, a retried task beside a stuck one). The advisory lock makes them take turns: every delivery
is loaded once, nothing doubled; loaders of another warehouse on the same server do not wait."""
from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from include.ingest.loader import LOAD_LOCK_ID, load_landing
from tests.conftest import make_database
from tests.faults.catalogue import Case
from tests.faults.outcomes import D1, assert_loaded_once
from tests.landing_factory import good_delivery, write_delivery

FAMILY = "concurrency"
DAYS = [D1 + timedelta(days=i) for i in range(6)]


def _landing(landing: Path) -> None:
    for day in DAYS:
        write_delivery(landing, day, good_delivery(day, 3))


class Loader(threading.Thread):
    """A loader on its own connection, in a thread; its report (or error) kept."""

    def __init__(self, url: str, landing: Path):
        super().__init__(daemon=True)
        self.url, self.landing, self.report, self.error = url, landing, None, None

    def run(self) -> None:
        try:
            with psycopg.connect(self.url) as conn:
                self.report = load_landing(conn, self.landing)
        except Exception as exc:  # kept for the assertion
            self.error = exc


def _two_loaders(url: str, landing: Path) -> None:
    _landing(landing)
    loaders = [Loader(url, landing), Loader(url, landing)]
    for loader in loaders:
        loader.start()
    for loader in loaders:
        loader.join(60)
    assert [loader.error for loader in loaders] == [None, None]
    loaded = sorted(day for loader in loaders for day, _ in loader.report.loaded)
    assert loaded == DAYS  # each day loaded by exactly one of them
    with psycopg.connect(url) as conn:
        assert_loaded_once(conn, landing)


def _waits_for_the_lock(url: str, landing: Path) -> None:
    _landing(landing)
    with psycopg.connect(url, autocommit=True) as holder:
        from include.ingest.schema import ensure_schemas

        ensure_schemas(holder)
        holder.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_ID,))
        loader = Loader(url, landing)
        loader.start()
        time.sleep(1.0)
        assert loader.is_alive() and loader.report is None  # waiting, nothing loaded
        assert holder.execute("select count(*) from ops.deliveries").fetchone()[0] == 0
        holder.execute("select pg_advisory_unlock(%s)", (LOAD_LOCK_ID,))
    loader.join(60)
    assert loader.error is None and [d for d, _ in loader.report.loaded] == DAYS
    with psycopg.connect(url) as conn:
        assert_loaded_once(conn, landing)


def _other_warehouse_goes_ahead(url: str, landing: Path) -> None:
    _landing(landing)
    other = make_database(url, "faults_other_warehouse")
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_ID,))
        loader = Loader(other, landing)
        loader.start()
        loader.join(30)
        assert not loader.is_alive() and loader.error is None
        assert [d for d, _ in loader.report.loaded] == DAYS


CASES = [
    Case("two_loaders_at_once", FAMILY, "two loaders start on the same warehouse and landing area together",
         "they take turns (advisory lock): each delivery LOADED once, raw = manifests", _two_loaders),
    Case("loader_waits_for_the_lock", FAMILY, "a loader starts while another session holds the load lock",
         "it waits, loading nothing, and loads everything once the lock is released", _waits_for_the_lock),
    Case("other_warehouse_not_blocked", FAMILY, "the load lock held in one warehouse, a loader of another "
         "database of the same server", "the other warehouse loads at once (the lock is per database)",
         _other_warehouse_goes_ahead),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_concurrency(case, db_url, tmp_path):
    case.run(db_url, tmp_path / "landing")
