"""Bad files: a complete delivery (manifest present) whose files are damaged in transit or made
wrongly. The whole delivery is rejected with each reason recorded, and nothing of it is loaded;
a file that is merely written differently (LF line ends) still loads."""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import pytest

from include.ingest.loader import load_landing
from tests.faults.catalogue import Case
from tests.faults.outcomes import D1, assert_loaded_once, assert_rejected
from tests.landing_factory import good_delivery, write_delivery

FAMILY = "bad files"


def _delivery(landing: Path) -> Path:
    return write_delivery(landing, D1, good_delivery(D1, 2))


def _replace(name: str, data: bytes, folder: Path) -> None:
    """A file changed after the manifest was written (its sha256 no longer matches)."""
    (folder / name).write_bytes(data)


def _manifest(edit, folder: Path) -> None:
    path = folder / "manifest.csv"
    path.write_bytes(edit(path.read_bytes()))


def _sha(folder: Path, name: str) -> str:
    return hashlib.sha256((folder / name).read_bytes()).hexdigest()


def sha_differs(name: str):
    """The violation of a file changed after the manifest: its digest now, the manifest's (the original)."""
    def violation(folder: Path, original: dict[str, str]) -> tuple:
        return (name, None, "sha256", _sha(folder, name), f"SHA-256 differs from the manifest ({original[name]})")
    return violation


def rejected(damage, expected: list):
    """A case run: a good delivery, the damage, then exactly these violations and nothing loaded.

    An expected item is a (file, line, column, value, reason) tuple, or sha_differs(file).
    """
    def run(conn, landing: Path) -> None:
        folder = _delivery(landing)
        original = {p.name: _sha(folder, p.name) for p in folder.iterdir()}
        damage(folder)
        assert_rejected(conn, landing, D1, [v(folder, original) if callable(v) else v for v in expected])
    return run


def loads(change):
    def run(conn, landing: Path) -> None:
        change(_delivery(landing))
        report = load_landing(conn, landing)
        assert report.rejected is None and report.loaded, report
        assert_loaded_once(conn, landing)
    return run


def _truncate(name: str, keep: float, folder: Path) -> None:
    data = (folder / name).read_bytes()
    (folder / name).write_bytes(data[:int(len(data) * keep)])


def _cut_inside_quotes(folder: Path) -> None:
    data = (folder / "guarantees.csv").read_bytes()
    (folder / "guarantees.csv").write_bytes(data[:data.index(b'"') + 4])


def _upper_digest(line: bytes) -> bytes:
    head, _, digest = line.rpartition(b",")
    return head + b"," + digest.upper() if head else line


def _lf_endings(folder: Path) -> None:
    from tests.landing_factory import rewrite_manifest

    path = folder / "guarantees.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    rewrite_manifest(folder)


