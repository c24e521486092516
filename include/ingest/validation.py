"""Contract checks of one delivery, made before anything of it is loaded.

`check_delivery` reads the five files of a delivery folder and returns the parsed rows (typed,
ready for COPY) and every violation found (file, line, column, value, reason). One violation
rejects the whole delivery; the caller decides what to do with the result.
"""
from __future__ import annotations

import contextlib
import csv
import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from include.ingest import contract, fast_check
from include.ingest.contract import (
    FILES,
    MANIFEST_FILE,
    MANIFEST_HEADER,
    Column,
    FileSpec,
)
from include.ingest.extract_files import (
    DecodedFile,
    DeliveredFile,
    UndecodableFile,
    decode,
    entry_digest,
    entry_kind,
    read_delivered,
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
    # the checked rows of a file without violations: the contract columns in contract order (text,
    # null = empty field) and line_no, the physical line each record starts on; None otherwise
    frame: pl.DataFrame | None = None
    data_records: int = 0  # records after the header, valid or not
    well_formed: bool = True  # header matched and the CSV parsed to the end
    amount_sum: int | None = None  # Σ amount_krw when every amount is a plain integer

    line_base: int = 0  # frame's line_no less this: the line each record starts on
    opening_count: int | None = None  # the fast path's count of rows of a cut-over-only kind
    # the contract's derived columns (customer_key), computed by the loader: name -> values
    derived: dict[str, list] = field(default_factory=dict)
    # (line, code) of the rows of a kind for the cut-over only (OPENING …), found by the exact path
    # in a file it rejects (the frame is not kept then)
    opening: list[tuple[int, str]] = field(default_factory=list)
    verbatim: fast_check.Verbatim | None = None  # a clean file's records as delivered (the fast path's)

    @property
    def row_count(self) -> int:
        return 0 if self.frame is None else self.frame.height

    def opening_rows(self) -> list[tuple[int, str]]:
        """(line, code) of the file's rows of a cut-over-only kind (spec.opening_codes)."""
        if self.frame is None or self.spec.opening_column is None:
            return self.opening
        if self.opening_count == 0:
            return []
        column = pl.col(self.spec.opening_column)
        return list(self.frame.filter(column.is_in(list(self.spec.opening_codes)))
                    .select(self.lines(), column).iter_rows())

    def lines(self) -> pl.Expr:
        """The line each row of the frame starts on."""
        return (pl.col("line_no") - self.line_base).alias("line_no")


@dataclass
class CheckedDelivery:
    delivery_date: date
    folder: Path
    manifest_sha256: str
    files: dict[str, ParsedFile]
    violations: list[Violation]
    unexpected: list[str] = field(default_factory=list)  # files not of the contract: reported, not loaded
    size: int = 0  # bytes of its data files as read (check_deliveries' budget)

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

EXACT_CHUNK_ROWS = 50_000  # the exact path checks this many records at a time (bounded memory)


def check_file(spec: FileSpec, delivered: DeliveredFile | DecodedFile, delivery_date: date,
               violations: list[Violation]) -> ParsedFile:
    """Every file-level rule of the contract. The fast path (include.ingest.fast_check) checks a
    whole file column-wise and hands on a file that is certainly clean; any doubt, and the exact
    path below reads the file record by record and works out every violation and its reason."""
    if isinstance(delivered, DecodedFile):  # a caller that decoded the file itself
        text = delivered.text.encode("utf-8")
        delivered = DeliveredFile(delivered.path, text, delivered.sha256, delivered.encoding, text, verified=True)
    parsed = ParsedFile(spec, delivered.encoding, delivered.sha256)
    clean = fast_check.clean_frame(spec, delivered.utf8, delivery_date)
    if clean is not None:
        parsed.frame, parsed.amount_sum, parsed.line_base = clean.frame, clean.amount_sum, clean.line_base
        parsed.data_records = clean.frame.height
        return parsed
    return _check_file_exactly(spec, delivered.decoded(), delivery_date, violations, parsed)


def _check_file_exactly(spec: FileSpec, decoded: DecodedFile, delivery_date: date,
                        violations: list[Violation], parsed: ParsedFile) -> ParsedFile:
    """Record by record, a chunk of records at a time: every violation with its reason. The rows of
    a file without any are kept (as a frame) for the load; a rejected file's are not kept."""
    if "\x00" in decoded.text:  # PostgreSQL text cannot hold NUL
        line = decoded.text.count("\n", 0, decoded.text.index("\x00")) + 1
        violations.append(Violation(spec.name, line, None, None, "contains a NUL character"))
        parsed.well_formed = False
        return parsed
    it = records(decoded.text)
    malformed: list[Violation] = []  # in the order the checks always reported them
    found: list[Violation] = []
    duplicates: list[Violation] = []
    frames = []
    first_line: dict[str, int] = {}  # duplicate ids within the file
    amount_pos = spec.column_names.index("amount_krw") if spec.has_amount else None
    amount_sum: int | None = 0 if spec.has_amount else None
    rows: list[list[str]] = []
    lines: list[int] = []

    opening_pos = spec.column_names.index(spec.opening_column) if spec.opening_column else None

    def check_chunk() -> None:
        nonlocal amount_sum
        if opening_pos is not None:
            parsed.opening += [(line, row[opening_pos]) for row, line in zip(rows, lines)
                               if row[opening_pos] in spec.opening_codes]
        found.extend(check_columns(spec, rows, lines, delivery_date))
        duplicates.extend(_duplicate_ids(spec, rows, lines, first_line))
        if amount_sum is not None:
            amounts = [r[amount_pos] for r in rows]
            amount_sum = (amount_sum + sum(map(int, amounts))
                          if all(a.isascii() and a.isdigit() for a in amounts) else None)
        if not (malformed or found or duplicates):
            frames.append(fast_check.frame_of_rows(spec, rows, lines))
        rows.clear()
        lines.clear()

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
                malformed.append(Violation(spec.name, line, None, None,
                                           f"has {len(fields)} fields, header has {len(header)}"))
                amount_sum = None  # a malformed row: its amount is not summed
                continue
            rows.append([fields[p] for p in positions])
            lines.append(line)
            if len(rows) >= EXACT_CHUNK_ROWS:
                check_chunk()
        check_chunk()
    except csv.Error as exc:
        violations.append(Violation(spec.name, None, None, None, f"malformed CSV: {exc}"))
        parsed.well_formed = False
        return parsed
    violations.extend(malformed + found + duplicates)
    parsed.amount_sum = amount_sum
    if not (malformed or found or duplicates):
        parsed.frame = pl.concat(frames) if len(frames) > 1 else frames[0]
    return parsed


def within_file_duplicates(parsed: ParsedFile) -> list[Violation]:
    """The exact check of ids twice in one file, on a file the fast path let through."""
    if parsed.frame is None:
        return []
    key = parsed.spec.key.name
    frame = parsed.frame.select(key, parsed.lines())
    return _duplicate_ids(parsed.spec, [[v] for v in frame[key].to_list()], frame["line_no"].to_list(), {}, 0)


def _duplicate_ids(spec: FileSpec, rows: list[list[str]], lines: list[int],
                   first_line: dict[str, int], key_pos: int | None = None) -> list[Violation]:
    key_pos = spec.column_names.index(spec.key.name) if key_pos is None else key_pos
    found = []
    for row, line in zip(rows, lines):
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
        total = parsed.amount_sum
        if total is None:
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


class ReadBudget:
    """Bounds the bytes of delivered files read ahead and not yet loaded (memory stays bounded while
    the checks of later deliveries overlap the load of earlier ones). One delivery bigger than the
    budget is still admitted, alone."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_flight = 0
        self.stopped = False
        self._changed = threading.Condition()

    def try_acquire(self, size: int) -> bool:
        with self._changed:
            if self.in_flight and self.in_flight + size > self.limit:
                return False
            self.in_flight += size
            return True

    def acquire(self, size: int) -> bool:
        """Wait for room; False once the reader is told to stop."""
        with self._changed:
            while not self.stopped and self.in_flight and self.in_flight + size > self.limit:
                self._changed.wait()
            if self.stopped:
                return False
            self.in_flight += size
            return True

    def release(self, size: int) -> None:
        with self._changed:
            self.in_flight -= size
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self.stopped = True
            self._changed.notify_all()


@dataclass
class _Read:
    """A delivery whose files are read, its data files not checked yet."""
    checked: CheckedDelivery
    manifest: dict[str, ManifestLine]
    delivered: dict[str, DeliveredFile]
    undecodable: dict[str, str]


def delivery_size(folder: Path) -> int:
    """The bytes of a delivery's data files (what reading it ahead holds in memory)."""
    total = 0
    for spec in FILES:
        with contextlib.suppress(OSError):
            total += (folder / spec.name).lstat().st_size
    return total


def _read_delivery(folder: Path) -> _Read | CheckedDelivery:
    delivery_date = delivery_date_of(folder)
    assert delivery_date is not None, folder
    version = delivery_version(folder)
    if folder.is_symlink():
        reason = "the delivery folder is a symbolic link: not read (a delivery is a folder of regular files)"
        return CheckedDelivery(delivery_date, folder, version, {}, [Violation(folder.name, None, None, None, reason)])
    violations, unexpected = check_entries(folder)
    readable = {name for name in contract.DELIVERY_FILES if entry_kind(folder / name) == "regular file"}
    manifest = read_manifest(folder, violations) if MANIFEST_FILE in readable else {}
    read = _Read(CheckedDelivery(delivery_date, folder, version, {}, violations, unexpected), manifest, {}, {})
    for spec in FILES:
        if spec.name not in readable:
            continue  # reported by check_entries
        try:
            read.delivered[spec.name] = read_delivered(folder / spec.name)
        except UndecodableFile as exc:
            read.undecodable[spec.name] = str(exc)
    return read


def _finish(read: _Read, clean: dict[str, fast_check.CleanFile | None], unique_elsewhere: frozenset) -> CheckedDelivery:
    """The file checks of one read delivery, in the order the checks always reported them."""
    checked = read.checked
    trusted: list[tuple[int, int, str]] = []  # files whose ids the caller checks: where their duplicates go
    for spec in FILES:
        if spec.name in read.undecodable:
            checked.violations.append(Violation(spec.name, None, None, None, read.undecodable[spec.name]))
            continue
        delivered = read.delivered.get(spec.name)
        if delivered is None:
            continue
        fast = clean.get(spec.name)
        if fast is None and not delivered.verified:  # not UTF-8 as presumed: CP949, or neither
            try:
                decoded = delivered.decoded()
            except UndecodableFile as exc:
                checked.violations.append(Violation(spec.name, None, None, None, str(exc)))
                continue
            if decoded.encoding == "cp949":
                fast = fast_check.clean_frame(spec, delivered.utf8, checked.delivery_date,
                                              spec.name in unique_elsewhere)
        parsed = ParsedFile(spec, delivered.encoding, delivered.sha256)
        if fast is not None:
            parsed.frame, parsed.line_base = fast.frame, fast.line_base
            parsed.amount_sum, parsed.data_records = fast.amount_sum, fast.frame.height
            parsed.opening_count, parsed.verbatim = fast.opening_count, fast.verbatim
            if spec.name in unique_elsewhere:
                trusted.append((len(checked.violations), len(trusted), spec.name))
        else:
            _check_file_exactly(spec, delivered.decoded(), checked.delivery_date, checked.violations, parsed)
        checked.files[spec.name] = parsed
        if spec.name in read.manifest:
            check_against_manifest(spec, parsed, read.manifest[spec.name], checked.violations)
    if checked.violations and trusted:  # rejected anyway: its duplicate ids too, where they belong
        for at, _, name in sorted(trusted, reverse=True):
            checked.violations[at:at] = within_file_duplicates(checked.files[name])
    read.delivered.clear()  # the frames hold what is loaded
    return checked


def _check_batch(entries: list[tuple[_Read | CheckedDelivery, int]], unique_elsewhere: frozenset):
    """The data files of several deliveries checked together, a kind of file at a time."""
    batch = [item for item, _ in entries]
    reads = [r for r in batch if isinstance(r, _Read)]
    clean: dict[int, dict[str, fast_check.CleanFile | None]] = {id(r): {} for r in reads}
    for spec in FILES:
        holders = [r for r in reads if spec.name in r.delivered]
        results = fast_check.clean_frames(
            spec, [(r.checked.delivery_date, r.delivered[spec.name].utf8) for r in holders],
            spec.name in unique_elsewhere)
        for r, result in zip(holders, results):
            clean[id(r)][spec.name] = result
    for item, size in entries:
        checked = item if isinstance(item, CheckedDelivery) else _finish(item, clean[id(item)], unique_elsewhere)
        checked.size = size
        yield checked


BATCH_BYTES = 8 << 20  # deliveries checked together until their files reach this size
FIRST_BATCH_BYTES = 512 << 10  # … from this size on, doubling with each batch


def check_deliveries(folders: Iterable[Path], budget: ReadBudget | None = None,
                     batch_bytes: int = BATCH_BYTES,
                     unique_elsewhere: frozenset[str] = frozenset()) -> Iterator[CheckedDelivery]:
    """check_delivery of each folder, in order; consecutive small deliveries are checked together
    (the fast path's cost per call), a batch at most `batch_bytes` of files (or one delivery).
    With a budget, a delivery is read only when the budget has room (see ReadBudget); the caller
    releases each delivery's `delivery_size` once it is done with it. `unique_elsewhere`: names of
    the files whose ids the caller itself makes sure are unique within the file (the loader, with
    raw's unique index; `within_file_duplicates` then names each duplicate)."""
    batch: list[tuple[_Read | CheckedDelivery, int]] = []
    size_of_batch = 0
    limit = min(FIRST_BATCH_BYTES, batch_bytes)  # the first deliveries are handed on soon
    for folder in folders:
        size = delivery_size(folder) if not folder.is_symlink() else 0
        if batch and (size_of_batch + size > limit or (budget and not budget.try_acquire(size))):
            yield from _check_batch(batch, unique_elsewhere)
            batch, size_of_batch, limit = [], 0, min(2 * limit, batch_bytes)
            if budget and not budget.acquire(size):
                return
        elif not batch and budget and not budget.acquire(size):
            return
        batch.append((_read_delivery(folder), size))
        size_of_batch += size
    yield from _check_batch(batch, unique_elsewhere)


def check_delivery(folder: Path) -> CheckedDelivery:
    """Every contract check of one delivery that needs no warehouse: its files and its manifest."""
    return next(check_deliveries([folder]))
