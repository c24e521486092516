"""What the fault cases assert, in one place: raw rows against the manifests, the deliveries'
statuses, the recorded rejections."""
from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

from include.ingest.contract import FILES
from include.ingest.loader import LoadReport, load_landing

D1, D2, D3 = date(2019, 1, 2), date(2019, 1, 3), date(2019, 1, 4)


def raw_counts(conn) -> dict[str, int]:
    return {spec.name: conn.execute(f"select count(*) from raw.{spec.table}").fetchone()[0] for spec in FILES}


def manifest_counts(landing: Path, days: set[str] | None = None) -> dict[str, int]:
    """Data rows the manifests announce (of the named delivery folders only, when given)."""
    totals = dict.fromkeys((spec.name for spec in FILES), 0)
    for manifest in landing.glob("*/manifest.csv"):
        if days is None or manifest.parent.name in days:
            with manifest.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    totals[row["file"]] += int(row["rows"])
    return totals


def statuses(conn) -> list[tuple[date, str]]:
    return conn.execute("select delivery_date, status from ops.deliveries order by load_id").fetchall()


def rejections(conn) -> list[tuple]:
    return conn.execute("select file_name, line_no, column_name, value, reason from ops.rejections "
                        "order by rejection_id").fetchall()


def assert_rejected(conn, landing: Path, day: date, expected: list[tuple]) -> LoadReport:
    """The delivery of `day` is rejected with exactly these violations, recorded once; nothing of it is in raw."""
    report = load_landing(conn, landing)
    assert report.rejected is not None and report.rejected.delivery_date == day, report
    assert rejections(conn) == expected
    assert statuses(conn) == [(day, "REJECTED")]
    assert sum(raw_counts(conn).values()) == 0
    return report


def assert_loaded_once(conn, landing: Path) -> None:
    """Every complete delivery is LOADED exactly once and raw holds exactly the manifests' rows."""
    folders = {m.parent.name for m in landing.glob("*/manifest.csv")}
    loaded = Counter(f"{day:%Y%m%d}" for day, status in statuses(conn) if status == "LOADED")
    assert loaded == Counter(folders), loaded
    assert raw_counts(conn) == manifest_counts(landing)
