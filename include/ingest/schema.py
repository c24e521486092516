"""DDL of the schemas the project owns outside dbt: `raw` (loaded extracts) and `ops`."""
from __future__ import annotations

import psycopg

from include.ingest.contract import FILES, derived_columns_ddl, raw_table_ddl
from include.warehouse import roles

OPS_DDL = """
create schema if not exists ops;

-- one row per delivery version seen: LOADED, REJECTED or SUPERSEDED (by a re-sent version)
create table if not exists ops.deliveries (
  load_id          bigserial primary key,
  delivery_date    date not null,
  manifest_sha256  text not null,
  landing_path     text not null,
  status           text not null check (status in ('LOADED', 'REJECTED', 'SUPERSEDED')),
  encodings        jsonb,
  row_counts       jsonb,
  total_rows       integer,
  violation_count  integer not null default 0,
  message          text,
  processed_at     timestamptz not null default now(),
  dbt_built_at     timestamptz
);
-- a version may come back (a re-send reverting to an earlier one): no unique (date, sha)
create index if not exists deliveries_by_day on ops.deliveries (delivery_date, load_id);
create index if not exists deliveries_pending_build
  on ops.deliveries (delivery_date) where status = 'LOADED' and dbt_built_at is null;

-- every contract violation of a rejected delivery
create table if not exists ops.rejections (
  rejection_id   bigserial primary key,
  load_id        bigint not null references ops.deliveries (load_id),
  delivery_date  date not null,
  file_name      text not null,
  line_no        integer,
  column_name    text,
  value          text,
  reason         text not null,
  recorded_at    timestamptz not null default now()
);
create index if not exists rejections_by_load on ops.rejections (load_id);

-- entries of the landing area that are not deliveries (not a YYYYMMDD folder): listed once per
-- warehouse, so a nightly run does not warn about the same name forever (include.ingest.loader)
create table if not exists ops.ignored_landing_entries (
  name           text primary key,
  reason         text not null,
  first_seen_at  timestamptz not null default now()
);

-- files in a delivery folder that the contract does not name: reported, not loaded (include.ingest.notices)
create table if not exists ops.unexpected_files (
  delivery_date    date not null,
  manifest_sha256  text not null,
  name             text not null,
  found_at         timestamptz not null default now(),
  primary key (delivery_date, manifest_sha256, name)
);

-- one row per pipeline run step, for operators
create table if not exists ops.pipeline_runs (
  run_id        text not null,
  step          text not null,
  started_at    timestamptz not null default now(),
  finished_at   timestamptz,
  outcome       text,
  detail        jsonb,
  primary key (run_id, step, started_at)
);

-- every Great Expectations result of the nightly quality checks (include.quality.checks)
create table if not exists ops.validation_results (
  result_id       bigserial primary key,
  run_id          text not null,
  data_date       date,
  window_from     date,
  suite           text not null,
  expectation     text not null,
  column_name     text,
  description     text,
  severity        text not null,
  success         boolean not null,
  observed_value  jsonb,
  kwargs          jsonb,
  recorded_at     timestamptz not null default now()
);
create index if not exists validation_results_by_run on ops.validation_results (run_id);

-- the alert outbox (include.alerts.outbox): one alert per key, the whole message, PENDING until sent
create table if not exists ops.alerts (
  alert_id    bigserial primary key,
  alert_key   text not null unique,
  kind        text not null,
  recipients  text[] not null default '{}',
  subject     text not null,
  data_date   date,
  eml_file    text not null,
  status      text not null default 'PENDING' check (status in ('PENDING', 'SENT')),
  attempts    integer not null default 0,
  last_error  text,
  queued_at   timestamptz not null default now(),
  sent_at     timestamptz,
  message     bytea  -- the MIME message (text, HTML, inline chart); null for alerts of releases that kept files
);
-- a warehouse of an earlier release: its alerts waited as files in the outbox folder
alter table ops.alerts add column if not exists message bytea;

-- what the alert streams last reported (include.alerts.streams): the state and the last day covered
create table if not exists ops.alert_state (
  stream        text primary key,
  status        text not null,
  status_since  date,
  through_date  date not null,
  updated_at    timestamptz not null default now()
);
"""


def raw_ddl() -> str:
    statements = ["create schema if not exists raw"]
    for spec in FILES:
        statements.append(raw_table_ddl(spec))
        statements += derived_columns_ddl(spec)  # a warehouse of an earlier release
        statements.append(
            f"create index if not exists {spec.table}_by_delivery on raw.{spec.table} (delivery_date)"
        )
        if spec.unique_scope == "all_deliveries":
            statements.append(
                f"create unique index if not exists {spec.table}_key on raw.{spec.table} ({spec.key.name})"
            )
    return ";\n".join(statements) + ";"


def ensure_schemas(conn: psycopg.Connection) -> None:
    """Create raw and ops objects if missing, and the roles with their grants (safe to run on every start)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(424242)")  # concurrent first starts
        conn.execute(OPS_DDL)
        conn.execute(raw_ddl())
        roles.ensure_roles(conn)
