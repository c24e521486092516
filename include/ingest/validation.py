"""Contract checks of one delivery, made before anything of it is loaded.

`check_delivery` reads the five files of a delivery folder and returns the parsed rows (typed,
ready for COPY) and every violation found (file, line, column, value, reason). One violation
rejects the whole delivery; the caller decides what to do with the result.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from include.ingest import contract
from include.ingest.contract import (
    FILES,
    MANIFEST_FILE,
    MANIFEST_HEADER,
    Column,
    FileSpec,
)
from include.ingest.extract_files import (
    DecodedFile,
    UndecodableFile,
    decode,
    entry_digest,
    entry_kind,
    records,
)

# ASCII digits only, and \Z: `$` would accept a trailing newline, \d fullwidth digits
DATE_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
INT_RE = re.compile(r"\A-?[0-9]+\Z")
DEC_RE = re.compile(r"\A-?[0-9]+(\.[0-9]+)?\Z")
BIGINT_MAX = 2**63 - 1  # the raw tables' integer type
HEADER_NAME_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,39}\Z")  # what a column name looks like
SHOWN_HEADER_NAMES = 5


@dataclass(frozen=True)
class Violation:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def __post_init__(self) -> None:
        """Every place a violation goes (ops.rejections, log lines, the exception, the operator
        e-mail) takes its value from here: PII stays in raw and staging, so a personal column's
        value is masked (12********, 한*****) and any value is cut to a readable length."""
        object.__setattr__(self, "value", contract.shown_value(self.file, self.column, self.value))

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        col = f" [{self.column}={self.value!r}]" if self.column else ""
        return f"{where}{col} {self.reason}"


@dataclass
class ParsedFile:
    spec: FileSpec
    encoding: str
    sha256: str
    rows: list[list[str]] = field(default_factory=list)  # checked fields in contract column order ("" = null)
    line_numbers: list[int] = field(default_factory=list)
    data_records: int = 0  # records after the header, valid or not
    well_formed: bool = True  # header matched and the CSV parsed to the end


@dataclass
class CheckedDelivery:
    delivery_date: date
    folder: Path
    manifest_sha256: str
    files: dict[str, ParsedFile]
    violations: list[Violation]
    unexpected: list[str] = field(default_factory=list)  # files not of the contract: reported, not loaded

    @property
    def ok(self) -> bool:
        return not self.violations


def delivery_date_of(folder: Path) -> date | None:
    return contract.delivery_date_of_name(folder.name)


def delivery_version(folder: Path) -> str:
    """Names a delivery version: its manifest's SHA-256 (a folder that is a link: the link's)."""
    if folder.is_symlink():
        return entry_digest(folder)
    return entry_digest(folder / MANIFEST_FILE)


def shown_header(names: list[str]) -> str:
    """Header names for a reason: a header that is really a data row must not echo its values."""
    shown = [n if HEADER_NAME_RE.match(n) else contract.mask(contract.cut(n, 40), 1)
             for n in names[:SHOWN_HEADER_NAMES]]
    more = f" (+{len(names) - SHOWN_HEADER_NAMES} more)" if len(names) > SHOWN_HEADER_NAMES else ""
    return f"{shown}{more}"


# --- manifest ----------------------------------------------------------------------------

@dataclass
class ManifestLine:
    rows: int
    amount_sum: int
    sha256: str


def read_manifest(folder: Path, violations: list[Violation]) -> dict[str, ManifestLine]:
    try:
        decoded = decode(folder / MANIFEST_FILE)
    except UndecodableFile as exc:
        violations.append(Violation(MANIFEST_FILE, None, None, None, str(exc)))
        return {}
    entries: dict[str, ManifestLine] = {}
    try:
        parsed = list(records(decoded.text))
    except csv.Error as exc:
        violations.append(Violation(MANIFEST_FILE, None, None, None, f"malformed CSV: {exc}"))
        return {}
    if not parsed or tuple(parsed[0][1]) != MANIFEST_HEADER:
        got = shown_header(parsed[0][1]) if parsed else "nothing"
        violations.append(Violation(MANIFEST_FILE, 1, None, None,
                                    f"header must be {','.join(MANIFEST_HEADER)}, got {got}"))
        return {}
    for line, fields in parsed[1:]:
        if len(fields) != 4:
            violations.append(Violation(MANIFEST_FILE, line, None, None, f"expected 4 fields, got {len(fields)}"))
            continue
        name, rows, amount, sha = fields
        if name not in contract.FILES_BY_NAME:
            violations.append(Violation(MANIFEST_FILE, line, "file", name, "not a data file of the contract"))
        elif name in entries:
            violations.append(Violation(MANIFEST_FILE, line, "file", name, "listed twice"))
        elif not INT_RE.match(rows) or not INT_RE.match(amount):
            violations.append(Violation(MANIFEST_FILE, line, "rows", f"{rows},{amount}",
                                        "rows and amount_krw_sum must be integers"))
        else:
            entries[name] = ManifestLine(int(rows), int(amount), sha.strip().lower())
    for spec in FILES:
        if spec.name not in entries and not any(v.value == spec.name for v in violations):
            violations.append(Violation(MANIFEST_FILE, None, "file", spec.name, "data file missing from the manifest"))
    return entries


# --- values ------------------------------------------------------------------------------

class BadValue(ValueError):
    pass


def parse_value(col: Column, value: str, delivery_date: date):
    if col.type == contract.DATE:
        if col.equals_delivery_date and value == delivery_date.isoformat():
            return delivery_date  # the common case, without parsing
        if not DATE_RE.match(value):
            raise BadValue("not a date YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise BadValue("not a valid calendar date") from exc
    if col.type == contract.INTEGER:
        if not INT_RE.match(value):
            raise BadValue("not an integer")
        number = int(value)
        if abs(number) > BIGINT_MAX:
            raise BadValue("out of range (more than 19 digits)")
        return number
    if col.type == contract.DECIMAL:
        if not DEC_RE.match(value):
            raise BadValue("not a decimal")
        if len(value.partition(".")[2]) > contract.DECIMAL_PLACES:
            raise BadValue(f"more than {contract.DECIMAL_PLACES} digits after the point (not rounded)")
        return Decimal(value)
    return value


def _bound(bound: float | None, value):
    """The contract's bound in the value's own type: Decimal('0.1') < 0.1 is True in Python."""
    if bound is None or not isinstance(value, Decimal):
        return bound
    return Decimal(str(bound))


def check_value(col: Column, value, delivery_date: date) -> str | None:
    """Return the reason the typed value breaks the column's rule, or None."""
    if col.codes is not None and value not in col.codes:
        return f"not an allowed code ({', '.join(col.codes)})"
    low, high = _bound(col.min, value), _bound(col.max, value)
    if low is not None and (value < low or (col.min_exclusive and value == low)):
        return f"must be {'>' if col.min_exclusive else '>='} {col.min:g}"
    if high is not None and value > high:
        return f"must be <= {col.max:g}"
    if col.equals_delivery_date and value != delivery_date:
        return f"must equal the delivery date {delivery_date.isoformat()}"
    if col.check_digit and not contract.business_reg_no_is_valid(value):
        return "not a valid 사업자등록번호 (10 digits with check digit)"
    if col.identifier and value != value.strip():
        return "id has leading or trailing spaces (ids are compared exactly)"
    return None


