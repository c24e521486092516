"""Loading deliveries from the landing area into `raw`, with bookkeeping in `ops`.

Each complete delivery (manifest present) is processed in date order, in its own transaction:
contract checks first (include.ingest.validation plus the checks that need the warehouse: id
uniqueness across deliveries, the cut-over), then either a rejection record (nothing loaded) or a
bulk COPY into raw. What has been loaded is recorded in ops.deliveries, so the warehouse itself
knows what is pending.

The landing area cannot lie: only folders named YYYYMMDD (8 ASCII digits, a valid date) are
deliveries; anything else is listed once as ignored (ops.ignored_landing_entries). The first
delivery loaded is the cut-over: a delivery dated before it is rejected for good (it blocks
nothing), and OPENING-type rows after it are rejected.

customer_key (the contract's derived column of raw.guarantees) is computed here, with the secret
of include.ingest.customer_key: without one, a landing area other than the generated demo is
refused before anything is loaded.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg

from include.ingest.contract import FILES, LANDING_ROOT_FILES, LINEAGE_COLUMNS, MANIFEST_FILE, FileSpec
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
    Violation,
    check_delivery,
    delivery_date_of,
    delivery_version,
)

log = logging.getLogger(__name__)

LOAD_LOCK_ID = 7_700_001  # advisory lock: one loader at a time per warehouse


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
        elif kind == "symbolic link" or (kind == "folder" and entry_kind(entry / MANIFEST_FILE)):
            scan.deliveries.append((day, entry))
        elif kind != "folder":
            scan.ignored.append((entry.name, f"a {kind}, not a delivery folder"))
    scan.deliveries.sort()
    return scan


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
    (`report.raise_for_rejection()` raises it).
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
        previous = _last_loaded_before(known, deliveries[0][0]) if deliveries else None
        for index, (day, folder) in enumerate(deliveries, start=1):
            if previous is not None and day > previous + timedelta(days=1):
                report.waiting_for = previous + timedelta(days=1)
                log.warning("delivery %s is not complete yet: %d later deliveries wait",
                            report.waiting_for.strftime("%Y%m%d"), len(deliveries) - index + 1)
                break
            previous = day
            sha = delivery_version(folder)
            versions = known.get(day, _DayVersions())
            if sha == versions.loaded_sha:
                report.already_loaded += 1
                continue
            if sha in versions.rejected_sha:
                stored = stored_rejection(conn, day, sha)
                report.rejected = DeliveryRejected(day, first_violations(conn, stored), stored.violation_count)
                break
            try:
                rows = load_delivery(conn, folder, report, keys)
            except DeliveryRejected as rejected:
                report.rejected = rejected
                break
            report.loaded.append((day, rows))
            if progress:
                progress(index, len(deliveries), day, rows)
        report.max_load_id = conn.execute(
            "select max(load_id) from ops.deliveries where status = 'LOADED'").fetchone()[0]
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (LOAD_LOCK_ID,))
        conn.autocommit = autocommit
    return report


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
    with conn.transaction():
        checked = _check_with_warehouse(conn, folder)
        if not checked.ok:
            _record_rejection(conn, checked)
        unexpected = record_unexpected_files(conn, checked)
    if report is not None:
        report.unexpected_files += unexpected
    if not checked.ok:
        raise DeliveryRejected(checked.delivery_date, checked.violations, len(checked.violations))
    with conn.transaction():
        return _copy_delivery(conn, checked, keys)


def _check_with_warehouse(conn: psycopg.Connection, folder: Path) -> CheckedDelivery:
    """The contract checks of the files, then those that need the warehouse's state."""
    day, cutover = delivery_date_of(folder), cutover_day(conn)
    if cutover is not None and day < cutover:  # not even read: it can never be accepted
        reason = (f"dated before the warehouse's cut-over delivery {cutover:%Y%m%d}: "
                  "no delivery before the cut-over is ever accepted")
        violation = Violation(folder.name, None, None, None, reason)
        return CheckedDelivery(day, folder, delivery_version(folder), {}, [violation])
    checked = check_delivery(folder)
    if cutover is not None and day > cutover:
        checked.violations.extend(_opening_rows_after_cutover(checked, cutover))
    if checked.ok:
        checked.violations.extend(_cross_delivery_duplicates(conn, checked))
    return checked


