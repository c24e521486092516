"""The fast path of the contract checks: data files parsed and checked column-wise (polars).

`clean_frames` answers one question per file: is it certainly free of every violation the exact
checker (include.ingest.validation) could find in it on its own? If so, it hands on the file's
rows as a frame (contract columns as text, the physical line each record starts on), and its
records as delivered when COPY can read them so (`Verbatim`: the loader sends them unparsed); if
anything at all looks doubtful it hands on nothing, and the exact row-by-row checker reads the file again
and works out every violation with its line, column, value and reason. So the fast path never
decides a rejection nor its wording: a doubt costs time, never a different outcome. The rules
come from include.ingest.contract, as the exact checker's do; tests/test_loader.py checks both
paths agree on every bad-file case.

What the fast path takes for CSV is a subset of what Python's csv module reads alike: no NUL, a
plain header, every double quote part of a quoted field that starts a field and ends before a
comma or the end of a record, no carriage return but in a CRLF. Anything else goes to the exact
path, which reads RFC 4180 as the csv module does. Files of many deliveries are read and checked
as one frame: polars has a cost per call that hundreds of small files would feel.
"""
from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass
from datetime import date
from functools import cache

import polars as pl

from include.ingest import contract
from include.ingest.contract import Column, FileSpec

INT64_DIGITS = 18  # an integer of at most 18 digits always fits a bigint
DECIMAL_RE = rf"\A[0-9]{{1,5}}(\.[0-9]{{1,{contract.DECIMAL_PLACES}}})?\z"  # numeric(9,4): 5 digits before the point
DATE_RE = r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\z"
LINE = "line_no"


