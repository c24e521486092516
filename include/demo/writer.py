"""Writing a delivery: CSV bytes (CRLF, RFC 4180 quoting), the day's file encodings (CP949 and
BOM days) and the folder's files, the manifest last."""
from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

from include.ingest.contract import (
    CONTRIBUTIONS,
    FILES,
    GUARANTEES,
    MANIFEST_FILE,
    MANIFEST_HEADER,
)

CP949_DAYS = (7, 21)  # branch-style exports: Korean text in CP949 on these days of the month
BOM_DAYS = (14, 28)
CP949_FILES = (GUARANTEES.name, CONTRIBUTIONS.name)


def file_encoding(day: date, file_name: str) -> str:
    if day.day in CP949_DAYS and file_name in CP949_FILES:
        return "cp949"
    if day.day in BOM_DAYS:
        return "utf-8-sig"
    return "utf-8"


def csv_bytes(records: list[list], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(records)
    return buffer.getvalue().encode(encoding)


def write_delivery(landing_dir: Path, day: date, rows: dict[str, list[dict]]) -> None:
    """The four data files, then the manifest (rows, amount sum, SHA-256 of the bytes written)."""
    folder = landing_dir / day.strftime("%Y%m%d")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).unlink(missing_ok=True)  # rewriting a day: incomplete until the new manifest
    manifest = [list(MANIFEST_HEADER)]
    for spec in FILES:
        records = [list(spec.column_names)]
        records += [["" if row[name] is None else row[name] for name in spec.column_names] for row in rows[spec.name]]
        data = csv_bytes(records, file_encoding(day, spec.name))
        (folder / spec.name).write_bytes(data)
        amount_sum = sum(row["amount_krw"] for row in rows[spec.name]) if spec.has_amount else 0
        manifest.append([spec.name, len(rows[spec.name]), amount_sum, hashlib.sha256(data).hexdigest()])
    (folder / MANIFEST_FILE).write_bytes(csv_bytes(manifest, "utf-8"))
