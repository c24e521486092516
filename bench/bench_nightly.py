"""Benchmark: the nightly run under each Cosmos execution mode, against a plain `dbt build`, in one run.

    python bench/bench_nightly.py [--runs 3] [--modes watcher,local]

Builds the demo warehouse once (embedded PostgreSQL on its own port, state in bench/out/), then
times, in turn and `--runs` times each, one new night:
- `dbt build` run by hand over the last delivery marked unbuilt (the floor: what the old single
  dbt task cost, without Airflow);
- the whole nightly DAG (`python -m include.cli run`, the `make run` command) under each Cosmos
  execution mode (CGF_COSMOS_EXECUTION_MODE), with the last delivery taken out of the warehouse
  again, so the run loads and builds it as a real night does.
Prints the median seconds of each and its ratio to the floor. No thresholds: the figures are for
people to compare (the README's "dbt in Airflow" says which mode was chosen and why).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from include.demo.generator import generate_landing
from include.ingest.contract import FILES
from include.transform.cosmos_dbt import dbt_env
from include.warehouse import settings

OUT = settings.PROJECT_ROOT / "bench" / "out"
PORT = "55497"
FLOOR = "dbt build (floor)"


def bench_env(home: Path, landing: Path, mode: str | None = None) -> dict[str, str]:
    env = {**os.environ, "CGF_HOME": str(home), "CGF_LANDING_DIR": str(landing), "CGF_PG_PORT": PORT}
    env.pop("CGF_WAREHOUSE_URL", None)
    if mode:
        env["CGF_COSMOS_EXECUTION_MODE"] = mode
    return env


def run(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def restate_last_night(url: str) -> None:
    """The last delivery loaded but not built: what a plain `dbt build` of a new night sees."""
    with psycopg.connect(url) as conn:
        conn.execute("update ops.deliveries set dbt_built_at = null where delivery_date = "
                     "(select max(delivery_date) from ops.deliveries where status = 'LOADED')")


def unload_last_night(url: str) -> None:
    """The last delivery back in the landing area only: the DAG's next run loads and builds it,
    as on a real night (restating without loading would take the nothing-loaded branch)."""
    with psycopg.connect(url) as conn:
        load_id = conn.execute("select max(load_id) from ops.deliveries where status = 'LOADED'").fetchone()[0]
        for spec in FILES:
            conn.execute(f"delete from raw.{spec.table} where load_id = %s", (load_id,))
        conn.execute("delete from ops.rejections where load_id = %s", (load_id,))
        conn.execute("delete from ops.deliveries where load_id = %s", (load_id,))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="watcher,local")
    args = parser.parse_args(argv)
    home, landing = OUT / "nightly_home", OUT / "nightly_landing"
    if not landing.is_dir():
        print(f"[bench] generating the demo landing area in {landing} …", flush=True)
        generate_landing(landing)
    python = sys.executable
    print("[bench] building the demo warehouse once (not timed) …", flush=True)
    run([python, "-m", "include.cli", "run"], bench_env(home, landing))
    url = subprocess.run([python, "-m", "include.cli", "warehouse", "url", "--with-password"],  # the password too
                         env=bench_env(home, landing), check=True, capture_output=True, text=True).stdout.strip()
    dbt = [str(Path(python).parent / "dbt"), "build", "--project-dir", str(settings.DBT_PROJECT_DIR),
           "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(OUT / "dbt_target")]
    variants = {FLOOR: (dbt, {**bench_env(home, landing), **dbt_env(url)})}
    for mode in args.modes.split(","):
        variants[f"nightly DAG, {mode}"] = ([python, "-m", "include.cli", "run"], bench_env(home, landing, mode))
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for round_no in range(1, args.runs + 1):
        for name, (cmd, env) in variants.items():
            (restate_last_night if name == FLOOR else unload_last_night)(url)
            seconds[name].append(run(cmd, env))
            print(f"[bench] run {round_no}: {name}: {seconds[name][-1]:.1f} s", flush=True)
    floor = statistics.median(seconds[FLOOR])
    print("\n| variant | median s | × dbt build |\n|---|---|---|")
    for name, values in seconds.items():
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.median(values) / floor:.2f} |")
    subprocess.run([python, "-m", "include.cli", "warehouse", "stop"], env=bench_env(home, landing), check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
