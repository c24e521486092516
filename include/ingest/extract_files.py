"""Reading delivered CSV files: encoding detection and RFC 4180 parsing with line numbers."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

UTF8_BOM = b"\xef\xbb\xbf"


class UndecodableFile(ValueError):
    """The file is neither UTF-8 (with or without BOM) nor CP949."""


@dataclass
class DecodedFile:
    path: Path
    raw: bytes
    text: str
    encoding: str  # utf-8, utf-8-sig or cp949

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode(path: Path) -> DecodedFile:
    raw = path.read_bytes()
    if raw.startswith(UTF8_BOM):
        try:
            return DecodedFile(path, raw, raw[len(UTF8_BOM):].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UndecodableFile(f"starts with a UTF-8 BOM but is not UTF-8: {exc}") from exc
    try:
        return DecodedFile(path, raw, raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedFile(path, raw, raw.decode("cp949"), "cp949")
    except UnicodeDecodeError as exc:
        raise UndecodableFile(f"neither UTF-8 nor CP949: {exc}") from exc


def records(text: str):
    """Yield (line_no, fields) per CSV record; line_no is the physical line the record starts on.

    The header is record 1 on line 1. Quoted fields may span lines, so later records can start
    further down than their ordinal.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next_line = 1
    for fields in reader:
        start = next_line
        next_line = reader.line_num + 1
        if fields == [] :
            continue  # blank line (e.g. trailing newline pairs)
        yield start, fields
