"""Loading deliveries from the landing area into `raw`, with bookkeeping in `ops`.

Each complete delivery (manifest present) is processed in date order, in its own transaction:
contract checks first (include.ingest.validation plus id uniqueness across deliveries), then either
a rejection record (nothing loaded) or a bulk COPY into raw. What has been loaded is recorded
in ops.deliveries, so the warehouse itself knows what is pending.
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

from include.ingest.contract import FILES, LINEAGE_COLUMNS, MANIFEST_FILE
from include.ingest.extract_files import file_sha256
from include.ingest.rejections import (
    SHOWN_VIOLATIONS,
    first_violations,
    stored_rejection,
)
from include.ingest.schema import ensure_schemas
from include.ingest.validation import (
    CheckedDelivery,
    Violation,
    check_delivery,
    delivery_date_of,
)

log = logging.getLogger(__name__)

LOAD_LOCK_ID = 7_700_001  # advisory lock: one loader at a time per warehouse


class DeliveryRejected(RuntimeError):
    """A delivery broke the contract: nothing of it was loaded, and later ones wait."""

    def __init__(self, delivery_date: date, violations: list[Violation] | list[str], total: int):
        self.delivery_date = delivery_date
        self.first = [str(v) for v in violations[:SHOWN_VIOLATIONS]]
        self.total = total
        day = delivery_date.strftime("%Y%m%d")
        lines = "\n  ".join(self.first)
        super().__init__(
            f"delivery {day} rejected: {total} contract violation(s); nothing of it was loaded and "
            f"later deliveries wait until it is re-sent. Full list: "
            f"select * from ops.rejections where delivery_date = '{delivery_date}'.\n  {lines}"
        )


@dataclass
class LoadReport:
    loaded: list[tuple[date, int]] = field(default_factory=list)  # (delivery date, rows)
    already_loaded: int = 0
    waiting_for: date | None = None  # first missing day blocking later deliveries
    rejected: DeliveryRejected | None = None  # the delivery that stopped loading, if any
    max_load_id: int | None = None

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


def complete_deliveries(landing: Path) -> list[tuple[date, Path]]:
    """Delivery folders (YYYYMMDD) whose manifest has been written, in date order."""
    found = []
    if not landing.is_dir():
        return found
    for folder in landing.iterdir():
        day = delivery_date_of(folder)
        if day and folder.is_dir() and (folder / MANIFEST_FILE).is_file():
            found.append((day, folder))
    return sorted(found)


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
    ensure_schemas(conn)
    report = LoadReport()
    autocommit = conn.autocommit
    conn.commit()
    conn.autocommit = True  # each delivery is its own transaction, committed when it is done
    conn.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_ID,))
    try:
        known = _known_versions(conn)
        deliveries = complete_deliveries(landing)
        previous = _last_loaded_before(known, deliveries[0][0]) if deliveries else None
        for index, (day, folder) in enumerate(deliveries, start=1):
            if previous is not None and day > previous + timedelta(days=1):
                report.waiting_for = previous + timedelta(days=1)
                log.warning("delivery %s is not complete yet: %d later deliveries wait",
                            report.waiting_for.strftime("%Y%m%d"), len(deliveries) - index + 1)
                break
            previous = day
            sha = file_sha256(folder / MANIFEST_FILE)
            versions = known.get(day, _DayVersions())
            if sha == versions.loaded_sha:
                report.already_loaded += 1
                continue
            if sha in versions.rejected_sha:
                stored = stored_rejection(conn, day, sha)
                report.rejected = DeliveryRejected(day, first_violations(conn, stored), stored.violation_count)
                break
            try:
                rows = load_delivery(conn, folder)
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


def load_delivery(conn: psycopg.Connection, folder: Path) -> int:
    """Check and load one delivery atomically; return rows loaded or raise DeliveryRejected."""
    checked = check_delivery(folder)
    with conn.transaction():
        if checked.ok:
            checked.violations.extend(_cross_delivery_duplicates(conn, checked))
        if not checked.ok:
            _record_rejection(conn, checked)
    if not checked.ok:
        raise DeliveryRejected(checked.delivery_date, checked.violations, len(checked.violations))
    with conn.transaction():
        return _copy_delivery(conn, checked)


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


def _copy_delivery(conn: psycopg.Connection, checked: CheckedDelivery) -> int:
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
        source_file = f"{checked.folder.name}/{spec.name}"
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row, line in zip(parsed.rows, parsed.line_numbers):
            writer.writerow(row + [day, source_file, line, load_id])
        columns = ", ".join(spec.column_names + tuple(lineage_names))
        with conn.cursor().copy(f"copy raw.{spec.table} ({columns}) from stdin with (format csv)") as copy:
            copy.write(buffer.getvalue())
    log.debug("delivery %s loaded as load %d: %s", day.strftime("%Y%m%d"), load_id, counts)
    return sum(counts.values())


def waiting_deliveries(conn: psycopg.Connection, landing: Path) -> list[date]:
    """Complete deliveries of the landing area not loaded (yet): behind a rejection or a missing day."""
    loaded = {d for (d,) in conn.execute("select delivery_date from ops.deliveries where status = 'LOADED'")}
    return [day for day, _ in complete_deliveries(landing) if day not in loaded]


def mark_built(conn: psycopg.Connection, up_to_load_id: int | None) -> int:
    """Record that dbt has built everything loaded up to this load id."""
    if up_to_load_id is None:
        return 0
    with conn.transaction():
        cur = conn.execute(
            "update ops.deliveries set dbt_built_at = now() where status = 'LOADED' "
            "and dbt_built_at is null and load_id <= %s", (up_to_load_id,))
    return cur.rowcount
