"""Reading delivered CSV files: encoding detection and RFC 4180 parsing with line numbers.

Only regular files are read, and a symbolic link is never followed: a delivery is what lies in
its folder, not what a link points to (the extract contract's landing-area rules).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

UTF8_BOM = b"\xef\xbb\xbf"


class UndecodableFile(ValueError):
    """The file is neither UTF-8 (with or without BOM) nor CP949, or not a regular file."""


def entry_kind(path: Path) -> str | None:
    """What a landing-area entry is, without following a link: None (absent), 'regular file',
    'symbolic link', 'folder' or another kind of file (fifo, socket, device)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return "regular file"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file"


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file. O_NOFOLLOW and the fstat check hold even when the entry was
    swapped for a link or a fifo after it was looked at (O_NONBLOCK: opening a fifo never hangs)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise UndecodableFile(f"not read: {entry_kind(path) or 'missing'}, not a regular file") from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UndecodableFile(f"not read: {entry_kind(path)}, not a regular file")
        return handle.read()


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
    return hashlib.sha256(read_regular(path)).hexdigest()


def entry_digest(path: Path) -> str:
    """Names the version of an entry: a regular file's SHA-256; for anything else (never read)
    the digest of what it is, and of a link's target text, so a changed link is a new version."""
    kind = entry_kind(path)
    if kind == "regular file":
        try:
            return file_sha256(path)
        except UndecodableFile:
            kind = entry_kind(path)
    target = os.readlink(path) if kind == "symbolic link" else ""
    return hashlib.sha256(f"{kind}:{target}".encode("utf-8", "surrogateescape")).hexdigest()


def decode(path: Path) -> DecodedFile:
    return decode_bytes(path, read_regular(path))


def decode_bytes(path: Path, raw: bytes) -> DecodedFile:
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


@dataclass
class DeliveredFile:
    """A data file as the checks read it: its SHA-256, and its bytes as UTF-8 for the fast path,
    without the decoded text (a big file's text is twice its bytes). `verified` False: the bytes
    are handed on as they are, UTF-8 presumed (the fast path's parser refuses what is not UTF-8);
    `decoded()` decides the encoding as `decode` does, for the exact checker."""
    path: Path
    raw: bytes
    sha256: str
    encoding: str  # utf-8, utf-8-sig or cp949 (presumed while not verified)
    utf8: bytes
    verified: bool = False

    def decoded(self) -> DecodedFile:
        """The file's text (UTF-8, UTF-8 with BOM or CP949), or UndecodableFile."""
        decoded = decode_bytes(self.path, self.raw)
        if not self.verified:
            self.encoding, self.verified = decoded.encoding, True
            self.utf8 = self.raw[len(UTF8_BOM):] if decoded.encoding == "utf-8-sig" else (
                self.raw if decoded.encoding == "utf-8" else decoded.text.encode("utf-8"))
        return decoded


def read_delivered(path: Path) -> DeliveredFile:
    """Read a data file (a regular file, else UndecodableFile) and its SHA-256."""
    raw = read_regular(path)
    sha = hashlib.sha256(raw).hexdigest()
    if raw.startswith(UTF8_BOM):
        return DeliveredFile(path, raw, sha, "utf-8-sig", raw[len(UTF8_BOM):])
    return DeliveredFile(path, raw, sha, "utf-8", raw)


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