def _suspects(col: Column, values: tuple[str, ...], delivery_date: date) -> list[int]:
    """Indices of non-empty values that may break the column's rule: a cheap superset, so the
    exact reason is worked out (by parse_value and check_value) for these few only."""
    if col.codes is not None:
        allowed = frozenset(col.codes)
        return [i for i, v in enumerate(values) if v and v not in allowed]
    if col.equals_delivery_date:
        iso = delivery_date.isoformat()
        return [i for i, v in enumerate(values) if v != iso and v]
    if col.check_digit:
        return [i for i, v in enumerate(values) if v and not contract.business_reg_no_is_valid(v)]
    if col.type == contract.INTEGER:
        low, high = col.min, col.max

        def plausible(v: str) -> bool:
            if not (v.isascii() and v.isdigit()):
                return False
            n = int(v)
            above_low = low is None or n > low or (n == low and not col.min_exclusive)
            return n <= BIGINT_MAX and above_low and (high is None or n <= high)
        return [i for i, v in enumerate(values) if v and not plausible(v)]
    if col.type in (contract.DECIMAL, contract.DATE):
        return [i for i, v in enumerate(values) if v]  # few such columns: check each value fully
    if col.identifier:
        return [i for i, v in enumerate(values) if v != v.strip()]
    return []


