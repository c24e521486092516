"""Benchmark: the project's loader against plain COPY of the same files, in one run.

    python bench/bench_load.py [--scale 3] [--end 2019-12-31]

Generates a landing area (--scale multiplies volumes), then loads it twice into fresh
databases on the same server: once with plain `COPY … FROM STDIN` of each file (the floor:
no contract checks, no bookkeeping), once with the project's loader (contract checks, manifest
verification, id uniqueness, lineage, COPY). Prints rows/s of both and the ratio. No timing
thresholds: the figures are for people to compare.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

from include.demo.generator import generate_landing
from include.ingest.contract import FILES, PG_TYPES
from include.ingest.extract_files import UTF8_BOM
from include.ingest.loader import complete_deliveries, load_landing
from include.warehouse import db, settings


def fresh_database(server_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    db.ensure_database(server_url.rsplit("/", 1)[0] + "/" + name)
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{url.rsplit("/", 1)[1]}"')


def plain_copy(url: str, landing: Path) -> int:
    """COPY every data file as delivered into typed tables: the baseline."""
    rows = 0
    with psycopg.connect(url) as conn:
        conn.execute("create schema plain")
        for spec in FILES:
            cols = ", ".join(f"{c.name} {PG_TYPES[c.type]}" for c in spec.columns)
            conn.execute(f"create table plain.{spec.table} ({cols})")
        for _, folder in complete_deliveries(landing):
            for spec in FILES:
                data = (folder / spec.name).read_bytes()
                encoding = "UTF8"
                if data.startswith(UTF8_BOM):
                    data = data[len(UTF8_BOM):]
                else:
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError:
                        encoding = "UHC"  # PostgreSQL's name for CP949
                sql = (f"copy plain.{spec.table} ({', '.join(spec.column_names)}) from stdin "
                       f"with (format csv, header true, encoding '{encoding}')")
                with conn.cursor() as cur:
                    with cur.copy(sql) as copy:
                        copy.write(data)
                    rows += cur.rowcount
        conn.commit()
    return rows


def project_loader(url: str, landing: Path) -> int:
    with psycopg.connect(url) as conn:
        return load_landing(conn, landing).rows


def timed(label: str, func, *args) -> tuple[int, float]:
    start = time.perf_counter()
    rows = func(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<16} {rows:>10,} rows in {seconds:8.2f} s = {rows / seconds:>10,.0f} rows/s", flush=True)
    return rows, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=3.0)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2019, 12, 31))
    parser.add_argument("--landing-dir", type=Path, default=settings.PROJECT_ROOT / "bench" / "out" / "landing")
    args = parser.parse_args(argv)

    landing = args.landing_dir / f"scale{args.scale:g}_{args.end:%Y%m%d}"
    if not complete_deliveries(landing):
        print(f"generating landing area at scale {args.scale:g} to {args.end} in {landing} …", flush=True)
        generate_landing(landing, scale=args.scale, end=args.end)
    server = db.warehouse_url()
    plain_url, loader_url = fresh_database(server, "bench_plain"), fresh_database(server, "bench_loader")
    try:
        plain_rows, plain_s = timed("plain COPY", plain_copy, plain_url, landing)
        loader_rows, loader_s = timed("project loader", project_loader, loader_url, landing)
    finally:
        drop_database(plain_url)
        drop_database(loader_url)
    assert plain_rows == loader_rows, (plain_rows, loader_rows)
    print(f"ratio loader/plain throughput: {(loader_rows / loader_s) / (plain_rows / plain_s):.2f} "
          f"(the loader takes {loader_s / plain_s:.1f}× the time of plain COPY)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
