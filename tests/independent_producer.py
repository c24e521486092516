"""An independent producer of the nightly extract (the extract contract; include/contract.py is the project's copy).

Written from the contract alone, the way another vendor's export job might write it: it knows
nothing of the project's generator or loader. It takes rows as dicts and a per-file format
(encoding, line ending, quoting, column order, trailing newline) and writes one delivery folder
with its manifest written last.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# Column order of the contract's tables (the producer may write them in another order).
COLUMNS = {
    "guarantees.csv": [
        "event_id", "event_date", "event_type", "guarantee_id", "branch_code", "program_code",
        "customer_id", "business_reg_no", "customer_name", "bank_code", "amount_krw",
        "guarantee_ratio_pct", "fee_rate_pct", "term_months", "maturity_date",
    ],
    "repayments.csv": ["repayment_id", "repayment_date", "kind", "guarantee_id", "branch_code", "amount_krw"],
    "contributions.csv": [
        "contribution_id", "received_date", "entry_type", "contributor_code", "contributor_name",
        "contributor_type", "program_code", "amount_krw",
    ],
    "headcount.csv": ["snapshot_date", "employee_id", "org_unit_code", "grade", "employment_status"],
}
DATE_COLUMN = {
    "guarantees.csv": "event_date",
    "repayments.csv": "repayment_date",
    "contributions.csv": "received_date",
    "headcount.csv": "snapshot_date",
}
DATA_FILES = list(COLUMNS)


def brn(prefix9: str) -> str:
    """A 사업자등록번호 with a valid check digit, from its first nine digits (the contract's rule)."""
    assert len(prefix9) == 9 and prefix9.isdigit()
    d = [int(c) for c in prefix9]
    w = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    s = sum(a * b for a, b in zip(d, w)) + (d[8] * 5) // 10
    return prefix9 + str((10 - s % 10) % 10)


assert brn("124810099") == "1248100998"  # the contract's example


@dataclass
class Fmt:
    """How one file is written."""
    encoding: str = "utf-8"          # "utf-8", "utf-8-sig" (BOM) or "cp949"
    eol: str = "\n"                  # "\n" or "\r\n"
    quote_all: bool = False          # quote every field, else only where RFC 4180 needs it
    final_newline: bool = True       # False: the last record is not terminated
    columns: list[str] | None = None  # header order; default = the contract's table order


@dataclass
class ManifestFmt:
    upper_sha: bool = False
    order: list[str] = field(default_factory=lambda: list(DATA_FILES))
    eol: str = "\n"
    bom: bool = False                # UTF-8 with BOM, as a spreadsheet export would write it
    quote_all: bool = False
    final_newline: bool = True
    rows_override: dict[str, int] = field(default_factory=dict)  # to break the contract on purpose


def _quote(value: str, quote_all: bool) -> str:
    needs = quote_all or any(ch in value for ch in ',"\r\n')
    if not needs:
        return value
    return '"' + value.replace('"', '""') + '"'


def render_csv(columns: list[str], rows: list[dict], fmt: Fmt) -> bytes:
    lines = [",".join(_quote(c, fmt.quote_all) for c in columns)]
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, unknown
        lines.append(",".join(_quote("" if row.get(c) is None else str(row.get(c)), fmt.quote_all) for c in columns))
    text = fmt.eol.join(lines) + (fmt.eol if fmt.final_newline else "")
    if fmt.encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(fmt.encoding)


def write_delivery(landing: Path, day: date, files: dict[str, list[dict]],
                   formats: dict[str, Fmt] | None = None, manifest: ManifestFmt | None = None,
                   date_override: dict[tuple[str, int], str] | None = None) -> Path:
    """Write <landing>/YYYYMMDD/ with the four data files, then manifest.csv.

    `files` maps a file name to its data rows (dicts without the date column: the producer stamps
    the delivery date). `date_override[(file, row_index)]` writes another date text on purpose.
    """
    formats = formats or {}
    manifest = manifest or ManifestFmt()
    folder = landing / day.strftime("%Y%m%d")
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name in DATA_FILES:
        rows = []
        for i, row in enumerate(files.get(name, [])):
            row = dict(row)
            row[DATE_COLUMN[name]] = (date_override or {}).get((name, i), day.isoformat())
            rows.append(row)
        fmt = formats.get(name, Fmt())
        data = render_csv(fmt.columns or COLUMNS[name], rows, fmt)
        (folder / name).write_bytes(data)
        amount = 0 if name == "headcount.csv" else sum(int(r["amount_krw"]) for r in rows)
        digest = hashlib.sha256(data).hexdigest()
        entries[name] = (manifest.rows_override.get(name, len(rows)), amount,
                         digest.upper() if manifest.upper_sha else digest)
    rows = [{"file": name, "rows": entries[name][0], "amount_krw_sum": entries[name][1], "sha256": entries[name][2]}
            for name in manifest.order]
    data = render_csv(["file", "rows", "amount_krw_sum", "sha256"], rows,
                      Fmt(encoding="utf-8-sig" if manifest.bom else "utf-8", eol=manifest.eol,
                          quote_all=manifest.quote_all, final_newline=manifest.final_newline))
    (folder / "manifest.csv").write_bytes(data)  # written last
    return folder
