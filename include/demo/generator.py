"""Deterministic demo landing area of 인천신용보증재단, following the extract contract.

`generate_landing` writes one delivery folder `YYYYMMDD` per calendar day from the cut-over
(`start`) to `end`, each with the five files of the contract (include.ingest.contract), manifest last.

How the figures come out exactly (scale 1, the default cut-over): every plan period (the years
2019 and 2020, then calendar months) has exact counts and amounts per event type. Each total
is split into single amounts that sum exactly, the amounts are scheduled on business days, and
on its day every event is matched to the guarantee whose balance fits it best, so EXTEND,
ACCIDENT, NORMALIZE and SUBROGATE never exceed the balance (should no balance cover an amount,
the event takes the largest and later events of its kind take the rest). Claim movements are
planned against the claims' balances and never exceed them. Terminations and loan principal
repayments steer the book each business day towards the period's closing count and balance,
which its last business day hits exactly. The fund, the cut-over state and the roster are
fixed tables. Scenario "breach" differs from "normal" only in 2021 (faster supply growth).
From another cut-over (or scale) the same mechanics run on a generic monthly plan.

History (`--years N`, for national-scale benchmarks): the cut-over moves N years earlier and
carries a smaller opening book and fund (1 / (1 + 0.06 N) of the default cut-over's); every day from
then on is a delivery. The history's months have 2019's volumes by month, scaled with the book, and
closing targets that steer the book to the default cut-over's count and balance on that day; the
fund gets yearly contributions and deficit appropriations that bring it to the default cut-over's
state exactly. From the window on the report's plan applies to that book, so supply, accidents,
subrogations, year-end balances and basic assets of 2019–2020 come out as the report's too (a
replay of --years 1 and 10 at scale 1 showed them exactly), but the guarantees, claims and
customers behind them differ (recoveries depend on the claims' balances and do not match). Only the
default, `--years 0`, is promised and tested to give the report's figures: it writes exactly the
bytes it wrote before the option existed.

The landing area gets the marker file `cgf-demo-landing.json` at its root (the generator's options, as
JSON): the loader skips it, and only there does it accept the demo customer-key secret when
CGF_CUSTOMER_KEY_SECRET is unset (include.ingest.customer_key).

Same seed, same arguments → byte-identical files: every random choice comes from
`random.Random` seeded with strings (seed, day or period), and all iteration is ordered.

    python -m include.demo.generator --landing-dir var/landing [--seed N] [--scale F] [--years N]
        [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--scenario normal|breach]

Progress goes to stderr every few seconds: deliveries and rows written, rows/s and an ETA.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from include.demo.books import Books
from include.demo.business_calendar import add_months, calendar_days, is_business_day
from include.demo.business_day import run_business_day
from include.demo.cutover import write_cutover
from include.demo.fund import fund_entries_by_day, history_fund_entries
from include.demo.periods import PeriodCalendar
from include.demo.plan import DEFAULT_END, DEFAULT_START, OPENING_STOCK, SCENARIOS
from include.demo.roster import build_roster, write_roster
from include.demo.writer import DeliveryWriter
from include.ingest.contract import DEMO_LANDING_MARKER, FILES

DEFAULT_SEED = 20201231
PROGRESS_SECONDS = 5.0
HISTORY_GROWTH = 0.06  # per year of history: the book at the earlier cut-over is 1 / (1 + 0.06 N) of today's
WIDE_CUSTOMERS_ABOVE = 4.0  # scale × (1 + years) above which customers need the wide 사업자등록번호 range
BACKGROUND_WRITER_ABOVE = 2.0  # scale × (1 + years) above which a child process writes the files


def history_opening_scale(scale: float, years: int) -> float:
    """The scale of the book and fund at a cut-over `years` before the window (scale itself at 0)."""
    return scale / (1 + HISTORY_GROWTH * years) if years else scale


class Progress:
    """Reports deliveries and rows written, rows/s and the ETA every PROGRESS_SECONDS (and at the end)."""

    def __init__(self, report: Callable[[str], None] | None, total_days: int) -> None:
        self._report, self._total = report, total_days
        self._began = self._last = time.perf_counter()

    def update(self, done: int, day: date, rows: int, final: bool = False) -> None:
        now = time.perf_counter()
        if self._report is None or not (final or now - self._last >= PROGRESS_SECONDS):
            return
        self._last = now
        elapsed = max(now - self._began, 1e-9)
        eta = elapsed / done * (self._total - done)
        self._report(f"{done}/{self._total} deliveries written (up to {day:%Y%m%d}), {rows:,} rows, "
                     f"{rows / elapsed:,.0f} rows/s, " + ("done" if final else f"ETA {eta // 60:.0f}:{eta % 60:02.0f}"))


def generate_landing(landing_dir: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0,
                     start: date = DEFAULT_START, end: date = DEFAULT_END, scenario: str = "normal",
                     years: int = 0, progress: Callable[[str], None] | None = None) -> dict:
    """Write the deliveries from the cut-over (`start`, or `years` years before it) to `end` into
    landing_dir; return a summary."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}")
    if scale <= 0 or years < 0 or end < add_months(start, -12 * years):
        raise ValueError("scale must be positive, years not negative and end not before the cut-over")
    landing_dir = Path(landing_dir)
    options = {"seed": seed, "scale": scale, "start": start.isoformat(), "end": end.isoformat(),
               "scenario": scenario}
    write_demo_marker(landing_dir, {**options, "years": years} if years else options)
    cutover = add_months(start, -12 * years)
    books, roster = Books(wide=scale * (1 + years) > WIDE_CUSTOMERS_ABOVE), build_roster()
    fund_entries = fund_entries_by_day(scale)
    if years:
        periods = PeriodCalendar(cutover, end, seed, scale, scenario, window_start=start,
                                 window_book=OPENING_STOCK.guarantees.scaled(scale))
        history_fund_entries(fund_entries, [add_months(cutover, 12 * year) for year in range(years)], scale,
                             history_opening_scale(scale, years))
    else:
        periods = PeriodCalendar(start, end, seed, scale, scenario)
    rows_per_file = {spec.name: 0 for spec in FILES}
    deliveries, rows_written = 0, 0
    meter = Progress(progress, (end - cutover).days + 1)
    writer = DeliveryWriter(landing_dir, in_background=scale * (1 + years) > BACKGROUND_WRITER_ABOVE)
    try:
        for day in calendar_days(cutover, end):
            books.start_day(day)
            rng = random.Random(f"{seed}:day:{day.isoformat()}")
            if day == cutover:
                write_cutover(books, day, history_opening_scale(scale, years), random.Random(f"{seed}:cutover"))
            elif is_business_day(day):
                run_business_day(books, periods.period_on(day, books.ledger), rng)
            if day > cutover:
                for entry in fund_entries.get(day, ()):
                    books.fund_entry(*entry)
            write_roster(books, roster)
            writer.write(day, books.rows)
            deliveries += 1
            for name, rows in books.rows.items():
                rows_per_file[name] += len(rows)
                rows_written += len(rows)
            meter.update(deliveries, day, rows_written)
    finally:
        writer.close()
    meter.update(deliveries, end, rows_written, final=True)
    return {"landing_dir": str(landing_dir), "first_delivery": f"{cutover:%Y%m%d}", "last_delivery": f"{end:%Y%m%d}",
            "deliveries": deliveries, "rows": rows_per_file, "seed": seed, "scale": scale, "scenario": scenario,
            "years": years}


