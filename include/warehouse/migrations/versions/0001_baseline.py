"""baseline: the schemas raw and ops, their tables and indexes, the roles and their grants (release 0.1)

Revision ID: 0001
Revises: (none)

The warehouse as release 0.1 (git 24ed4db) created it, written out here: include.ingest.schema
then generated the raw tables from the extract contract on every start; this revision keeps the
SQL it generated, whatever the contract says later (a change of the contract is a new revision).

It also adopts a warehouse of any earlier release. Every release before the migrations ran its
schema set-up as `create … if not exists` on each start, so such a warehouse has a subset of
these objects (with the same names and definitions) and no version table: every statement
here creates only what is missing, and ADOPT brings what earlier releases made differently to
this state. What changed from release to release (git log -p include/ingest/schema.py):

  8197e60  ops.deliveries (with unique (delivery_date, manifest_sha256)), ops.rejections,
           ops.pipeline_runs; the raw tables
  2322444  ops.validation_results, ops.alerts, ops.alert_state
  4fb8967  ops.deliveries without the unique (date, sha): a re-send may revert to an earlier
           version; index deliveries_by_day         -> ADOPT drops the constraint
  e375f5c  ops.alerts.message (the whole MIME message)  -> ADOPT adds the column
  bed2e8e  ops.ignored_landing_entries, ops.unexpected_files; the roles and their grants
  0e3c50c  raw.guarantees.customer_key (HMAC computed by the loader)  -> ADOPT adds the column

A column added by ADOPT comes last in its table (a new warehouse has it in its place); the
loader names its columns, nothing reads them by position.
"""
from __future__ import annotations

from include.warehouse import migrations, roles

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPS = """
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

-- what the alert streams last reported (include.alerts.streams): the state and the last day covered
create table if not exists ops.alert_state (
  stream        text primary key,
  status        text not null,
  status_since  date,
  through_date  date not null,
  updated_at    timestamptz not null default now()
);
"""

RAW = """
create schema if not exists raw;
create table if not exists raw.guarantees (
  event_id text,
  event_date date,
  event_type text,
  guarantee_id text,
  branch_code text,
  program_code text,
  customer_id text,
  business_reg_no text,
  customer_name text,
  bank_code text,
  amount_krw bigint,
  guarantee_ratio_pct numeric(9,4),
  fee_rate_pct numeric(9,4),
  term_months bigint,
  maturity_date date,
  customer_key text,
  delivery_date date not null,
  source_file text not null,
  line_no integer not null,
  load_id bigint not null,
  loaded_at timestamptz not null default now()
);
create index if not exists guarantees_by_delivery on raw.guarantees (delivery_date);
create unique index if not exists guarantees_key on raw.guarantees (event_id);
create table if not exists raw.repayments (
  repayment_id text,
  repayment_date date,
  kind text,
  guarantee_id text,
  branch_code text,
  amount_krw bigint,
  delivery_date date not null,
  source_file text not null,
  line_no integer not null,
  load_id bigint not null,
  loaded_at timestamptz not null default now()
);
create index if not exists repayments_by_delivery on raw.repayments (delivery_date);
create unique index if not exists repayments_key on raw.repayments (repayment_id);
create table if not exists raw.contributions (
  contribution_id text,
  received_date date,
  entry_type text,
  contributor_code text,
  contributor_name text,
  contributor_type text,
  program_code text,
  amount_krw bigint,
  delivery_date date not null,
  source_file text not null,
  line_no integer not null,
  load_id bigint not null,
  loaded_at timestamptz not null default now()
);
create index if not exists contributions_by_delivery on raw.contributions (delivery_date);
create unique index if not exists contributions_key on raw.contributions (contribution_id);
create table if not exists raw.headcount (
  snapshot_date date,
  employee_id text,
  org_unit_code text,
  grade text,
  employment_status text,
  delivery_date date not null,
  source_file text not null,
  line_no integer not null,
  load_id bigint not null,
  loaded_at timestamptz not null default now()
);
create index if not exists headcount_by_delivery on raw.headcount (delivery_date);
"""

ADOPT = """
-- releases before e375f5c: the alerts waited as files in the outbox folder
alter table ops.alerts add column if not exists message bytea;

-- releases before 0e3c50c hashed the customer in SQL: the loader fills the key of old rows
alter table raw.guarantees add column if not exists customer_key text;

-- releases before 4fb8967: unique (delivery_date, manifest_sha256) refused a re-send that
-- reverts a day to an earlier version
do $$
declare stale name;
begin
  for stale in
    select c.conname from pg_constraint as c
    where c.conrelid = 'ops.deliveries'::regclass and c.contype = 'u'
      and (select array_agg(a.attname::text order by a.attname) from pg_attribute as a
           where a.attrelid = c.conrelid and a.attnum = any(c.conkey)) = array['delivery_date', 'manifest_sha256']
  loop
    execute format('alter table ops.deliveries drop constraint %I', stale);
  end loop;
end $$;
"""

ROLES = ("cgf_loader", "cgf_transformer", "cgf_analyst", "cgf_operator")

# the grants on what exists, and the default privileges on what the warehouse user creates later
GRANTS = """
create schema if not exists reference;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
grant usage on schema marts to cgf_analyst;
grant select on all tables in schema marts to cgf_analyst;
alter default privileges in schema marts grant select on tables to cgf_analyst;
grant usage on schema reference to cgf_analyst;
grant select on all tables in schema reference to cgf_analyst;
alter default privileges in schema reference grant select on tables to cgf_analyst;
grant usage on schema ops to cgf_operator;
grant select on all tables in schema ops to cgf_operator;
alter default privileges in schema ops grant select on tables to cgf_operator;
grant usage on schema raw to cgf_transformer;
grant select on all tables in schema raw to cgf_transformer;
alter default privileges in schema raw grant select on tables to cgf_transformer;
grant usage on schema ops to cgf_transformer;
grant select on all tables in schema ops to cgf_transformer;
alter default privileges in schema ops grant select on tables to cgf_transformer;
grant usage on schema reference to cgf_transformer;
grant select on all tables in schema reference to cgf_transformer;
alter default privileges in schema reference grant select on tables to cgf_transformer;
grant usage, create on schema raw to cgf_loader;
grant select, insert, update, delete, truncate on all tables in schema raw to cgf_loader;
grant usage, select on all sequences in schema raw to cgf_loader;
alter default privileges in schema raw grant select, insert, update, delete, truncate on tables to cgf_loader;
alter default privileges in schema raw grant usage, select on sequences to cgf_loader;
grant usage, create on schema ops to cgf_loader;
grant select, insert, update, delete, truncate on all tables in schema ops to cgf_loader;
grant usage, select on all sequences in schema ops to cgf_loader;
alter default privileges in schema ops grant select, insert, update, delete, truncate on tables to cgf_loader;
alter default privileges in schema ops grant usage, select on sequences to cgf_loader;
grant usage, create on schema reference to cgf_transformer;
grant usage, create on schema staging to cgf_transformer;
grant usage, create on schema intermediate to cgf_transformer;
grant usage, create on schema marts to cgf_transformer;
"""


def upgrade() -> None:
    conn = migrations.connection()
    conn.execute(OPS)
    conn.execute(RAW)
    conn.execute(ADOPT)
    roles.ensure_roles(conn, ROLES, [GRANTS])  # a user that may not create roles: logged, granted later


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: it holds every delivery loaded (drop the schemas by hand)")
