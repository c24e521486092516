"""Benchmark: the project's loader against plain COPY of the same files, in one run.

    python bench/bench_load.py [--scale 3] [--end 2019-12-31]

Generates a landing area (--scale multiplies volumes) unless it is there already, reads every
file once (so all three measures find the files in the page cache), then loads it three times,
each into a fresh database on the same server:

1. plain COPY … FROM STDIN of each file as delivered into typed tables without indexes: no
   contract checks, no bookkeeping, no lineage (the bare speed of the server);
2. plain COPY of each file into raw-shaped tables, the fair floor: the tables `raw` has (the same
   columns, lineage and the derived customer_key column included, the same indexes), the lineage
   filled by column defaults the bench sets per file, one transaction;
3. the project's loader (include.ingest.loader): contract checks, manifest verification, id
   uniqueness, customer_key, lineage, bookkeeping in ops, one transaction per delivery.

Prints rows/s of each; the last line is the loader's throughput against the raw-shaped floor.
No timing thresholds: the figures are for people to compare. The bench sets its own
CGF_CUSTOMER_KEY_SECRET (a bench-only secret), so it runs without any setup.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

from include.ingest.contract import FILES, LINEAGE_COLUMNS, PG_TYPES, FileSpec, raw_table_ddl
from include.ingest.extract_files import UTF8_BOM
from include.ingest.loader import complete_deliveries, load_landing
from include.warehouse import db, settings

BENCH_SECRET = "bench-only-customer-key-secret"  # throwaway databases: never a warehouse's secret


def fresh_database(server_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    db.ensure_database(server_url.rsplit("/", 1)[0] + "/" + name)
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{url.rsplit("/", 1)[1]}"')


def checkpoint(url: str) -> None:
    """Each measure starts without the previous one's dirty pages (superuser only: else skipped)."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("checkpoint")
    except psycopg.Error:
        pass


def copy_options(data: bytes) -> tuple[bytes, str]:
    """The file's bytes as COPY takes them (no BOM) and their encoding."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM):], "UTF8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data, "UHC"  # PostgreSQL's name for CP949
    return data, "UTF8"


def copy_file(conn: psycopg.Connection, table: str, spec: FileSpec, data: bytes) -> int:
    data, encoding = copy_options(data)
    sql = (f"copy {table} ({', '.join(spec.column_names)}) from stdin "
           f"with (format csv, header true, encoding '{encoding}')")
    with conn.cursor() as cur:
        with cur.copy(sql) as copy:
            copy.write(data)
        return cur.rowcount


def plain_copy(url: str, landing: Path) -> int:
    """COPY every data file as delivered into typed tables without indexes: the bare server."""
    rows = 0
    with psycopg.connect(url) as conn:
        conn.execute("create schema plain")
        for spec in FILES:
            cols = ", ".join(f"{c.name} {PG_TYPES[c.type]}" for c in spec.columns)
            conn.execute(f"create table plain.{spec.table} ({cols})")
        for _, folder in complete_deliveries(landing):
            for spec in FILES:
                rows += copy_file(conn, f"plain.{spec.table}", spec, (folder / spec.name).read_bytes())
        conn.commit()
    return rows


# the lineage of raw, filled per file by the bench through settings the column defaults read
FLOOR_DEFAULTS = {
    "delivery_date": "current_setting('floor.delivery_date')::date",
    "source_file": "current_setting('floor.source_file')",
    "line_no": "0",
    "load_id": "current_setting('floor.load_id')::bigint",
}
FLOOR_KEY = "'" + "0" * 64 + "'"  # a customer_key as wide as the loader's (hex HMAC-SHA256)


def floor_ddl(spec: FileSpec) -> list[str]:
    """raw's table of the spec in schema `floor`: its columns, lineage and indexes (include.ingest.schema)."""
    statements = [raw_table_ddl(spec, schema="floor")]
    for name, _ in LINEAGE_COLUMNS:
        if name in FLOOR_DEFAULTS:
            statements.append(f"alter table floor.{spec.table} alter column {name} set default {FLOOR_DEFAULTS[name]}")
    for derived in spec.derived:
        statements.append(f"alter table floor.{spec.table} alter column {derived.name} set default {FLOOR_KEY}")
    statements.append(f"create index {spec.table}_by_delivery on floor.{spec.table} (delivery_date)")
    if spec.unique_scope == "all_deliveries":
        statements.append(f"create unique index {spec.table}_key on floor.{spec.table} ({spec.key.name})")
    for derived in spec.derived:  # raw's rows without a key (migration 0003)
        statements.append(f"create index {spec.table}_missing_{derived.name} on floor.{spec.table} "
                          f"({derived.source}) where {derived.name} is null")
    return statements