def write_demo_marker(landing_dir: Path, options: dict) -> Path:
    """Mark the landing area as the generator's (with its options): the demo customer-key secret
    is accepted for it only; a real landing area never carries this file."""
    landing_dir.mkdir(parents=True, exist_ok=True)
    marker = landing_dir / DEMO_LANDING_MARKER
    marker.write_text(json.dumps({"generator": "include.demo.generator", **options}, indent=1) + "\n")
    return marker


DESCRIPTION = "Write the foundation's demo landing area (one delivery folder YYYYMMDD per day)."


def add_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command line's options (this module's and `cgf generate`'s)."""
    parser.add_argument("--landing-dir", type=Path, default=None,
                        help="where to write (default: CGF_LANDING_DIR, else <CGF_HOME>/landing)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed: the same seed and options write the same bytes (default {DEFAULT_SEED})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the volumes, e.g. 3 for benchmarks (the report's figures match at 1 only)")
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START,
                        help=f"the cut-over day, YYYY-MM-DD (default {DEFAULT_START})")
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END,
                        help=f"the last delivery day, YYYY-MM-DD (default {DEFAULT_END})")
    parser.add_argument("--scenario", choices=SCENARIOS, default="normal",
                        help="normal, or breach: faster supply growth in 2021, the multiple above 10× in March")
    parser.add_argument("--years", type=int, default=0,
                        help="years of history before --start: the cut-over moves that much earlier and every "
                             "day from then on is a delivery (default 0; the report's figures match at 0 only)")
    return parser


def run(args: argparse.Namespace, progress: Callable[[str], None] | None = None) -> dict:
    """Generate as the parsed options say; report progress and the result (default: progress lines on
    stderr, the result on stdout); return the summary."""
    result = progress or print_result
    progress = progress or print_progress
    if args.landing_dir is None:
        from include.warehouse import settings
        args.landing_dir = settings.landing_dir()
    began = time.perf_counter()
    summary = generate_landing(args.landing_dir, seed=args.seed, scale=args.scale, start=args.start,
                               end=args.end, scenario=args.scenario, years=args.years, progress=progress)
    summary["seconds"] = time.perf_counter() - began
    rows = ", ".join(f"{name} {count}" for name, count in summary["rows"].items())
    total = sum(summary["rows"].values())
    result(f"wrote {summary['deliveries']} deliveries {summary['first_delivery']}…"
             f"{summary['last_delivery']} to {summary['landing_dir']} in {summary['seconds']:.1f} s "
             f"({total / max(summary['seconds'], 1e-9):,.0f} rows/s); rows: {rows}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = add_options(argparse.ArgumentParser(prog="python -m include.demo.generator", description=DESCRIPTION))
    run(parser.parse_args(argv))
    return 0


def print_progress(message: str) -> None:
    print(f"[generator] {message}", file=sys.stderr, flush=True)


def print_result(message: str) -> None:
    print(f"[generator] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
