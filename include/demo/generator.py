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

The landing area gets the marker file `cgf-demo-landing.json` at its root (the generator's options, as
JSON): the loader skips it, and only there does it accept the demo customer-key secret when
CGF_CUSTOMER_KEY_SECRET is unset (include.ingest.customer_key).

Same seed, same arguments → byte-identical files: every random choice comes from
`random.Random` seeded with strings (seed, day or period), and all iteration is ordered.

    python -m include.demo.generator --landing-dir var/landing [--seed N] [--scale F]
        [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--scenario normal|breach]
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
from include.demo.business_calendar import calendar_days, is_business_day
from include.demo.business_day import run_business_day
from include.demo.cutover import write_cutover
from include.demo.fund import fund_entries_by_day
from include.demo.periods import PeriodCalendar
from include.demo.plan import DEFAULT_END, DEFAULT_START, SCENARIOS
from include.demo.roster import build_roster, write_roster
from include.demo.writer import write_delivery
from include.ingest.contract import DEMO_LANDING_MARKER, FILES

DEFAULT_SEED = 20201231
PROGRESS_EVERY = 50


def generate_landing(landing_dir: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0,
                     start: date = DEFAULT_START, end: date = DEFAULT_END, scenario: str = "normal",
                     progress: Callable[[str], None] | None = None) -> dict:
    """Write the deliveries start (the cut-over) … end into landing_dir; return a summary."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}")
    if scale <= 0 or end < start:
        raise ValueError("scale must be positive and end not before start")
    landing_dir = Path(landing_dir)
    write_demo_marker(landing_dir, {"seed": seed, "scale": scale, "start": start.isoformat(),
                                    "end": end.isoformat(), "scenario": scenario})
    books, roster = Books(), build_roster()
    periods = PeriodCalendar(start, end, seed, scale, scenario)
    fund_entries = fund_entries_by_day(scale)
    rows_per_file = {spec.name: 0 for spec in FILES}
    deliveries = 0
    for day in calendar_days(start, end):
        books.start_day(day)
        rng = random.Random(f"{seed}:day:{day.isoformat()}")
        if day == start:
            write_cutover(books, day, scale, random.Random(f"{seed}:cutover"))
        elif is_business_day(day):
            run_business_day(books, periods.period_on(day, books.ledger), rng)
        if day > start:
            for entry in fund_entries.get(day, ()):
                books.fund_entry(*entry)
        write_roster(books, roster)
        write_delivery(landing_dir, day, books.rows)
        deliveries += 1
        for name, rows in books.rows.items():
            rows_per_file[name] += len(rows)
        if progress and (deliveries % PROGRESS_EVERY == 0 or day == end):
            progress(f"{deliveries} deliveries written (up to {day:%Y%m%d}), {sum(rows_per_file.values())} rows")
    return {"landing_dir": str(landing_dir), "first_delivery": f"{start:%Y%m%d}", "last_delivery": f"{end:%Y%m%d}",
            "deliveries": deliveries, "rows": rows_per_file, "seed": seed, "scale": scale, "scenario": scenario}


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
    return parser


def run(args: argparse.Namespace, progress: Callable[[str], None] | None = None) -> dict:
    """Generate as the parsed options say; report progress and the result (default: print); return the summary."""
    progress = progress or print_progress
    if args.landing_dir is None:
        from include.warehouse import settings
        args.landing_dir = settings.landing_dir()
    began = time.perf_counter()
    summary = generate_landing(args.landing_dir, seed=args.seed, scale=args.scale, start=args.start,
                               end=args.end, scenario=args.scenario, progress=progress)
    summary["seconds"] = time.perf_counter() - began
    rows = ", ".join(f"{name} {count}" for name, count in summary["rows"].items())
    progress(f"wrote {summary['deliveries']} deliveries {summary['first_delivery']}…"
             f"{summary['last_delivery']} to {summary['landing_dir']} in {summary['seconds']:.1f} s; rows: {rows}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = add_options(argparse.ArgumentParser(prog="python -m include.demo.generator", description=DESCRIPTION))
    run(parser.parse_args(argv))
    return 0


def print_progress(message: str) -> None:
    print(f"[generator] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
