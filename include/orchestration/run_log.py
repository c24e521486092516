"""The console of `cgf run`: the project's own `[cgf]` lines; everything else into the run's log file.

Airflow (structlog), Cosmos, dbt and Great Expectations write to sys.stdout / sys.stderr, through
logging handlers made on Airflow's import, and through `warnings`. While a run is captured, all of
it goes to <CGF_HOME>/logs/run-<Seoul time>.log: sys.stdout and sys.stderr point at the log (so do
the handlers made meanwhile, Airflow's structlog writer among them), every console handler made
before is pointed there for the time of the run, and library warnings go there too. The `[cgf]`
lines go to the console and into the log. Verbose (`cgf run -v`, CGF_VERBOSE=1): the console shows
the whole log too. Outside a run (the other commands) library warnings go to <CGF_HOME>/logs/warnings.log.
"""
from __future__ import annotations

import io
import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from include.warehouse import settings

SEOUL = ZoneInfo("Asia/Seoul")


def seoul_now() -> datetime:
    return datetime.now(SEOUL)


class _Sink(io.TextIOBase):
    """The log file (and the console, verbose); once the run is over, what still comes goes to the console."""

    def __init__(self, file: TextIO, console: TextIO, verbose: bool):
        super().__init__()
        self._file, self._console, self._verbose = file, console, verbose

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # a child process given sys.stdout writes into the log
        return self._file.fileno()

    def write(self, text: str) -> int:
        if self._file.closed:
            return self._console.write(text)
        self._file.write(text)
        if self._verbose:
            self._console.write(text)
        return len(text)

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()
        self._console.flush()


class RunLog:
    """Where the run's `[cgf]` lines go (`say`) and where its full log is (`path`)."""

    def __init__(self, path: Path, console: TextIO, file: TextIO):
        self.path, self._console, self._file = path, console, file

    def say(self, message: str) -> None:
        line = f"[cgf] {message}\n"
        self._console.write(line)
        self._console.flush()
        self._file.write(f"{seoul_now():%H:%M:%S} {line}")  # straight to the file: no echo when verbose


def warnings_to_file() -> None:
    """Python warnings (a library's deprecations, its environment) into logs/warnings.log, not on the console."""
    folder = settings.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / "warnings.log", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("py.warnings")
    if not any(isinstance(h, logging.FileHandler) for h in logger.handlers):
        logger.addHandler(handler)
    logger.propagate = False
    logging.captureWarnings(True)


@contextmanager
def _warnings_to(sink: _Sink) -> Iterator[None]:
    before = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        sink.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = before


def new_log_path() -> Path:
    folder = settings.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"run-{seoul_now():%Y%m%d-%H%M%S}.log"


def _console_handlers() -> list[logging.StreamHandler]:
    """The logging handlers that write to the console (not to files, nor to a test's capture)."""
    consoles = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)}
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    return [h for lg in loggers for h in lg.handlers
            if isinstance(h, logging.StreamHandler) and id(getattr(h, "stream", None)) in consoles]


@contextmanager
def _handlers_to(sink: _Sink) -> Iterator[None]:
    """Points the console handlers made before the run at the log, and back afterwards."""
    before = {h: h.stream for h in _console_handlers()}
    for handler in before:
        handler.setStream(sink)
    try:
        yield
    finally:
        for handler, stream in before.items():
            handler.setStream(stream)


@contextmanager
def captured(verbose: bool | None = None) -> Iterator[RunLog]:
    """For the time of a run: library output into a new log file, `[cgf]` lines on the console."""
    verbose = settings.verbose() if verbose is None else verbose
    path, console = new_log_path(), sys.stdout
    with path.open("a", encoding="utf-8", buffering=1) as file:
        sink = _Sink(file, console, verbose)
        file.write(f"cgf run, {seoul_now():%Y-%m-%d %H:%M:%S} (Asia/Seoul); Airflow's own lines are in UTC (Z)\n")
        with redirect_stdout(sink), redirect_stderr(sink), _handlers_to(sink), _warnings_to(sink):
            yield RunLog(path, console, file)
        sink.flush()
