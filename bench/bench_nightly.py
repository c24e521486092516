"""Benchmark: the full backfill of a national-scale landing area through the real nightly DAG, then
one more night, phase by phase.

    python bench/bench_nightly.py [--scale 20] [--years 10] [--port 55497] [--modes watcher,local]

1. Generates the demo landing area at `--scale` with `--years` of history before the 2019–2020
   window (include.demo.generator; bench/out/nightly_landing_s<scale>_y<years>/), or reuses it when
   it is complete. Its last delivery is held back (moved beside the landing area).
2. Starts from an empty embedded warehouse of its own (CGF_HOME bench/out/nightly_home_s…_y…,
   CGF_PG_PORT `--port`) and runs the whole backfill the way `make run` does
   (`python -m include.cli run`: the real DAG cgf_nightly, `dag.test()`).
3. Puts the held-back delivery into the landing area and runs again: one more night.

For both runs it prints the seconds of each phase, from the run's own records (the task instances
Airflow keeps for the DAG run, `<CGF_HOME>/airflow/airflow.db`): load (load_deliveries), dbt (the
dbt_build tasks and source freshness), quality (quality_checks), alerts (the two alert tasks and
send_alerts), fixed (the run's wall time minus those: start-up, Airflow, the other tasks, the
summary); then the raw rows, the database size (pg_database_size) and the peak memory (the largest
resident set of the run's processes, os.wait4; the PostgreSQL server is not one of them). The last
line is `nightly/full ratio: X over N raw rows` (the night's wall time over the backfill's).

`--modes watcher,local` then also times one more night under each Cosmos execution mode against a
plain `dbt build` (the earlier benchmark of this file), `--runs` times each.
No thresholds: the figures are for people to compare (docs/performance.md records them).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import psycopg

from include.ingest.contract import DEMO_LANDING_MARKER, FILES, MANIFEST_FILE
from include.warehouse import settings

OUT = settings.PROJECT_ROOT / "bench" / "out"
PHASES = ("load", "dbt", "quality", "alerts")
PHASE_OF_TASK = {"load_deliveries": "load", "dbt_build": "dbt", "source_freshness": "dbt",
                 "quality_checks": "quality", "operating_multiple_alerts": "alerts", "audit_alerts": "alerts",
                 "send_alerts": "alerts"}
FLOOR = "dbt build (floor)"


@dataclass
class RunFigures:
    seconds: float
    exit_code: int
    peak_rss_kb: int
    phases: dict[str, float] = field(default_factory=dict)
    raw_rows: int = 0
    db_bytes: int = 0

    @property
    def fixed(self) -> float:
        return self.seconds - sum(self.phases.get(phase, 0.0) for phase in PHASES)


def bench_env(home: Path, landing: Path, port: str, mode: str | None = None) -> dict[str, str]:
    env = {**os.environ, "CGF_HOME": str(home), "CGF_LANDING_DIR": str(landing), "CGF_PG_PORT": port}
    env.pop("CGF_WAREHOUSE_URL", None)
    env.pop("AIRFLOW_HOME", None)  # Airflow's home under this CGF_HOME
    if mode:
        env["CGF_COSMOS_EXECUTION_MODE"] = mode
    return env


def timed_process(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, int, int]:
    """Runs cmd (output appended to log); returns (seconds, exit code, peak RSS in KB of it and its children)."""
    started = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, proc.returncode, usage.ru_maxrss


def landing_is_complete(landing: Path, held: Path) -> bool:
    """A generated landing area whose last delivery is complete (here or held back)."""
    return (landing / DEMO_LANDING_MARKER).is_file() and (held / MANIFEST_FILE).is_file()


def prepare_landing(args, landing: Path, held_dir: Path) -> Path:
    """Generate (or reuse) the landing area; hold its last delivery back; return the held folder."""
    last = args.end.strftime("%Y%m%d")
    held = held_dir / last
    if (landing / last / MANIFEST_FILE).is_file():
        held_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(held, ignore_errors=True)
        (landing / last).rename(held)
    if landing_is_complete(landing, held):
        print(f"[bench] reusing the landing area {landing}", flush=True)
        return held
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(held_dir, ignore_errors=True)
    print(f"[bench] generating the landing area (--scale {args.scale:g} --years {args.years}) in {landing} …",
          flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "include.cli", "generate", "--landing-dir", str(landing),
                    "--scale", f"{args.scale:g}", "--years", str(args.years), "--end", args.end.isoformat()],
                   check=True)
    print(f"[bench] generated in {time.perf_counter() - started:.0f} s", flush=True)
    held_dir.mkdir(parents=True, exist_ok=True)
    (landing / last).rename(held)
    return held


def warehouse_url(env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-m", "include.cli", "warehouse", "url", "--with-password"],
                          env=env, check=True, capture_output=True, text=True).stdout.strip()


def phase_seconds(home: Path) -> dict[str, float]:
    """Seconds per phase of the latest cgf_nightly run, from Airflow's task instances of that run."""
    with sqlite3.connect(home / "airflow" / "airflow.db") as conn:
        run_id = conn.execute("select run_id from dag_run where dag_id = 'cgf_nightly' "
                              "order by id desc limit 1").fetchone()[0]
        rows = conn.execute("select task_id, start_date, end_date from task_instance where dag_id = 'cgf_nightly' "
                            "and run_id = ? and start_date is not null and end_date is not null",
                            (run_id,)).fetchall()
    phases = dict.fromkeys(PHASES, 0.0)
    for task_id, started, ended in rows:
        phase = PHASE_OF_TASK.get(task_id.split(".", 1)[0])
        if phase:
            phases[phase] += (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds()
    return phases


def warehouse_figures(url: str) -> tuple[int, int]:
    """(raw rows, database bytes)."""
    with psycopg.connect(url) as conn:
        rows = sum(conn.execute(f"select count(*) from raw.{spec.table}").fetchone()[0] for spec in FILES)
        size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    return rows, size


def nightly_run(label: str, env: dict[str, str], home: Path, log: Path) -> RunFigures:
    print(f"[bench] {label}: python -m include.cli run …", flush=True)
    seconds, code, rss = timed_process([sys.executable, "-m", "include.cli", "run"], env, log)
    figures = RunFigures(seconds, code, rss, phase_seconds(home))
    figures.raw_rows, figures.db_bytes = warehouse_figures(warehouse_url(env))
    print(f"[bench] {label}: {seconds:.1f} s, exit code {code}", flush=True)
    return figures


def print_table(full: RunFigures, night: RunFigures) -> None:
    print("\n| phase | backfill s | one more night s |\n|---|---:|---:|")
    for phase in PHASES:
        print(f"| {phase} | {full.phases[phase]:.1f} | {night.phases[phase]:.1f} |")
    print(f"| fixed | {full.fixed:.1f} | {night.fixed:.1f} |")
    print(f"| total (wall) | {full.seconds:.1f} | {night.seconds:.1f} |")
    print(f"| raw rows after | {full.raw_rows:,} | {night.raw_rows:,} |")
    print(f"| database size | {full.db_bytes / 2**30:.2f} GiB | {night.db_bytes / 2**30:.2f} GiB |")
    print(f"| peak memory (RSS) | {full.peak_rss_kb / 2**20:.2f} GiB | {night.peak_rss_kb / 2**20:.2f} GiB |")
    print(f"| exit code | {full.exit_code} | {night.exit_code} |\n")


# --- the Cosmos execution modes against a plain dbt build (--modes) ---------------------------------

def restate_last_night(url: str) -> None:
    """The last delivery loaded but not built: what a plain `dbt build` of a new night sees."""
    with psycopg.connect(url) as conn:
        conn.execute("update ops.deliveries set dbt_built_at = null where delivery_date = "
                     "(select max(delivery_date) from ops.deliveries where status = 'LOADED')")


def unload_last_night(url: str) -> None:
    """The last delivery back in the landing area only: the DAG's next run loads and builds it."""
    with psycopg.connect(url) as conn:
        load_id = conn.execute("select max(load_id) from ops.deliveries where status = 'LOADED'").fetchone()[0]
        for spec in FILES:
            conn.execute(f"delete from raw.{spec.table} where load_id = %s", (load_id,))
        conn.execute("delete from ops.rejections where load_id = %s", (load_id,))
        conn.execute("delete from ops.deliveries where load_id = %s", (load_id,))


def compare_modes(args, home: Path, landing: Path, log: Path) -> None:
    from include.transform.cosmos_dbt import NIGHTLY_DBT_VARS, NIGHTLY_FLAGS, dbt_env

    env = bench_env(home, landing, args.port)
    url = warehouse_url(env)
    # the floor builds what the DAG's dbt builds: the night's test window, no unit tests
    dbt = [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(settings.DBT_PROJECT_DIR),
           "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(OUT / "dbt_target"),
           "--vars", json.dumps(NIGHTLY_DBT_VARS), *NIGHTLY_FLAGS]
    variants = {FLOOR: (dbt, {**env, **dbt_env(url)})}
    for mode in args.modes.split(","):
        variants[f"nightly DAG, {mode}"] = ([sys.executable, "-m", "include.cli", "run"],
                                            bench_env(home, landing, args.port, mode))
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for round_no in range(1, args.runs + 1):
        for name, (cmd, variant_env) in variants.items():
            (restate_last_night if name == FLOOR else unload_last_night)(url)
            seconds[name].append(timed_process(cmd, variant_env, log)[0])
            print(f"[bench] run {round_no}: {name}: {seconds[name][-1]:.1f} s", flush=True)
    floor = statistics.median(seconds[FLOOR])
    print("\n| variant | median s | × dbt build |\n|---|---|---|")
    for name, values in seconds.items():
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.median(values) / floor:.2f} |")
    print()