def _empty_violations(spec: FileSpec, col: Column, values: tuple[str, ...], kinds) -> list[tuple[int, str]]:
    """Required fields left empty, and fields that must stay empty for the row's kind."""
    needed_for = spec.required_when.get(col.name, ())
    empty_for = spec.empty_when.get(col.name, ())
    found = []
    for i, v in enumerate(values):
        if v == "":
            if col.required:
                found.append((i, "empty: required"))
            elif kinds is not None and kinds[i] in needed_for:
                found.append((i, f"empty: required for {spec.when_column} {kinds[i]}"))
        elif kinds is not None and kinds[i] in empty_for:
            found.append((i, f"must be empty for {spec.when_column} {kinds[i]}"))
    return found


def check_columns(spec: FileSpec, rows: list[list[str]], lines: list[int], delivery_date: date) -> list[Violation]:
    """Every rule of every column, a column at a time; violations in (line, column) order."""
    if not rows:
        return []
    columns = list(zip(*rows))
    kinds = columns[spec.when_index] if spec.when_column else None
    found: list[tuple[int, int, Violation]] = []
    for position, (col, values) in enumerate(zip(spec.columns, columns)):
        for i, reason in _empty_violations(spec, col, values, kinds):
            found.append((i, position, Violation(spec.name, lines[i], col.name, values[i], reason)))
        for i in _suspects(col, values, delivery_date):
            reason = value_reason(col, values[i], delivery_date)
            if reason:
                found.append((i, position, Violation(spec.name, lines[i], col.name, values[i], reason)))
    if spec is contract.GUARANTEES:
        found += _maturity_violations(columns, lines, {i for i, _, _ in found})
    return [v for _, _, v in sorted(found, key=lambda f: (f[0], f[1]))]


def value_reason(col: Column, raw: str, delivery_date: date) -> str | None:
    try:
        return check_value(col, parse_value(col, raw, delivery_date), delivery_date)
    except BadValue as exc:
        return str(exc)


def _maturity_violations(columns: list[tuple[str, ...]], lines: list[int], bad_rows: set[int]):
    names = contract.GUARANTEES.column_names
    position = names.index("maturity_date")
    maturities, event_dates = columns[position], columns[names.index("event_date")]
    return [(i, position, Violation(contract.GUARANTEES.name, lines[i], "maturity_date", m, "must be after event_date"))
            for i, (m, e) in enumerate(zip(maturities, event_dates))
            if m and i not in bad_rows and m <= e]  # valid ISO dates order as strings


# --- files -------------------------------------------------------------------------------

def check_file(spec: FileSpec, decoded: DecodedFile, delivery_date: date,
               violations: list[Violation]) -> ParsedFile:
    parsed = ParsedFile(spec, decoded.encoding, decoded.sha256)
    if "\x00" in decoded.text:  # PostgreSQL text cannot hold NUL
        line = decoded.text.count("\n", 0, decoded.text.index("\x00")) + 1
        violations.append(Violation(spec.name, line, None, None, "contains a NUL character"))
        parsed.well_formed = False
        return parsed
    it = records(decoded.text)
    try:
        first = next(it, None)
        if first is None:
            violations.append(Violation(spec.name, 1, None, None, "empty file: header row missing"))
            parsed.well_formed = False
            return parsed
        header = first[1]
        missing = [c for c in spec.column_names if c not in header]
        extra = [h for h in header if h not in spec.column_names]
        dupes = {h for h in header if header.count(h) > 1}
        if missing or extra or dupes:
            reason = "header does not match the contract:" + (
                f" missing {missing}" if missing else "") + (f" unexpected {shown_header(extra)}" if extra else "") + (
                f" duplicated {shown_header(sorted(dupes))}" if dupes else "")
            violations.append(Violation(spec.name, 1, None, None, reason))
            parsed.well_formed = False
            return parsed
        positions = [header.index(c) for c in spec.column_names]
        for line, fields in it:
            parsed.data_records += 1
            if len(fields) != len(header):  # the row is not echoed: its fields may be personal
                violations.append(Violation(spec.name, line, None, None,
                                            f"has {len(fields)} fields, header has {len(header)}"))
                continue
            parsed.rows.append([fields[p] for p in positions])
            parsed.line_numbers.append(line)
    except csv.Error as exc:
        violations.append(Violation(spec.name, None, None, None, f"malformed CSV: {exc}"))
        parsed.well_formed = False
        return parsed
    violations.extend(check_columns(spec, parsed.rows, parsed.line_numbers, delivery_date))
    violations.extend(_duplicate_ids(spec, parsed))
    return parsed


