"""Loading deliveries from the landing area into `raw`, with bookkeeping in `ops`.

Each complete delivery (manifest present) is processed in date order, in its own transaction:
contract checks first (include.ingest.validation plus the checks that need the warehouse: id
uniqueness across deliveries, the cut-over), then either a rejection record (nothing loaded) or a
bulk COPY into raw. What has been loaded is recorded in ops.deliveries, so the warehouse itself
knows what is pending.

Speed: a thread reads and checks later deliveries (the fast path of include.ingest.fast_check,
many small deliveries at once) while earlier ones are copied; deliveries take turns on LANES
connections, so one is copied while the one before it commits; commits stay in date order, and
nothing after a failed or rejected delivery is committed. An id delivered before (or twice in a
file) is refused by raw's unique index during COPY; the exact checks then name each one. Long
loads log rows/s and the time left.

The landing area cannot lie: only folders named YYYYMMDD (8 ASCII digits, a valid date) are
deliveries; anything else is listed once as ignored (ops.ignored_landing_entries). The first
delivery loaded is the cut-over: a delivery dated before it is rejected for good (it blocks
nothing), and OPENING-type rows after it are rejected.

customer_key (the contract's derived column of raw.guarantees) is computed here, with the secret
of include.ingest.customer_key: without one, a landing area other than the generated demo is
refused before anything is loaded.
"""
from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import psycopg
import psycopg.errors
from psycopg.copy import QueuedLibpqWriter

from include.ingest.contract import FILES, LANDING_ROOT_FILES, LINEAGE_COLUMNS, MANIFEST_FILE, DerivedColumn, FileSpec
from include.ingest.customer_key import CustomerKeys, fill_missing_keys, rekey, secret_for
from include.ingest.extract_files import entry_kind
from include.ingest.notices import record_unexpected_files, shown_name
from include.ingest.rejections import (
    SHOWN_VIOLATIONS,
    cutover_day,
    first_violations,
    stored_rejection,
)
from include.ingest.schema import ensure_schemas
from include.ingest.validation import (
    CheckedDelivery,
    ParsedFile,
    ReadBudget,
    Violation,
    check_deliveries,
    check_delivery,
    delivery_date_of,
    delivery_size,
    delivery_version,
    within_file_duplicates,
)

log = logging.getLogger(__name__)

LOAD_LOCK_ID = 7_700_001  # advisory lock: one loader at a time per warehouse
READ_AHEAD_BYTES = 96 << 20  # files of later deliveries read and checked while earlier ones load
COPY_CHUNK_ROWS = 25_000  # rows serialised for COPY at a time (the server reads one while the next is made)
LANES = 3  # connections deliveries take turns on (a commit's wait and the next COPYs overlap)
PROGRESS_SECONDS = 10.0  # a progress line (rows/s, time left) at most this often


class DeliveryRejected(RuntimeError):
    """A delivery broke the contract: nothing of it was loaded, and later ones wait."""

    def __init__(self, delivery_date: date, violations: list[Violation] | list[str], total: int,
                 blocks_later: bool = True):
        self.delivery_date = delivery_date
        self.first = [str(v) for v in violations[:SHOWN_VIOLATIONS]]
        self.total = total
        day = delivery_date.strftime("%Y%m%d")
        lines = "\n  ".join(self.first)
        effect = ("later deliveries wait until it is re-sent" if blocks_later
                  else "it is dated before the cut-over: never accepted, nothing waits for it")
        super().__init__(
            f"delivery {day} rejected: {total} contract violation(s); nothing of it was loaded and "
            f"{effect}. Full list: "
            f"select * from ops.rejections where delivery_date = '{delivery_date}'.\n  {lines}"
        )


@dataclass
class LoadReport:
    loaded: list[tuple[date, int]] = field(default_factory=list)  # (delivery date, rows)
    already_loaded: int = 0
    waiting_for: date | None = None  # first missing day blocking later deliveries
    rejected: DeliveryRejected | None = None  # the delivery that stopped loading, if any
    max_load_id: int | None = None
    ignored: list[str] = field(default_factory=list)  # landing-area names first seen (and ignored) in this run
    unexpected_files: list[str] = field(default_factory=list)  # YYYYMMDD/name: reported, not loaded

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.loaded)

    @property
    def first_loaded(self) -> date | None:
        """The earliest day loaded in this run: everything from it on is restated."""
        return min((day for day, _ in self.loaded), default=None)

    def raise_for_rejection(self) -> LoadReport:
        if self.rejected is not None:
            raise self.rejected
        return self