def main(argv: list[str] | None = None) -> int:
    from include.demo.plan import DEFAULT_END

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=20.0, help="the generator's --scale (default 20)")
    parser.add_argument("--years", type=int, default=10, help="the generator's --years of history (default 10)")
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END,
                        help=f"the last delivery (default {DEFAULT_END}): the night after the backfill")
    parser.add_argument("--port", default="55497", help="port of the benchmark's embedded PostgreSQL (default 55497)")
    parser.add_argument("--modes", default="", help="also compare these Cosmos execution modes, e.g. watcher,local")
    parser.add_argument("--runs", type=int, default=3, help="--modes: runs of each variant (default 3)")
    args = parser.parse_args(argv)
    name = f"s{args.scale:g}_y{args.years}"
    landing, held_dir = OUT / f"nightly_landing_{name}", OUT / f"nightly_held_{name}"
    home, log = OUT / f"nightly_home_{name}", OUT / f"nightly_{name}.log"
    OUT.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    held = prepare_landing(args, landing, held_dir)
    env = bench_env(home, landing, args.port)
    subprocess.run([sys.executable, "-m", "include.cli", "warehouse", "stop"], env=env, check=False,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(home, ignore_errors=True)  # the backfill starts from an empty warehouse
    log.unlink(missing_ok=True)
    print(f"[bench] full log: {log}", flush=True)
    try:
        full = nightly_run("backfill", env, home, log)
        held.rename(landing / held.name)  # the next night's delivery arrives
        night = nightly_run("one more night", env, home, log)
        print_table(full, night)
        if args.modes:
            compare_modes(args, home, landing, log)
    finally:
        subprocess.run([sys.executable, "-m", "include.cli", "warehouse", "stop"], env=env, check=False,
                       stdout=subprocess.DEVNULL)
    print(f"[bench] {time.perf_counter() - began:.0f} s in all (generation included)"
          + ("" if full.exit_code == night.exit_code == 0 else f"; a run failed: see {log}"))
    print(f"nightly/full ratio: {night.seconds / full.seconds:.3f} over {night.raw_rows:,} raw rows")
    return 0 if full.exit_code == night.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
