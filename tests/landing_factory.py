"""Writing small deliveries by hand for tests: rows in, files and a correct manifest out."""
from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

from include.ingest.contract import FILES, FILES_BY_NAME

VALID_BRN = "1248100998"


def folder_of(landing: Path, day: date) -> Path:
    return landing / day.strftime("%Y%m%d")


def csv_bytes(header: list[str], rows: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    text = buffer.getvalue()
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def _as_int(value) -> int:
    try:
        return int(value)
    except ValueError:
        return 0  # a deliberately bad amount: the row check reports it


def _is_earliest(landing: Path, day: date) -> bool:
    tag = day.strftime("%Y%m%d")
    return not landing.is_dir() or all(
        p.name >= tag for p in landing.iterdir() if len(p.name) == 8 and p.name.isdigit())


def with_opening_entry(day: date, rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The delivery as a cut-over: the OPENING entry of basic assets added after its contributions,
    unless it carries one already."""
    entries = rows.get("contributions.csv", [])
    if any(r.get("entry_type") == "OPENING" for r in entries):
        return rows
    opening = contribution(day, f"OPEN{day:%Y%m%d}", entry_type="OPENING", amount_krw=100_000_000_000)
    return {**rows, "contributions.csv": [*entries, opening]}


def write_delivery(landing: Path, day: date, rows: dict[str, list[dict]] | None = None,
                   encodings: dict[str, str] | None = None, manifest: bool = True,
                   raw_files: dict[str, bytes] | None = None, cutover: bool | None = None) -> Path:
    """Write a delivery; `rows` maps file name to dicts (missing keys = empty fields).

    The earliest delivery of a landing area is written as a cut-over (with_opening_entry) unless
    `cutover` says otherwise."""
    rows = rows or {}
    raw_files = raw_files or {}
    if cutover is None:
        cutover = _is_earliest(landing, day)
    if cutover and "contributions.csv" not in raw_files:
        rows = with_opening_entry(day, rows)
    encodings = encodings or {}
    folder = folder_of(landing, day)
    folder.mkdir(parents=True, exist_ok=True)
    manifest_rows = []
    for spec in FILES:
        if spec.name in raw_files:
            data = raw_files[spec.name]
        else:
            header = list(spec.column_names)
            data = csv_bytes(header, [[r.get(c) for c in header] for r in rows.get(spec.name, [])],
                             encodings.get(spec.name, "utf-8"))
        (folder / spec.name).write_bytes(data)
        amount = sum(_as_int(r["amount_krw"]) for r in rows.get(spec.name, [])) if spec.has_amount else 0
        manifest_rows.append([spec.name, len(rows.get(spec.name, [])), amount, hashlib.sha256(data).hexdigest()])
    if manifest:
        (folder / "manifest.csv").write_bytes(
            csv_bytes(["file", "rows", "amount_krw_sum", "sha256"], manifest_rows))
    return folder


def guarantee(day: date, event_id: str, event_type: str = "NEW", guarantee_id: str = "GR1", **over) -> dict:
    row = {
        "event_id": event_id, "event_date": day.isoformat(), "event_type": event_type,
        "guarantee_id": guarantee_id, "branch_code": "101", "program_code": "GENERAL",
        "customer_id": "C0001", "business_reg_no": VALID_BRN, "customer_name": '주식회사 "한빛", 남동점',
        "bank_code": "IBK", "amount_krw": 50_000_000,
    }
    if event_type in ("OPENING", "OPENING_ACCIDENT", "NEW", "EXTEND"):
        row.update(guarantee_ratio_pct="85", fee_rate_pct="1.2")
    if event_type in ("NEW", "EXTEND"):
        row.update(term_months=12, maturity_date=date(day.year + 1, day.month, min(day.day, 28)).isoformat())
    row.update(over)
    return row


def repayment(day: date, repayment_id: str, kind: str = "LOAN_PRINCIPAL", guarantee_id: str = "GR1", **over) -> dict:
    row = {"repayment_id": repayment_id, "repayment_date": day.isoformat(), "kind": kind,
           "guarantee_id": guarantee_id, "branch_code": "101", "amount_krw": 1_000_000}
    row.update(over)
    return row


def contribution(day: date, contribution_id: str, **over) -> dict:
    row = {"contribution_id": contribution_id, "received_date": day.isoformat(), "entry_type": "CONTRIBUTION",
           "contributor_code": "INCHEON_CITY", "contributor_name": "인천광역시", "contributor_type": "CITY",
           "program_code": None, "amount_krw": 1_000_000_000}
    row.update(over)
    return row


def employee(day: date, employee_id: str, **over) -> dict:
    row = {"snapshot_date": day.isoformat(), "employee_id": employee_id, "org_unit_code": "101",
           "grade": "5", "employment_status": "ACTIVE"}
    row.update(over)
    return row


def good_delivery(day: date, n: int = 1) -> dict[str, list[dict]]:
    """A small valid delivery; ids are made unique per day."""
    tag = day.strftime("%Y%m%d")
    return {
        "guarantees.csv": [guarantee(day, f"E{tag}-{i}", guarantee_id=f"G{tag}-{i}") for i in range(n)],
        "repayments.csv": [repayment(day, f"R{tag}-{i}", guarantee_id=f"G{tag}-{i}") for i in range(n)],
        "contributions.csv": [contribution(day, f"C{tag}")],
        "headcount.csv": [employee(day, "EMP1"), employee(day, "EMP2", grade="OTHER", employment_status="LEAVE")],
    }


__all__ = ["FILES_BY_NAME", "contribution", "employee", "good_delivery", "guarantee", "repayment", "write_delivery"]


def rewrite_manifest(folder: Path) -> None:
    """Recompute manifest.csv of a delivery folder from its data files (as a producer would)."""
    from include.ingest.extract_files import decode, records

    lines = []
    for spec in FILES:
        decoded = decode(folder / spec.name)
        parsed = list(records(decoded.text))
        header, data = parsed[0][1], [fields for _, fields in parsed[1:]]
        amount = sum(int(r[header.index("amount_krw")]) for r in data) if spec.has_amount else 0
        lines.append([spec.name, len(data), amount, decoded.sha256])
    (folder / "manifest.csv").write_bytes(csv_bytes(["file", "rows", "amount_krw_sum", "sha256"], lines))


def resend_with_changed_amount(folder: Path, event_type: str, delta: int) -> str:
    """Re-send a delivery whose first `event_type` guarantee event has its amount changed by `delta`.

    Keeps the file's encoding; returns the changed event id.
    """
    from include.ingest.extract_files import decode, records

    path = folder / "guarantees.csv"
    decoded = decode(path)
    parsed = [fields for _, fields in records(decoded.text)]
    header = parsed[0]
    target = next(r for r in parsed[1:] if r[header.index("event_type")] == event_type)
    target[header.index("amount_krw")] = str(int(target[header.index("amount_krw")]) + delta)
    path.write_bytes(csv_bytes(header, parsed[1:], decoded.encoding))
    rewrite_manifest(folder)
    return target[header.index("event_id")]