@dataclass
class LandingScan:
    deliveries: list[tuple[date, Path]] = field(default_factory=list)  # complete ones, in date order
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (name, why it is not a delivery)


def scan_landing(landing: Path) -> LandingScan:
    """The landing area's complete deliveries and the names that are not deliveries.

    A delivery-named symbolic link counts as a (complete) delivery: it is rejected, never followed.
    The files the contract allows at the root (the demo generator's marker) are neither.
    """
    scan = LandingScan()
    if not landing.is_dir():
        return scan
    for entry in sorted(landing.iterdir()):
        day, kind = delivery_date_of(entry), entry_kind(entry)
        if entry.name in LANDING_ROOT_FILES and kind == "regular file":
            continue
        if day is None:
            scan.ignored.append((entry.name, "not a delivery folder name (YYYYMMDD: 8 ASCII digits, a valid date)"))
        elif is_complete(entry, kind):
            scan.deliveries.append((day, entry))
        elif kind != "folder":
            scan.ignored.append((entry.name, f"a {kind}, not a delivery folder"))
    scan.deliveries.sort()
    return scan


def is_complete(folder: Path, kind: str | None = None) -> bool:
    """A delivery-named entry is complete once its manifest is there, whatever kind of entry that
    is (lstat: nothing is followed); a symbolic link in its place counts as complete (rejected)."""
    kind = kind or entry_kind(folder)
    return kind == "symbolic link" or (kind == "folder" and bool(entry_kind(folder / MANIFEST_FILE)))


def complete_deliveries(landing: Path) -> list[tuple[date, Path]]:
    """Delivery folders (YYYYMMDD) whose manifest has been written, in date order."""
    return scan_landing(landing).deliveries


def _note_ignored(conn: psycopg.Connection, ignored: list[tuple[str, str]], report: LoadReport) -> None:
    """Warn once per name and warehouse about what is not a delivery (remembered in ops)."""
    for name, reason in ignored:
        stored = shown_name(name)  # a name may not be UTF-8, or be long
        if conn.execute("insert into ops.ignored_landing_entries (name, reason) values (%s, %s) "
                        "on conflict (name) do nothing returning name", (stored, reason)).fetchone():
            log.warning("landing area: %r is not a delivery, ignored: %s", stored, reason)
            report.ignored.append(stored)


@dataclass
class _DayVersions:
    """What the warehouse holds of one delivery day."""
    loaded_sha: str | None = None  # the version in raw
    rejected_sha: set[str] = field(default_factory=set)  # rejected versions not followed by a load


def _known_versions(conn: psycopg.Connection) -> dict[date, _DayVersions]:
    known: dict[date, _DayVersions] = {}
    for day, sha, status in conn.execute(
            "select delivery_date, manifest_sha256, status from ops.deliveries order by load_id"):
        versions = known.setdefault(day, _DayVersions())
        if status == "LOADED":
            versions.loaded_sha, versions.rejected_sha = sha, set()
        elif status == "REJECTED":
            versions.rejected_sha.add(sha)
    return known


def _last_loaded_before(known: dict[date, _DayVersions], day: date) -> date | None:
    earlier = [d for d, v in known.items() if v.loaded_sha and d < day]
    return max(earlier) if earlier else None


def load_landing(conn: psycopg.Connection, landing: Path,
                 progress: Callable[[int, int, date, int], None] | None = None) -> LoadReport:
    """Load every pending complete delivery in date order, up to the first rejected one.

    What was loaded before a rejection stays loaded; the rejection is in `report.rejected`
    (`report.raise_for_rejection()` raises it). The checks of later deliveries run while earlier
    ones are copied (a thread; at most READ_AHEAD_BYTES of files read ahead), each delivery is
    still checked whole before anything of it is loaded, and committed on its own, in date order.
    """
    keys = CustomerKeys(secret_for(landing))  # no secret: stop before anything is loaded
    ensure_schemas(conn)
    report = LoadReport()
    autocommit = conn.autocommit
    conn.commit()
    conn.autocommit = True  # each delivery is its own transaction, committed when it is done
    conn.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_ID,))
    try:
        fill_missing_keys(conn, keys)  # rows of a release that hashed in SQL
        known = _known_versions(conn)
        scan = scan_landing(landing)
        _note_ignored(conn, scan.ignored, report)
        cutover = cutover_day(conn)
        deliveries = [(day, folder) for day, folder in scan.deliveries if cutover is None or day >= cutover]
        for day, folder in scan.deliveries[:len(scan.deliveries) - len(deliveries)]:
            _reject_before_cutover(conn, known.get(day, _DayVersions()), folder, report, keys)
        plan, stop = _plan(deliveries, known)
        if _load_planned(conn, plan, len(deliveries), keys, cutover, report, progress) and stop is not None:
            _stop(conn, stop, len(deliveries), report)
        report.max_load_id = conn.execute(
            "select max(load_id) from ops.deliveries where status = 'LOADED'").fetchone()[0]
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (LOAD_LOCK_ID,))
        conn.autocommit = autocommit
    return report


