"""Writing a delivery: CSV bytes (CRLF, RFC 4180 quoting), the day's file encodings (CP949 and
BOM days) and the folder's files, the manifest last."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import multiprocessing
from datetime import date
from pathlib import Path

from include.demo.errors import GenerationError
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


AMOUNT_COLUMN = {spec.name: spec.column_names.index("amount_krw") for spec in FILES if spec.has_amount}


def write_delivery(landing_dir: Path, day: date, rows: dict[str, list[tuple]]) -> None:
    """The four data files (rows: tuples of the file's columns, None for an empty field), then the
    manifest (rows, amount sum, SHA-256 of the bytes written)."""
    folder = landing_dir / day.strftime("%Y%m%d")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).unlink(missing_ok=True)  # rewriting a day: incomplete until the new manifest
    manifest = [list(MANIFEST_HEADER)]
    for spec in FILES:
        records = rows[spec.name]
        data = csv_bytes([spec.column_names, *records], file_encoding(day, spec.name))  # csv writes None as ""
        (folder / spec.name).write_bytes(data)
        column = AMOUNT_COLUMN.get(spec.name)
        amount_sum = sum(row[column] for row in records) if column is not None else 0
        manifest.append([spec.name, len(records), amount_sum, hashlib.sha256(data).hexdigest()])
    (folder / MANIFEST_FILE).write_bytes(csv_bytes(manifest, "utf-8"))


class DeliveryWriter:
    """Writes the deliveries in order: in this process, or (`in_background`) in a child process on
    the other core, so that generating the next day overlaps writing this one. Same bytes either way."""

    def __init__(self, landing_dir: Path, in_background: bool = False) -> None:
        self._landing_dir = landing_dir
        self._pipe = self._process = None
        if in_background:
            receiving, self._pipe = multiprocessing.get_context("fork").Pipe(duplex=False)
            self._process = multiprocessing.get_context("fork").Process(
                target=_write_received, args=(landing_dir, receiving), daemon=True)
            self._process.start()
            receiving.close()

    def write(self, day: date, rows: dict[str, list[tuple]]) -> None:
        if self._pipe is None:
            write_delivery(self._landing_dir, day, rows)
            return
        try:
            self._pipe.send((day, rows))
        except (BrokenPipeError, OSError) as error:
            raise GenerationError(f"the delivery writer stopped (exit code {self._process.exitcode})") from error

    def close(self) -> None:
        """Waits until every delivery is written (raises when the writer failed)."""
        if self._pipe is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError):  # it stopped already: its exit code says how
            self._pipe.send(None)
        self._pipe.close()
        self._process.join()
        if self._process.exitcode:
            raise GenerationError(f"the delivery writer failed (exit code {self._process.exitcode})")


def _write_received(landing_dir: Path, receiving) -> None:
    while (item := receiving.recv()) is not None:
        write_delivery(landing_dir, *item)