def _python_whitespace_class() -> str:
    """What str.strip() strips (str.isspace), as a regex class: ids may not start or end with it."""
    spaces = [c for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    return "[" + "".join(f"\\x{{{c:x}}}" for c in spaces) + "]"


SPACE = _python_whitespace_class()
EDGE_SPACE_RE = rf"\A{SPACE}|{SPACE}\z"
BARE_CR_RE = r"\r([^\n]|\z)"  # a CR that is not part of a CRLF: a line break for the csv module


@dataclass
class Verbatim:
    """A clean file's records as delivered (UTF-8), each on one line: COPY reads them as they are,
    in the file's column order, with no re-serialising."""
    header: tuple[str, ...]
    data: bytes  # the whole file (not copied); its records start at `start`
    start: int
    newline: bytes  # b"\n" or b"\r\n", the same after every record

    def record_chunks(self, window: int = 4 << 20):
        """The records, a window of about `window` bytes at a time, each a list of lines without
        their line breaks (bounded memory for a big file)."""
        data, newline, start, end = self.data, self.newline, self.start, len(self.data)
        while start < end:
            stop = data.find(newline, min(start + window, end))
            stop = end if stop == -1 else stop
            lines = data[start:stop].split(newline)
            if lines and not lines[-1]:
                lines.pop()  # the last record's line break
            yield lines
            start = stop + len(newline)


@dataclass
class CleanFile:
    # the contract columns in contract order (text; null or "" = empty) and line_no, the physical
    # line each record starts on less `line_base`
    frame: pl.DataFrame
    line_base: int
    amount_sum: int | None  # the sum of amount_krw (None: the file has no amount column)
    opening_count: int = 0  # rows of a kind for the cut-over only (spec.opening_codes)
    verbatim: Verbatim | None = None  # its records as delivered, when COPY can read them so


# --- reading ------------------------------------------------------------------------------

def _quoted_line_breaks(data: bytes, start: int) -> int | None:
    """The line breaks inside quoted fields, when every double quote belongs to a quoted field that
    starts a field (after a comma or a line break) and ends before a comma, a line break or the end
    of the file, with doubled quotes inside; None otherwise. On such input polars and Python's csv
    module read the same fields."""
    positions = []
    found = data.find(b'"', start)
    while found != -1:
        positions.append(found)
        found = data.find(b'"', found + 1)
    i, n, breaks = 0, len(positions), 0
    while i < n:
        opening = positions[i]
        if data[opening - 1] not in b",\n":
            return None  # a quote inside an unquoted field
        j = i + 1
        while j < n:
            if j + 1 < n and positions[j + 1] == positions[j] + 1:
                j += 2  # a doubled quote inside the field
                continue
            break
        if j >= n:
            return None  # never closed
        closing = positions[j]
        follower = data[closing + 1:closing + 3]
        if follower and follower[:1] not in b",\n" and follower != b"\r\n":
            return None  # text after the closing quote
        breaks += data.count(b"\n", opening, closing)
        i = j + 1
    return breaks


@dataclass
class PlainCsv:
    header: tuple[str, ...]
    data: bytes
    start: int  # where the records after the header begin
    records: int
    quoted: bool
    one_line: bool  # no record holds a line break (in a quoted field)
    newlines: int  # the LF bytes after the header

    def body(self) -> bytes:
        """The records, the last one ending in a line break (bodies are read one after the other)."""
        body = self.data[self.start:]
        return body if not body or body.endswith(b"\n") else body + b"\n"


def plain_csv(data: bytes) -> PlainCsv | None:
    """The header and records of a file the fast path reads as the csv module does (else None)."""
    if b"\x00" in data:
        return None
    end = data.find(b"\n")
    header_line, start = (data, len(data)) if end == -1 else (data[:end], end + 1)
    if header_line.endswith(b"\r"):
        header_line = header_line[:-1]
    if b'"' in header_line or b"\r" in header_line:
        return None
    try:
        header = tuple(header_line.decode("utf-8").split(","))
    except UnicodeDecodeError:
        return None
    quoted = data.find(b'"', start) != -1
    breaks = _quoted_line_breaks(data, start) if quoted else 0
    if breaks is None:
        return None
    newlines = data.count(b"\n", start)
    lines = newlines + (0 if data.endswith(b"\n") or start == len(data) else 1)
    return PlainCsv(header, data, start, lines - breaks, quoted, one_line=breaks == 0, newlines=newlines)


def verbatim(plain: PlainCsv) -> Verbatim | None:
    """The records of a file COPY can read as they are: one line each (no line break in a quoted
    field) and one kind of line break throughout; None otherwise."""
    if not plain.one_line:
        return None
    data, start = plain.data, plain.start
    carriage_returns = data.count(b"\r", start)
    if carriage_returns == 0:
        return Verbatim(plain.header, data, start, b"\n")
    if carriage_returns == plain.newlines == data.count(b"\r\n", start):
        return Verbatim(plain.header, data, start, b"\r\n")
    return None


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read(plain: list[PlainCsv]) -> pl.DataFrame | None:
    header = list(plain[0].header)
    schema = {n: pl.String for n in header}
    try:
        if len(plain) == 1:  # not copied: a big file is read where it lies
            return pl.read_csv(plain[0].data, has_header=False, skip_rows=1, new_columns=header, schema=schema,
                               quote_char='"', raise_if_empty=False, truncate_ragged_lines=False)
        return pl.read_csv(b"".join(p.body() for p in plain), has_header=False, new_columns=header, schema=schema,
                           quote_char='"', raise_if_empty=False, truncate_ragged_lines=False)
    except Exception:
        return None


# --- rules --------------------------------------------------------------------------------

def _empty(name: str) -> pl.Expr:
    return pl.col(name).is_null() | (pl.col(name) == "")


def _bounds_ok(col: Column, number: pl.Expr) -> pl.Expr:
    ok = pl.lit(True)
    if col.min is not None:
        ok = ok & ((number > col.min) if col.min_exclusive else (number >= col.min))
    if col.max is not None:
        ok = ok & (number <= col.max)
    return ok


def _check_digit_ok(name: str) -> pl.Expr:
    """사업자등록번호: 10 ASCII digits whose last is the check digit (contract.business_reg_no_is_valid)."""
    number = pl.col(name).cast(pl.Int64, strict=False)
    digits = [(number // 10 ** (9 - i)) % 10 for i in range(10)]
    weights = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(d * w for d, w in zip(digits, weights)) + (digits[8] * 5) // 10
    return pl.col(name).str.contains(r"\A[0-9]{10}\z") & (digits[9] == (10 - total % 10) % 10)


def free_text(col: Column) -> bool:
    """A column whose valid values may hold commas, quotes or line breaks (any other column's rule
    rejects them): only these are looked into for what quoted fields hold."""
    return col.type == contract.TEXT and col.codes is None and not col.check_digit and not col.equals_delivery_date


def _value_ok(col: Column) -> pl.Expr:
    """True where a non-empty value certainly keeps every rule of its column (null: in doubt).
    The delivery date's columns are checked apart (`_day_doubts`)."""
    value = pl.col(col.name)
    ok = pl.lit(True)
    if col.codes is not None:
        ok = ok & value.is_in(list(col.codes))
    if col.type == contract.DATE and not col.equals_delivery_date:  # Python's dates start in year 1
        ok = ok & value.str.contains(DATE_RE) & value.str.to_date("%Y-%m-%d", strict=False).is_not_null() \
            & ~value.str.starts_with("0000")
    elif col.type == contract.INTEGER:
        ok = ok & value.str.contains(rf"\A[0-9]{{1,{INT64_DIGITS}}}\z") \
            & _bounds_ok(col, value.cast(pl.Int64, strict=False))
    elif col.type == contract.DECIMAL:
        ok = ok & value.str.contains(DECIMAL_RE) & _bounds_ok(col, value.cast(pl.Float64, strict=False))
    if col.check_digit:
        ok = ok & _check_digit_ok(col.name)
    if col.identifier:
        ok = ok & ~value.str.contains(EDGE_SPACE_RE)
    if col.identifier or free_text(col):
        ok = ok & ~value.str.contains(BARE_CR_RE)
    return ok


def _day_column(spec: FileSpec) -> Column | None:
    return next((c for c in spec.columns if c.equals_delivery_date), None)


def doubt(spec: FileSpec, unique_elsewhere: bool = False) -> pl.Expr:
    """True for a row that may break a rule of the contract (the exact checker then decides)."""
    return _doubt(spec.name, unique_elsewhere)


@cache
def _doubt(name: str, unique_elsewhere: bool) -> pl.Expr:
    spec = contract.FILES_BY_NAME[name]
    kind = pl.col(spec.when_column) if spec.when_column else None
    day = _day_column(spec)
    found = []
    for col in spec.columns:
        empty = _empty(col.name)
        if col.required:
            found.append(empty)
        needed_for, empty_for = spec.required_when.get(col.name, ()), spec.empty_when.get(col.name, ())
        if needed_for:
            found.append(empty & kind.is_in(list(needed_for)))
        if empty_for:
            found.append(~empty & kind.is_in(list(empty_for)))
        found.append(~empty & ~_value_ok(col).fill_null(False))
        if col.unique and not unique_elsewhere:  # in a batch: an id twice in a file, or in two (a doubt)
            scope = [pl.col(day.name)] if spec.unique_scope == "file" and day else []
            found.append(pl.struct([*scope, pl.col(col.name)]).is_duplicated() if scope
                         else pl.col(col.name).is_duplicated())
    if spec is contract.GUARANTEES:  # validation._maturity_violations
        found.append((~_empty("maturity_date") & (pl.col("maturity_date") <= pl.col("event_date"))).fill_null(True))
    return pl.any_horizontal(found).fill_null(True)


def _sum(expressions: list[pl.Expr]) -> pl.Expr:
    return pl.sum_horizontal(expressions) if expressions else pl.lit(0)


# --- files --------------------------------------------------------------------------------

def clean_frames(spec: FileSpec, files: list[tuple[date, bytes]],
                 unique_elsewhere: bool = False) -> list[CleanFile | None]:
    """For each (delivery date, file as UTF-8) of one kind of file: its rows when it certainly keeps
    every file-level rule of the contract, else None.

    `unique_elsewhere`: the caller makes sure the spec's ids are unique within each file itself
    (the loader: raw's unique index refuses an id twice, and the exact checker then names each
    duplicate); the fast path does not look for them then."""
    names = spec.column_names
    results: list[CleanFile | None] = [None] * len(files)
    groups: dict[tuple[str, ...], list[tuple[int, date, PlainCsv]]] = {}
    for index, (day, data) in enumerate(files):
        plain = plain_csv(data) if _is_utf8(data) else None  # a CP949 file would spoil its batch's read
        if plain is None or len(plain.header) != len(names) or set(plain.header) != set(names):
            continue
        if plain.records == 0:
            results[index] = CleanFile(_empty_frame(spec), 0, 0 if spec.has_amount else None)
            continue
        groups.setdefault(plain.header, []).append((index, day, plain))
    for members in groups.values():
        for index, clean in _check_group(spec, members, unique_elsewhere).items():
            results[index] = clean
    return results


def _empty_frame(spec: FileSpec) -> pl.DataFrame:
    return _empty_frames(spec.name)


@cache
def _empty_frames(name: str) -> pl.DataFrame:
    spec = contract.FILES_BY_NAME[name]
    columns = {n: pl.Series(n, [], dtype=pl.String) for n in spec.column_names}
    return pl.DataFrame(columns).with_columns(pl.Series(LINE, [], dtype=pl.Int64))


def _check_group(spec: FileSpec, members: list[tuple[int, date, PlainCsv]],
                 unique_elsewhere: bool) -> dict[int, CleanFile]:
    """Files of one header order, read as one frame; the clean ones by their index."""
    names = list(spec.column_names)
    counts = [plain.records for _, _, plain in members]
    frame = _read([plain for _, _, plain in members])
    if frame is None or frame.width != len(names) or frame.height != sum(counts):
        if len(members) == 1:
            return {}
        half = len(members) // 2  # a file spoils the read of the others (CP949 …): read each half
        return {**_check_group(spec, members[:half], unique_elsewhere),
                **_check_group(spec, members[half:], unique_elsewhere)}
    frame = frame.select(names)
    ends = [sum(counts[:i + 1]) for i in range(len(counts))]  # small lists: a batch's files
    starts = [end - count for end, count in zip(ends, counts)]
    quoted = any(plain.quoted for _, _, plain in members)
    free = [c.name for c in spec.columns if free_text(c)] if quoted else []
    # a record a field short: polars fills the missing fields with nulls, the csv module does not;
    # its commas would not add up (only free text holds commas in a clean file)
    last_optional = not spec.column(members[0][2].header[-1]).required
    breaks = _sum([pl.col(n).str.count_matches("\n", literal=True).fill_null(0) for n in free]).cast(pl.Int64)
    frame = frame.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + breaks.cum_sum().shift(1, fill_value=0)).alias(LINE))
    at_ends = pl.Series(ends, dtype=pl.Int64) - 1
    sums = [doubt(spec, unique_elsewhere).cast(pl.Int64).cum_sum().gather(at_ends).alias("doubts")]
    if last_optional and free:
        sums.append(_sum([pl.col(n).str.count_matches(",", literal=True).fill_null(0) for n in free])
                    .cast(pl.Int64).cum_sum().gather(at_ends).alias("commas"))
    amounts = pl.col("amount_krw").cast(pl.Int64, strict=False).fill_null(0) if spec.has_amount else None
    if spec.has_amount:
        sums += [amounts.cum_sum().gather(at_ends).alias("amounts"), amounts.max().alias("largest")]
    if spec.opening_column:
        sums.append(pl.col(spec.opening_column).is_in(list(spec.opening_codes)).cast(pl.Int64).cum_sum()
                    .gather(at_ends).alias("opening"))
    totals = frame.select(sums)
    day_doubts = _day_doubts(spec, frame, members, starts)
    found: dict[int, CleanFile] = {}
    before = {name: 0 for name in totals.columns}
    bases = frame[LINE].gather(starts).to_list() if starts else []
    for position, (index, _, plain) in enumerate(members):
        row = totals.row(position, named=True)
        step = {name: row[name] - before[name] for name in ("doubts", "commas", "amounts", "opening") if name in row}
        before.update(row)
        if step["doubts"] or position in day_doubts:
            continue
        commas = step.get("commas", 0) + counts[position] * (len(names) - 1)
        if last_optional and plain.data.count(b",", plain.start) != commas:
            continue
        part = frame.slice(starts[position], counts[position])
        amount_sum = None
        if spec.has_amount:
            amount_sum = (step["amounts"] if (row["largest"] or 0) * frame.height < 2**63
                          else sum(int(a) for a in part["amount_krw"]))  # beyond a bigint sum
        found[index] = CleanFile(part, bases[position] - 2, amount_sum, step.get("opening", 0), verbatim(plain))
    return found


def _day_doubts(spec: FileSpec, frame: pl.DataFrame, members, starts: list[int]) -> set[int]:
    """Positions of the files whose delivery-date column may hold another value than their day:
    in a clean batch that column changes only where a file starts, to that file's day."""
    day = _day_column(spec)
    if day is None:
        return set()
    column = pl.col(day.name)
    changes = frame.select(pl.arg_where((column != column.shift(1)).fill_null(True)))[day.name].to_list()
    firsts = frame[day.name].gather(starts).to_list()
    doubtful = {position for position, ((_, delivered, _), first) in enumerate(zip(members, firsts))
                if first != delivered.isoformat()}
    start_set = set(starts)
    doubtful |= {bisect.bisect_right(starts, at) - 1 for at in changes if at not in start_set}
    return doubtful


def clean_frame(spec: FileSpec, data: bytes, delivery_date: date, unique_elsewhere: bool = False) -> CleanFile | None:
    """One file's rows when it certainly keeps every file-level rule of the contract; else None.

    `data` is the file as UTF-8 (a BOM removed, CP949 re-encoded)."""
    return clean_frames(spec, [(delivery_date, data)], unique_elsewhere)[0]


def frame_of_rows(spec: FileSpec, rows: list[list[str]], lines: list[int]) -> pl.DataFrame:
    """The exact path's checked rows as the fast path's frame."""
    columns = list(zip(*rows)) if rows else [()] * len(spec.columns)
    data = {n: pl.Series(n, list(values), dtype=pl.String) for n, values in zip(spec.column_names, columns)}
    return pl.DataFrame(data).with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
