"""Command line of the project: `python -m include.cli COMMAND`.

  run        the main job: warehouse up, demo landing area if empty, the nightly DAG end to end
  generate   write the demo landing area (see include.demo.generator)
  load       load pending deliveries without Airflow (for operators and benchmarks)
  warehouse  start | stop | url of the embedded PostgreSQL
  docs       generate (and serve) the dbt docs of the marts
  summary    what the warehouse holds
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from include.warehouse import db, embedded, settings

log = logging.getLogger("cgf")


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _landing_is_empty() -> bool:
    from include.ingest.loader import complete_deliveries

    return not complete_deliveries(settings.landing_dir())


def _generate_demo() -> None:
    from include.demo import generator

    landing = settings.landing_dir()
    print(f"[cgf] landing area {landing} is empty: generating the foundation's demo deliveries …", flush=True)
    generator.main(["--landing-dir", str(landing)])


def _print_summary(url: str) -> int:
    """Print what the warehouse holds; return the exit code (1 when a delivery is rejected)."""
    from include.ingest.loader import waiting_deliveries
    from include.ingest.rejections import blocking_rejection

    with db.connect(url) as conn:
        loaded, rows = conn.execute(
            "select count(*), coalesce(sum(total_rows), 0) from ops.deliveries where status = 'LOADED'").fetchone()
        rejected = blocking_rejection(conn)
        waiting = waiting_deliveries(conn, settings.landing_dir())
        multiple = None
        if db.relation_exists(conn, "marts.fct_operating_multiple_daily"):
            multiple = conn.execute(
                "select as_of_date, operating_multiple, status from marts.fct_operating_multiple_daily "
                "order by as_of_date desc limit 1").fetchone()
    print("[cgf] ---- summary ----")
    print(f"[cgf] deliveries loaded: {loaded}, rows in raw: {rows}")
    if multiple:
        print(f"[cgf] latest 보증운용배수 (operating multiple) {multiple[0]}: {float(multiple[1]):.4f} ({multiple[2]})")
    if rejected:
        day = rejected.delivery_date
        print(f"[cgf] REJECTED delivery {day:%Y%m%d}: {rejected.violation_count} violation(s): {rejected.message}")
        print(f"[cgf]   full list: select * from ops.rejections where delivery_date = '{day}'")
    if waiting:
        print(f"[cgf] {len(waiting)} complete deliveries wait ({waiting[0]:%Y%m%d} … {waiting[-1]:%Y%m%d}): "
              "behind the rejected one, or behind a day whose delivery is not complete (no manifest.csv)")
    from include.alerts import outbox

    for line in outbox.outbox_summary():
        print(f"[cgf] {line}")
    return 1 if rejected else 0


def cmd_run(args) -> int:
    url = db.warehouse_url()
    os.environ["CGF_WAREHOUSE_URL"] = url  # every task of the run uses the same warehouse
    os.environ.setdefault("CGF_RETRY_DELAY_SECONDS", "20")  # one-shot run: retry soon
    print(f"[cgf] warehouse: {url}", flush=True)
    if _landing_is_empty():
        _generate_demo()
    from include.orchestration.dag_runner import (
        night_after_latest_delivery,
        run_nightly,
    )

    run_day = night_after_latest_delivery()
    print(f"[cgf] running DAG cgf_nightly for the night of {run_day} …", flush=True)
    result = run_nightly(run_day)
    print(f"[cgf] DAG run finished: {result.state}"
          + (f"; failed tasks: {', '.join(result.failed_tasks)}" if result.failed_tasks else ""))
    code = _print_summary(url)
    if not settings.configured_warehouse_url():
        print("[cgf] the embedded warehouse keeps running for queries (psql: "
              f"{url}); stop it with `make stop`")
    return code or (0 if result.succeeded else 1)


def cmd_generate(args) -> int:
    from include.demo import generator

    return generator.main(args.rest) or 0


def cmd_load(args) -> int:
    from include.ingest.loader import load_landing
    from include.ingest.steps import print_progress

    landing = args.landing_dir or settings.landing_dir()
    with db.connect() as conn:
        report = load_landing(conn, landing, progress=print_progress)
    print(f"[cgf] loaded {len(report.loaded)} deliveries, {report.rows} rows; {report.already_loaded} already loaded")
    if report.rejected:
        print(f"[cgf] {report.rejected}", file=sys.stderr)
        return 1
    return 0


def cmd_warehouse(args) -> int:
    if args.action == "start":
        print(embedded.start())
    elif args.action == "stop":
        embedded.stop()
    else:
        print(db.warehouse_url())
    return 0


def cmd_docs(args) -> int:
    """Generate dbt docs (and serve them unless --no-serve)."""
    import subprocess

    from include.transform.cosmos_dbt import dbt_env

    os.environ.update(dbt_env(db.warehouse_url()))
    dbt = [str(Path(sys.executable).parent / "dbt")]
    flags = ["--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR)]
    subprocess.run(dbt + ["docs", "generate"] + flags, check=True)
    print(f"[cgf] dbt docs written to {settings.DBT_PROJECT_DIR / 'target' / 'index.html'}")
    if args.serve:
        subprocess.run(dbt + ["docs", "serve", "--port", str(args.port), "--host", "127.0.0.1"] + flags, check=True)
    return 0


def cmd_summary(args) -> int:
    return _print_summary(db.warehouse_url())


def main(argv: list[str] | None = None) -> int:
    _setup_logging()
    parser = argparse.ArgumentParser(prog="cgf", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the nightly DAG end to end")
    run.set_defaults(func=cmd_run)
    gen = sub.add_parser("generate", help="write the demo landing area", add_help=False)
    gen.add_argument("rest", nargs=argparse.REMAINDER)
    gen.set_defaults(func=cmd_generate)
    load = sub.add_parser("load", help="load pending deliveries (no Airflow)")
    load.add_argument("--landing-dir", type=Path)
    load.set_defaults(func=cmd_load)
    wh = sub.add_parser("warehouse", help="embedded PostgreSQL")
    wh.add_argument("action", choices=["start", "stop", "url"])
    wh.set_defaults(func=cmd_warehouse)
    docs = sub.add_parser("docs", help="generate (and serve) the dbt docs of the marts")
    docs.add_argument("--no-serve", dest="serve", action="store_false")
    docs.add_argument("--port", type=int, default=8080)
    docs.set_defaults(func=cmd_docs)
    summ = sub.add_parser("summary", help="what the warehouse holds")
    summ.set_defaults(func=cmd_summary)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