def _opening_rows_after_cutover(checked: CheckedDelivery, cutover: date) -> list[Violation]:
    """OPENING-type rows are the cut-over's state: no delivery after it carries them."""
    found = []
    for spec in FILES:
        parsed = checked.files.get(spec.name)
        if spec.opening_column is None or parsed is None:
            continue
        position = spec.column_names.index(spec.opening_column)
        found += [Violation(spec.name, line, spec.opening_column, row[position],
                            f"{row[position]} rows belong to the cut-over delivery {cutover:%Y%m%d} only")
                  for row, line in zip(parsed.rows, parsed.line_numbers) if row[position] in spec.opening_codes]
    return found


def _cross_delivery_duplicates(conn: psycopg.Connection, checked: CheckedDelivery) -> list[Violation]:
    """Ids must be unique across all deliveries (a re-sent day may reuse its own ids)."""
    found = []
    for spec in FILES:
        parsed = checked.files[spec.name]
        if spec.unique_scope != "all_deliveries" or not parsed.rows:
            continue
        key_pos = spec.column_names.index(spec.key.name)
        line_of = {row[key_pos]: line for row, line in zip(parsed.rows, parsed.line_numbers)}
        clashes = conn.execute(
            f"select {spec.key.name}, delivery_date from raw.{spec.table} "
            f"where {spec.key.name} = any(%s) and delivery_date <> %s",
            (list(line_of), checked.delivery_date)).fetchall()
        for key, other_day in sorted(clashes, key=lambda c: line_of[c[0]]):
            found.append(Violation(spec.name, line_of[key], spec.key.name, key,
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


def _copy_delivery(conn: psycopg.Connection, checked: CheckedDelivery, keys: CustomerKeys) -> int:
    day = checked.delivery_date
    conn.execute("update ops.deliveries set status = 'SUPERSEDED' where delivery_date = %s and status = 'LOADED'",
                 (day,))
    counts = {name: len(p.rows) for name, p in checked.files.items()}
    encodings = {name: p.encoding for name, p in checked.files.items()}
    load_id = conn.execute(
        "insert into ops.deliveries (delivery_date, manifest_sha256, landing_path, status, encodings, "
        "row_counts, total_rows) values (%s, %s, %s, 'LOADED', %s, %s, %s) returning load_id",
        (day, checked.manifest_sha256, str(checked.folder), json.dumps(encodings), json.dumps(counts),
         sum(counts.values()))).fetchone()[0]
    lineage_names = [name for name, _ in LINEAGE_COLUMNS if name != "loaded_at"]
    for spec in FILES:
        conn.execute(f"delete from raw.{spec.table} where delivery_date = %s", (day,))
        parsed = checked.files[spec.name]
        if not parsed.rows:
            continue
        lineage = [day, f"{checked.folder.name}/{spec.name}"]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        sources = spec.derived_sources
        for row, line in zip(parsed.rows, parsed.line_numbers):
            writer.writerow(row + [keys(row[i]) for i in sources] + lineage + [line, load_id])
        columns = ", ".join(_copied_columns(spec, lineage_names))
        with conn.cursor().copy(f"copy raw.{spec.table} ({columns}) from stdin with (format csv)") as copy:
            copy.write(buffer.getvalue())
    log.debug("delivery %s loaded as load %d: %s", day.strftime("%Y%m%d"), load_id, counts)
    return sum(counts.values())


def _copied_columns(spec: FileSpec, lineage_names: list[str]) -> tuple[str, ...]:
    return spec.column_names + tuple(d.name for d in spec.derived) + tuple(lineage_names)


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