def floor_copy(url: str, landing: Path) -> int:
    """COPY every data file as delivered into raw-shaped tables: the fair floor of a loader."""
    rows = 0
    with psycopg.connect(url) as conn:
        conn.execute("create schema floor")
        for spec in FILES:
            for statement in floor_ddl(spec):
                conn.execute(statement)
        conn.commit()
        for load_id, (day, folder) in enumerate(complete_deliveries(landing), start=1):
            for spec in FILES:
                conn.execute("select set_config('floor.delivery_date', %s, false), "
                             "set_config('floor.source_file', %s, false), set_config('floor.load_id', %s, false)",
                             (day.isoformat(), f"{folder.name}/{spec.name}", str(load_id)))
                rows += copy_file(conn, f"floor.{spec.table}", spec, (folder / spec.name).read_bytes())
        conn.commit()
    return rows


def project_loader(url: str, landing: Path) -> int:
    with psycopg.connect(url) as conn:
        return load_landing(conn, landing).raise_for_rejection().rows


def timed(label: str, func, *args) -> tuple[int, float]:
    start = time.perf_counter()
    rows = func(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<28} {rows:>10,} rows in {seconds:8.2f} s = {rows / seconds:>10,.0f} rows/s", flush=True)
    return rows, seconds


def warm_up(landing: Path) -> int:
    """Read every file once: each measure then reads from the page cache alike."""
    return sum(len(path.read_bytes()) for _, folder in complete_deliveries(landing)
               for path in sorted(folder.iterdir()) if path.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=3.0)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2019, 12, 31))
    parser.add_argument("--landing-dir", type=Path, default=settings.PROJECT_ROOT / "bench" / "out" / "landing")
    args = parser.parse_args(argv)
    os.environ["CGF_CUSTOMER_KEY_SECRET"] = BENCH_SECRET

    landing = args.landing_dir / f"scale{args.scale:g}_{args.end:%Y%m%d}"
    if not complete_deliveries(landing):
        print(f"generating landing area at scale {args.scale:g} to {args.end} in {landing} …", flush=True)
        generate_landing(landing, scale=args.scale, end=args.end)
    size = warm_up(landing)
    print(f"landing area {landing}: {len(complete_deliveries(landing))} deliveries, {size / 1e6:,.0f} MB", flush=True)
    server = db.warehouse_url()
    measures = (("plain COPY, no indexes", "bench_plain", plain_copy),
                ("plain COPY, raw-shaped", "bench_floor", floor_copy),
                ("project loader", "bench_loader", project_loader))
    results = {}
    for label, prefix, func in measures:
        url = fresh_database(server, prefix)
        try:
            checkpoint(url)
            results[prefix] = timed(label, func, url, landing)
        finally:
            drop_database(url)
    (plain_rows, plain_s), (floor_rows, floor_s), (loader_rows, loader_s) = results.values()
    assert plain_rows == floor_rows == loader_rows, (plain_rows, floor_rows, loader_rows)
    print(f"raw-shaped floor / plain COPY without indexes: {plain_s / floor_s:.2f}; "
          f"the loader takes {loader_s / floor_s:.2f}× the floor's time")
    print(f"ratio loader/plain throughput: {(loader_rows / loader_s) / (floor_rows / floor_s):.2f}")
    return 0


def generate_landing(landing: Path, scale: float, end: date) -> None:
    from include.demo.generator import generate_landing as generate

    generate(landing, scale=scale, end=end)


if __name__ == "__main__":
    sys.exit(main())