def _duplicate_ids(spec: FileSpec, parsed: ParsedFile) -> list[Violation]:
    key_pos = spec.column_names.index(spec.key.name)
    first_line: dict[str, int] = {}
    found = []
    for row, line in zip(parsed.rows, parsed.line_numbers):
        key = row[key_pos]
        if key in first_line:
            found.append(Violation(spec.name, line, spec.key.name, key,
                                   f"duplicate id (also on line {first_line[key]})"))
        else:
            first_line[key] = line
    return found


def check_against_manifest(spec: FileSpec, parsed: ParsedFile, entry: ManifestLine,
                           violations: list[Violation]) -> None:
    if parsed.sha256 != entry.sha256:
        violations.append(Violation(spec.name, None, "sha256", parsed.sha256,
                                    f"SHA-256 differs from the manifest ({entry.sha256})"))
    if not parsed.well_formed:
        return
    if parsed.data_records != entry.rows:
        violations.append(Violation(spec.name, None, "rows", str(parsed.data_records),
                                    f"row count differs from the manifest ({entry.rows})"))
    if spec.has_amount:
        amount_pos = spec.column_names.index("amount_krw")
        amounts = [r[amount_pos] for r in parsed.rows]
        if all(a.isascii() and a.isdigit() for a in amounts) and parsed.data_records == len(parsed.rows):
            total = sum(map(int, amounts))
        else:
            return  # a malformed amount or row is reported already
        if total != entry.amount_sum:
            violations.append(Violation(spec.name, None, "amount_krw", str(total),
                                        f"amount sum differs from the manifest ({entry.amount_sum})"))
    elif entry.amount_sum != 0:
        violations.append(Violation(MANIFEST_FILE, None, "amount_krw_sum", str(entry.amount_sum),
                                    f"must be 0 for {spec.name}"))


def check_entries(folder: Path) -> tuple[list[Violation], list[str]]:
    """The folder's entries, none of them read or followed: a contract file missing or not a
    regular file, and any link, fifo or device, are violations; other files and folders are
    unexpected (reported, not loaded)."""
    violations, unexpected = [], []
    for name in contract.DELIVERY_FILES:
        kind = entry_kind(folder / name)
        if kind is None:
            violations.append(Violation(name, None, None, None, "file missing from the delivery"))
        elif kind != "regular file":
            violations.append(Violation(name, None, None, None, f"is a {kind}, not a regular file: not read"))
    for name in sorted(os.listdir(folder)):
        kind = entry_kind(folder / name)
        if name in contract.DELIVERY_FILES or kind is None:
            continue
        if kind in ("regular file", "folder"):
            unexpected.append(name)
        else:
            violations.append(Violation(contract.cut(name), None, None, None,
                                        f"is a {kind} inside the delivery folder: not read "
                                        "(a delivery holds regular files only)"))
    return violations, unexpected


def check_delivery(folder: Path) -> CheckedDelivery:
    delivery_date = delivery_date_of(folder)
    assert delivery_date is not None, folder
    version = delivery_version(folder)
    if folder.is_symlink():
        reason = "the delivery folder is a symbolic link: not read (a delivery is a folder of regular files)"
        return CheckedDelivery(delivery_date, folder, version, {}, [Violation(folder.name, None, None, None, reason)])
    violations, unexpected = check_entries(folder)
    readable = {name for name in contract.DELIVERY_FILES if entry_kind(folder / name) == "regular file"}
    manifest = read_manifest(folder, violations) if MANIFEST_FILE in readable else {}
    files: dict[str, ParsedFile] = {}
    for spec in FILES:
        path = folder / spec.name
        if spec.name not in readable:
            continue  # reported by check_entries
        try:
            decoded = decode(path)
        except UndecodableFile as exc:
            violations.append(Violation(spec.name, None, None, None, str(exc)))
            continue
        parsed = check_file(spec, decoded, delivery_date, violations)
        files[spec.name] = parsed
        if spec.name in manifest:
            check_against_manifest(spec, parsed, manifest[spec.name], violations)
    return CheckedDelivery(delivery_date, folder, version, files, violations, unexpected)