@dataclass
class _Planned:
    index: int  # 1-based, among the deliveries not before the cut-over
    day: date
    folder: Path
    already_loaded: bool


def _plan(deliveries: list[tuple[date, Path]], known: dict[date, _DayVersions]):
    """The deliveries to go through in order, and what stops the run after them: a missing day
    (`("waiting", day, later)`) or a version rejected before (`("rejected", day, sha)`)."""
    plan: list[_Planned] = []
    previous = _last_loaded_before(known, deliveries[0][0]) if deliveries else None
    for index, (day, folder) in enumerate(deliveries, start=1):
        if previous is not None and day > previous + timedelta(days=1):
            return plan, ("waiting", previous + timedelta(days=1), len(deliveries) - index + 1)
        previous = day
        sha = delivery_version(folder)
        versions = known.get(day, _DayVersions())
        if sha == versions.loaded_sha:
            plan.append(_Planned(index, day, folder, already_loaded=True))
            continue
        if sha in versions.rejected_sha:
            return plan, ("rejected", day, sha)
        plan.append(_Planned(index, day, folder, already_loaded=False))
    return plan, None


def _stop(conn: psycopg.Connection, stop: tuple, total: int, report: LoadReport) -> None:
    if stop[0] == "waiting":
        report.waiting_for = stop[1]
        log.warning("delivery %s is not complete yet: %d later deliveries wait", stop[1].strftime("%Y%m%d"), stop[2])
    else:
        stored = stored_rejection(conn, stop[1], stop[2])
        report.rejected = DeliveryRejected(stop[1], first_violations(conn, stored), stored.violation_count)


def _load_planned(conn: psycopg.Connection, plan: list[_Planned], total: int, keys: CustomerKeys,
                  cutover: date | None, report: LoadReport,
                  progress: Callable[[int, int, date, int], None] | None) -> bool:
    """Check (a thread) and load (this one) the planned deliveries in order; False after a rejection."""
    to_load = [p for p in plan if not p.already_loaded]
    if not to_load:
        report.already_loaded += len(plan)
        return True
    budget = ReadBudget(READ_AHEAD_BYTES)
    checked_queue: queue.Queue = queue.Queue()
    unique_elsewhere = _ids_unique_in_raw(conn)
    reader = threading.Thread(target=_read_ahead, name="cgf-check", daemon=True,
                              args=([p.folder for p in to_load], budget, keys, checked_queue, unique_elsewhere))
    meter = _ProgressLog(sum(delivery_size(p.folder) for p in to_load), len(to_load))
    loads = _Loads(conn, keys, cutover, report, progress, total, meter, overlap=len(to_load) > 1,
                   release=budget.release)
    reader.start()
    try:
        try:
            for planned in plan:
                if planned.already_loaded:
                    report.already_loaded += 1
                    continue
                checked = checked_queue.get()
                if isinstance(checked, BaseException):
                    raise checked
                try:
                    loads.load(checked, planned.index)
                except BaseException:
                    budget.release(checked.size)  # not under way: its memory is free now
                    raise
            loads.settle(keep=0)
        except DeliveryRejected as rejected:
            report.rejected = rejected
            return False
        return True
    except BaseException:
        loads.settle_quietly()  # what was loaded before the failure stays loaded, and is reported
        raise
    finally:
        budget.stop()
        loads.close()
        reader.join()
        meter.done()


def _read_ahead(folders: list[Path], budget: ReadBudget, keys: CustomerKeys, out: queue.Queue,
                unique_elsewhere: frozenset[str]) -> None:
    """The reading thread: each delivery checked (validation) and its customer keys computed."""
    try:
        for checked in check_deliveries(folders, budget, unique_elsewhere=unique_elsewhere):
            if checked.ok:
                _add_derived(checked, keys)
            out.put(checked)
    except BaseException as exc:
        out.put(exc)