MANIFEST_SHA = "sha256 of the file does not match the manifest"
CASES = [
    Case("truncated_mid_row", FAMILY, "guarantees.csv cut at 60 % of its bytes after the manifest was written",
         "rejected: sha256 and row count differ from the manifest; nothing loaded",
         rejected(partial(_truncate, "guarantees.csv", 0.6), [
             ("guarantees.csv", 2, None, None, "has 9 fields, header has 15"), sha_differs("guarantees.csv"),
             ("guarantees.csv", None, "rows", "1", "row count differs from the manifest (2)")])),
    Case("truncated_inside_quotes", FAMILY, "guarantees.csv cut inside a quoted customer name",
         "rejected: malformed CSV (unexpected end of data); nothing loaded",
         rejected(_cut_inside_quotes, [("guarantees.csv", None, None, None, "malformed CSV: unexpected end of data"),
                                       sha_differs("guarantees.csv")])),
    Case("emptied_after_manifest", FAMILY, "headcount.csv emptied (0 bytes) after the manifest was written",
         "rejected: header row missing, sha256 mismatch; nothing loaded",
         rejected(partial(_replace, "headcount.csv", b""), [
             ("headcount.csv", 1, None, None, "empty file: header row missing"), sha_differs("headcount.csv")])),
    Case("binary_file", FAMILY, "guarantees.csv replaced by PNG bytes", "rejected: not decodable; nothing loaded",
         rejected(partial(_replace, "guarantees.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"), [
             ("guarantees.csv", None, None, None, "neither UTF-8 nor CP949: 'cp949' codec can't decode byte 0xff "
              "in position 16: illegal multibyte sequence")])),
    Case("utf16_file", FAMILY, "contributions.csv re-encoded as UTF-16",
         "rejected: neither UTF-8 nor CP949; nothing loaded",
         rejected(lambda f: _replace("contributions.csv", (f / "contributions.csv").read_bytes().decode()
                                     .encode("utf-16"), f), [
             ("contributions.csv", None, None, None, "neither UTF-8 nor CP949: 'cp949' codec can't decode byte 0xff "
              "in position 0: illegal multibyte sequence")])),
    Case("other_file_in_its_place", FAMILY, "guarantees.csv holds the bytes of repayments.csv",
         "rejected: header does not match guarantees.csv; nothing loaded",
         rejected(lambda f: _replace("guarantees.csv", (f / "repayments.csv").read_bytes(), f), [
             ("guarantees.csv", 1, None, None, "header does not match the contract: missing ['event_id', "
              "'event_date', 'event_type', 'program_code', 'customer_id', 'business_reg_no', 'customer_name', "
              "'bank_code', 'guarantee_ratio_pct', 'fee_rate_pct', 'term_months', 'maturity_date'] unexpected "
              "['repayment_id', 'repayment_date', 'kind']"), sha_differs("guarantees.csv")])),
    Case("duplicate_header_column", FAMILY, "headcount.csv's header names grade twice",
         "rejected at line 1; nothing loaded",
         rejected(lambda f: _replace("headcount.csv", (f / "headcount.csv").read_bytes().replace(
             b"employment_status", b"grade", 1), f), [
             ("headcount.csv", 1, None, None, "header does not match the contract: missing ['employment_status'] "
              "duplicated ['grade']"), sha_differs("headcount.csv")])),
    Case("manifest_empty", FAMILY, "manifest.csv is 0 bytes", "rejected: manifest unreadable; nothing loaded",
         rejected(partial(_manifest, lambda data: b""), [
             ("manifest.csv", 1, None, None, "header must be file,rows,amount_krw_sum,sha256, got nothing")])),
    Case("manifest_line_twice", FAMILY, "manifest.csv lists guarantees.csv twice",
         "rejected: manifest.csv line 6 `listed twice`; nothing loaded",
         rejected(partial(_manifest, lambda data: data + data.split(b"\r\n")[1] + b"\r\n"),
                  [("manifest.csv", 6, "file", "guarantees.csv", "listed twice")])),
    Case("manifest_unknown_file", FAMILY, "manifest.csv lists a fifth file, notes.csv",
         "rejected: the manifest names a file not in the contract; nothing loaded",
         rejected(partial(_manifest, lambda data: data + b"notes.csv,0,0," + b"0" * 64 + b"\r\n"),
                  [("manifest.csv", 6, "file", "notes.csv", "not a data file of the contract")])),
    Case("manifest_negative_rows", FAMILY, "manifest.csv says -1 rows for headcount.csv",
         "rejected: row count not a count; nothing loaded",
         rejected(partial(_manifest, lambda data: data.replace(b"headcount.csv,2,", b"headcount.csv,-1,")), [
             ("headcount.csv", None, "rows", "2", "row count differs from the manifest (-1)")])),
    Case("manifest_sha_uppercase", FAMILY, "manifest.csv writes the sha256 digests in upper case",
         "loaded: a digest is compared whatever its case", loads(partial(_manifest, lambda data: b"\r\n".join(
             _upper_digest(line) if i else line for i, line in enumerate(data.split(b"\r\n")))))),
    Case("lf_line_ends", FAMILY, "guarantees.csv written with LF line ends (manifest matching)",
         "loaded: every row once", loads(_lf_endings)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_file(case, conn, tmp_path):
    case.run(conn, tmp_path)