def _add_derived(checked: CheckedDelivery, keys: CustomerKeys) -> None:
    """The contract's derived columns (customer_key), computed here: the secret never enters SQL.
    A big file's are computed while it is copied, a chunk at a time (_copy_delivery)."""
    for spec in FILES:
        parsed = checked.files.get(spec.name)
        if parsed is None or parsed.frame is None or parsed.row_count > COPY_CHUNK_ROWS:
            continue
        for derived in spec.derived:
            parsed.derived[derived.name] = keys.many(parsed.frame[derived.source].to_list())


class _ProgressLog:
    """A log line at most every PROGRESS_SECONDS while deliveries load: rows/s and the time left
    (from the bytes of the files still to load)."""

    def __init__(self, total_bytes: int, deliveries: int):
        self.total_bytes, self.deliveries = total_bytes, deliveries
        self.done_bytes = self.done_rows = self.done_deliveries = 0
        self.started = self.last = time.monotonic()

    def tick(self, rows: int, size: int) -> None:
        self.done_rows += rows
        self.done_bytes += size
        self.done_deliveries += 1
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS and self.done_deliveries < self.deliveries:
            self.last = now
            elapsed = now - self.started
            left = (self.total_bytes - self.done_bytes) * elapsed / max(self.done_bytes, 1)
            log.info("loading: %d of %d deliveries, %s rows, %s rows/s, about %s left",
                     self.done_deliveries, self.deliveries, f"{self.done_rows:,}",
                     f"{self.done_rows / elapsed:,.0f}", _duration(left))

    def done(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.done_deliveries and elapsed >= PROGRESS_SECONDS:
            log.info("loaded %d deliveries, %s rows in %s, %s rows/s", self.done_deliveries,
                     f"{self.done_rows:,}", _duration(elapsed), f"{self.done_rows / elapsed:,.0f}")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class _Failed(RuntimeError):
    """A delivery not committed because an earlier one failed or was rejected."""


@dataclass
class _Task:
    """One delivery on its way: copied on a lane's connection, committed after the one before it."""
    checked: CheckedDelivery
    index: int
    conn: psycopg.Connection
    previous: _Task | None
    load_id: int
    committed: threading.Event = field(default_factory=threading.Event)  # committed or given up
    future: Future | None = None


class _Loads:
    """Loads checked deliveries in order, each in its own transaction. With `overlap`, deliveries
    take turns on LANES connections (lanes): while one delivery is copied, the ones before it are
    copied or committed on the others, so the server works on both cores. A delivery
    is committed only after the one before it, and reported (LoadReport, progress) right after
    its commit; once one fails or is rejected, none after it is committed."""

    def __init__(self, conn: psycopg.Connection, keys: CustomerKeys, cutover: date | None,
                 report: LoadReport, progress, total: int, meter: _ProgressLog, overlap: bool,
                 release: Callable[[int], None] | None = None):
        self.keys, self.cutover, self.report, self.progress, self.total = keys, cutover, report, progress, total
        self.meter, self.release = meter, release
        self.main = conn  # bookkeeping of the run: load ids, rejections, exact checks
        self.autocommit = conn.autocommit
        self.own: list[psycopg.Connection] = []
        for _ in range(LANES if overlap else 0):
            try:
                self.own.append(psycopg.connect(conn.info.dsn, password=conn.info.password))
            except psycopg.Error as exc:
                log.debug("loading on fewer connections: %s", exc)
                break
        if self.own:
            conn.commit()
            conn.autocommit = True
            self.conns = self.own
        else:
            conn.commit()
            conn.autocommit = False
            self.conns = [conn]
        with conn.transaction():
            self.unique_elsewhere = _ids_unique_in_raw(conn)
        self.turn = 0
        self.tasks: deque[_Task] = deque()  # dispatched, not yet settled, in order
        self.lanes = ThreadPoolExecutor(max_workers=len(self.conns), thread_name_prefix="cgf-copy")
        self.first_failed: int | None = None  # the earliest delivery that failed: none after it commits
        self.lock = threading.Lock()

    def load(self, checked: CheckedDelivery, index: int) -> None:
        """Dispatch one checked delivery (in date order); DeliveryRejected when it (or one before
        it, found out now) breaks the contract."""
        day = checked.delivery_date
        if self.cutover is None:
            checked.violations.extend(_cutover_without_opening(checked))
        elif day > self.cutover:
            opening = _opening_rows_after_cutover(checked, self.cutover)
            if opening and checked.ok:  # the duplicate ids a rejected delivery's files hold come first
                checked.violations.extend(_trusted_duplicates(checked, self.unique_elsewhere))
            checked.violations.extend(opening)
        if checked.ok and not all(spec.name in self.unique_elsewhere for spec in FILES
                                  if spec.unique_scope == "all_deliveries"):
            self.settle(keep=0)  # the ids of every earlier delivery are visible
            with self.main.transaction():
                checked.violations.extend(_cross_delivery_duplicates(self.main, checked))
        if not checked.ok:
            self.settle(keep=0)
            self._reject(checked)
        conn = self.conns[self.turn % len(self.conns)]
        self.turn += 1
        self.settle(keep=len(self.conns) - 1)  # this connection's previous delivery is done
        # load ids in date order, whichever connection commits first
        load_id = self.main.execute("select nextval(pg_get_serial_sequence('ops.deliveries', 'load_id'))").fetchone()[0]
        task = _Task(checked, index, conn, self.tasks[-1] if self.tasks else None, load_id)
        task.future = self.lanes.submit(self._copy_and_commit, task)
        self.tasks.append(task)
        if self.cutover is None:
            self.cutover = day  # the first delivery a warehouse loads is its cut-over
        if len(self.conns) == 1:
            self.settle(keep=0)

    def _failed(self, index: int) -> None:
        with self.lock:
            if self.first_failed is None or index < self.first_failed:
                self.first_failed = index

    def _copy_and_commit(self, task: _Task) -> tuple[int, list[str]]:
        """A lane's thread: the delivery copied in its transaction, then, after the one before it,
        committed and reported."""
        conn, checked = task.conn, task.checked
        try:
            try:
                unexpected = record_unexpected_files(conn, checked)
                rows = _copy_delivery(conn, checked, self.keys, task.load_id)
            except BaseException:
                self._failed(task.index)
                conn.rollback()
                raise
            if task.previous is not None:
                task.previous.committed.wait()
            with self.lock:
                failed_before = self.first_failed is not None and self.first_failed < task.index
            if failed_before:
                conn.rollback()
                raise _Failed("an earlier delivery failed or was rejected")
            try:
                conn.commit()
            except BaseException:
                self._failed(task.index)
                raise
            for parsed in checked.files.values():
                parsed.frame, parsed.derived, parsed.verbatim = None, {}, None  # copied: memory free
            self.report.loaded.append((checked.delivery_date, rows))
            self.report.unexpected_files += unexpected
            self.meter.tick(rows, checked.size)
            if self.progress:
                self.progress(task.index, self.total, checked.delivery_date, rows)
            return rows, unexpected
        except BaseException:
            self._failed(task.index)
            raise
        finally:
            if self.release:
                self.release(checked.size)
            task.committed.set()

    def settle(self, keep: int) -> None:
        """Wait for all but the `keep` latest deliveries to be committed; the first that failed
        raises (DeliveryRejected for an id that raw's unique index refused)."""
        while len(self.tasks) > keep:
            task = self.tasks[0]
            try:
                task.future.result()
            except psycopg.errors.UniqueViolation:
                self._drain()
                self._rejected_ids(task)  # raises
            except BaseException:
                self._drain()
                raise
            self.tasks.popleft()

    def _drain(self) -> None:
        """After a failure: the deliveries under way end (committed if before it, else rolled back)."""
        for task in self.tasks:
            with contextlib.suppress(BaseException):  # the first failure is the one raised
                task.future.result()
        self.tasks.clear()

    def _rejected_ids(self, task: _Task) -> None:
        """COPY refused an id: twice in a file (the exact check names each) or delivered before."""
        checked = task.checked
        checked.violations.extend(_trusted_duplicates(checked, self.unique_elsewhere))
        if checked.ok:
            with self.main.transaction():
                checked.violations.extend(_cross_delivery_duplicates(self.main, checked))
        if checked.ok:
            raise RuntimeError(f"delivery {checked.delivery_date:%Y%m%d}: COPY refused an id the checks do not find")
        self._reject(checked)

    def _reject(self, checked: CheckedDelivery) -> None:
        with self.main.transaction():
            unexpected = record_unexpected_files(self.main, checked)
            _record_rejection(self.main, checked)
        self.report.unexpected_files += unexpected
        raise DeliveryRejected(checked.delivery_date, checked.violations, len(checked.violations))

    def settle_quietly(self) -> None:
        """After a failure: the deliveries under way end; a failure among them is logged."""
        try:
            self.settle(keep=0)
        except BaseException as exc:
            log.error("loading stopped: %s", exc)
            self._drain()

    def close(self) -> None:
        self.lanes.shutdown(wait=True)
        for other in self.own:
            other.close()
        if not self.main.autocommit:
            self.main.rollback()
        self.main.autocommit = self.autocommit


def _ids_unique_in_raw(conn: psycopg.Connection) -> frozenset[str]:
    """The files whose ids raw's unique index keeps unique across deliveries (within a file too):
    COPY itself refuses an id twice in a file or delivered before, and the exact checks then name
    each one (the fast path does not look for them)."""
    files = {spec.table: spec for spec in FILES if spec.unique_scope == "all_deliveries"}
    found = set()
    for table, column in conn.execute(
            "select t.relname, a.attname from pg_index i join pg_class t on t.oid = i.indrelid "
            "join pg_namespace n on n.oid = t.relnamespace join pg_attribute a on a.attrelid = t.oid "
            "and a.attnum = i.indkey[0] where n.nspname = 'raw' and i.indisunique and i.indnatts = 1 "
            "and i.indpred is null and i.indexprs is null").fetchall():
        spec = files.get(table)
        if spec is not None and spec.key.name == column:
            found.add(spec.name)
    return frozenset(found)


def _trusted_duplicates(checked: CheckedDelivery, unique_elsewhere: frozenset[str]) -> list[Violation]:
    """Ids twice in a file the fast path let through (it leaves them to raw's unique index)."""
    return [v for spec in FILES if spec.name in unique_elsewhere and spec.name in checked.files
            for v in within_file_duplicates(checked.files[spec.name])]


def _reject_before_cutover(conn: psycopg.Connection, versions: _DayVersions, folder: Path,
                           report: LoadReport, keys: CustomerKeys) -> None:
    """A delivery dated before the cut-over is rejected once per version and reported in this
    run; it blocks nothing (it can never be accepted), so later runs pass it by."""
    if delivery_version(folder) in versions.rejected_sha:
        return
    try:
        load_delivery(conn, folder, report, keys)
    except DeliveryRejected as rejected:
        report.rejected = report.rejected or DeliveryRejected(
            rejected.delivery_date, rejected.first, rejected.total, blocks_later=False)


def load_delivery(conn: psycopg.Connection, folder: Path, report: LoadReport | None = None,
                  keys: CustomerKeys | None = None) -> int:
    """Check and load one delivery atomically; return rows loaded or raise DeliveryRejected.

    `keys` computes customer_key (default: the secret for the folder's landing area).
    """
    keys = keys or CustomerKeys(secret_for(folder.parent))
    report = report if report is not None else LoadReport()
    day, cutover = delivery_date_of(folder), cutover_day(conn)
    if cutover is not None and day < cutover:  # not even read: it can never be accepted
        reason = (f"dated before the warehouse's cut-over delivery {cutover:%Y%m%d}: "
                  "no delivery before the cut-over is ever accepted")
        checked = CheckedDelivery(day, folder, delivery_version(folder), {},
                                  [Violation(folder.name, None, None, None, reason)])
    else:
        checked = check_delivery(folder)
        if checked.ok:
            _add_derived(checked, keys)
    before = len(report.loaded)
    loads = _Loads(conn, keys, cutover, report, None, 1, _ProgressLog(0, 1), overlap=False)
    try:
        loads.load(checked, 1)
        loads.settle(keep=0)
    finally:
        loads.close()
    return sum(rows for _, rows in report.loaded[before:])


def _opening_rows_after_cutover(checked: CheckedDelivery, cutover: date) -> list[Violation]:
    """OPENING-type rows are the cut-over's state: no delivery after it carries them."""
    found = []
    for spec in FILES:
        parsed = checked.files.get(spec.name)
        if spec.opening_column is None or parsed is None:
            continue
        found += [Violation(spec.name, line, spec.opening_column, code,
                            f"{code} rows belong to the cut-over delivery {cutover:%Y%m%d} only")
                  for line, code in parsed.opening_rows()]
    return found


def _cutover_without_opening(checked: CheckedDelivery) -> list[Violation]:
    """The first delivery a warehouse loads is its cut-over: it carries the opening state."""
    found = []
    for spec in FILES:
        parsed = checked.files.get(spec.name)
        if not spec.required_at_cutover or parsed is None or not parsed.well_formed or parsed.opening_rows():
            continue
        codes = "/".join(spec.opening_codes)
        found.append(Violation(spec.name, None, spec.opening_column, None,
                               f"the warehouse's first delivery is its cut-over and must carry the {codes} "
                               f"rows (the opening state); this file has none"))
    return found


def _cross_delivery_duplicates(conn: psycopg.Connection, checked: CheckedDelivery) -> list[Violation]:
    """Ids must be unique across all deliveries (a re-sent day may reuse its own ids): the ids of
    the delivery in a temporary table, joined with raw."""
    found = []
    for spec in FILES:
        parsed = checked.files.get(spec.name)
        if spec.unique_scope != "all_deliveries" or parsed is None or not parsed.row_count:
            continue
        key = spec.key.name
        conn.execute("create temporary table if not exists cgf_delivered_ids (id text, line_no integer) "
                     "on commit delete rows")
        conn.execute("truncate cgf_delivered_ids")
        with conn.cursor().copy("copy cgf_delivered_ids (id, line_no) from stdin with (format csv)") as copy:
            for chunk in parsed.frame.select(key, parsed.lines()).iter_slices(COPY_CHUNK_ROWS):
                copy.write(chunk.write_csv(include_header=False, null_value=""))
        clashes = conn.execute(
            f"select d.line_no, d.id, r.delivery_date from cgf_delivered_ids d "
            f"join raw.{spec.table} r on r.{key} = d.id where r.delivery_date <> %s order by d.line_no",
            (checked.delivery_date,)).fetchall()
        for line, key_value, other_day in clashes:
            found.append(Violation(spec.name, line, key, key_value,
                                   f"id already delivered on {other_day.isoformat()}"))
    return found


def _record_rejection(conn: psycopg.Connection, checked: CheckedDelivery) -> None:
    first = "; ".join(str(v) for v in checked.violations[:SHOWN_VIOLATIONS])
    load_id = conn.execute(
        "insert into ops.deliveries (delivery_date, manifest_sha256, landing_path, status, "
        "violation_count, message) values (%s, %s, %s, 'REJECTED', %s, %s) returning load_id",
        (checked.delivery_date, checked.manifest_sha256, str(checked.folder),
         len(checked.violations), first)).fetchone()[0]
    with conn.cursor().copy(
            "copy ops.rejections (load_id, delivery_date, file_name, line_no, column_name, value, reason) "
            "from stdin") as copy:
        for v in checked.violations:
            copy.write_row((load_id, checked.delivery_date, v.file, v.line, v.column, v.value, v.reason))
    log.error("delivery %s rejected: %d violation(s), first: %s",
              checked.delivery_date.strftime("%Y%m%d"), len(checked.violations), first)


def _copy_delivery(conn: psycopg.Connection, checked: CheckedDelivery, keys: CustomerKeys, load_id: int) -> int:
    """In the caller's transaction: the day's earlier version out of raw and ops (one statement),
    then each file's rows COPYed with their derived columns and lineage; the rows copied. A chunk
    is sent (a thread) while the next one is made."""
    day = checked.delivery_date
    counts = {name: p.row_count for name, p in checked.files.items()}
    encodings = {name: p.encoding for name, p in checked.files.items()}
    deletes = ", ".join(f"gone_{spec.table} as (delete from raw.{spec.table} where delivery_date = %(day)s)"
                        for spec in FILES)
    conn.execute(
        f"with superseded as (update ops.deliveries set status = 'SUPERSEDED' where delivery_date = %(day)s "
        f"and status = 'LOADED'), {deletes} "
        "insert into ops.deliveries (load_id, delivery_date, manifest_sha256, landing_path, status, encodings, "
        "row_counts, total_rows) values (%(load_id)s, %(day)s, %(sha)s, %(path)s, 'LOADED', %(encodings)s, "
        "%(counts)s, %(total)s)",
        {"load_id": load_id, "day": day, "sha": checked.manifest_sha256, "path": str(checked.folder),
         "encodings": json.dumps(encodings), "counts": json.dumps(counts), "total": sum(counts.values())})
    for spec in FILES:
        parsed = checked.files[spec.name]
        if parsed.row_count:
            _copy_file(conn, spec, parsed, keys, day, f"{checked.folder.name}/{spec.name}", load_id)
    log.debug("delivery %s loaded as load %d: %s", day.strftime("%Y%m%d"), load_id, counts)
    return sum(counts.values())


def _copy_file(conn: psycopg.Connection, spec: FileSpec, parsed: ParsedFile, keys: CustomerKeys,
               day: date, source: str, load_id: int) -> None:
    """One file's rows into raw with their derived columns and lineage, a chunk at a time: a chunk
    is sent (psycopg's thread) while the next one is made. A clean file's records go as delivered,
    each line with its derived values and lineage appended; others are re-serialised from the frame."""
    lineage_names = [name for name, _ in LINEAGE_COLUMNS if name != "loaded_at"]
    delivered = parsed.verbatim.header if parsed.verbatim else spec.column_names
    columns = (*delivered, *(d.name for d in spec.derived), *lineage_names)
    # force_null: an empty field is null, quoted ("") or not, as it always was
    sql = (f"copy raw.{spec.table} ({', '.join(columns)}) from stdin with (format csv, "
           f"force_null ({', '.join(spec.column_names)}))")
    cursor = conn.cursor()
    writer = QueuedLibpqWriter(cursor) if parsed.row_count > COPY_CHUNK_ROWS else None
    with cursor.copy(sql, writer=writer) as copy:
        if parsed.verbatim is not None:
            _write_verbatim(copy, spec, parsed, keys, day, source, load_id)
            return
        lineage = {"delivery_date": pl.lit(day.isoformat()), "source_file": pl.lit(source),
                   "line_no": parsed.lines(), "load_id": pl.lit(load_id)}
        for start in range(0, parsed.row_count, COPY_CHUNK_ROWS):
            rows = parsed.frame.slice(start, COPY_CHUNK_ROWS)
            derived = [pl.Series(d.name, _derived_values(d, parsed, keys, start, rows), dtype=pl.String)
                       for d in spec.derived]
            copy.write(rows.select(*spec.column_names, *derived, *(lineage[n].alias(n) for n in lineage_names))
                       .write_csv(include_header=False, null_value=""))


def _derived_values(derived: DerivedColumn, parsed: ParsedFile, keys: CustomerKeys, start: int,
                    rows: pl.DataFrame) -> list[str]:
    """A derived column's values for the frame's rows from `start` on: computed ahead for a small
    file, a chunk at a time for a big one (not kept)."""
    values = parsed.derived.get(derived.name)
    if values is not None:
        return values[start:start + rows.height]
    return keys.many(rows[derived.source].to_list(), remember=False)


def _write_verbatim(copy, spec: FileSpec, parsed: ParsedFile, keys: CustomerKeys, day: date, source: str,
                    load_id: int) -> None:
    """A clean file's records as delivered, each followed by its derived values and lineage
    (delivery_date, source_file, line_no, load_id): the file's bytes are not parsed again."""
    middle = f",{day.isoformat()},{source},".encode()
    tail = f",{load_id}".encode()
    line_nos = parsed.frame.select(parsed.lines()).to_series()
    start = 0
    for lines in parsed.verbatim.record_chunks():
        rows = parsed.frame.slice(start, len(lines))
        numbers = line_nos.slice(start, len(lines)).to_list()
        derived = [_derived_values(d, parsed, keys, start, rows) for d in spec.derived]
        if derived:
            prefixes = [b"," + ",".join(v or "" for v in values).encode() for values in zip(*derived)]
            chunk = [b"%s%s%s%d%s\n" % (line, prefix, middle, number, tail)
                     for line, prefix, number in zip(lines, prefixes, numbers)]
        else:
            chunk = [b"%s%s%d%s\n" % (line, middle, number, tail) for line, number in zip(lines, numbers)]
        copy.write(b"".join(chunk))
        start += len(lines)
    if start != parsed.row_count:  # the fast path counted the same records: never expected
        raise RuntimeError(f"{source}: {start} records read as delivered, {parsed.row_count} checked")


def rekey_warehouse(conn: psycopg.Connection, landing: Path) -> int:
    """Recompute every raw customer_key with the current secret (key rotation), in one
    transaction and under the loader's lock; returns the rows rewritten. The models that carry
    the key need a full refresh afterwards (README)."""
    keys = CustomerKeys(secret_for(landing))
    ensure_schemas(conn)
    conn.commit()
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOAD_LOCK_ID,))
        return rekey(conn, keys)


def waiting_deliveries(conn: psycopg.Connection, landing: Path) -> list[date]:
    """Complete deliveries of the landing area not loaded (yet): behind a rejection or a missing day.

    One dated before the cut-over waits for nothing: it is rejected for good.
    """
    loaded = {d for (d,) in conn.execute("select delivery_date from ops.deliveries where status = 'LOADED'")}
    cutover = cutover_day(conn)
    return [day for day, _ in complete_deliveries(landing)
            if day not in loaded and (cutover is None or day >= cutover)]


def mark_built(conn: psycopg.Connection, up_to_load_id: int | None) -> int:
    """Record that dbt has built everything loaded up to this load id."""
    if up_to_load_id is None:
        return 0
    with conn.transaction():
        cur = conn.execute(
            "update ops.deliveries set dbt_built_at = now() where status = 'LOADED' "
            "and dbt_built_at is null and load_id <= %s", (up_to_load_id,))
    return cur.rowcount
