"""The warehouse's roles and what each may read and write, created and granted by the migrations.

  cgf_loader       writes raw and ops (the loader and the pipeline's bookkeeping)
  cgf_transformer  dbt: reads raw, ops (deliveries) and reference, creates in reference (seeds),
                   staging, intermediate and marts
  cgf_analyst      reads marts and reference only (`make analyst-login` lets it log in)
  cgf_operator     reads ops

Two places say what is granted, and agree: each revision of include/warehouse/migrations writes
out the grants it makes (a revision never changes meaning), and this module describes the grants
of the latest revision (READS, WRITES, CREATES_IN): `grants_in_place` checks them, and the
migrations grant them again when they are not in place (a DBA created the roles after the
revision ran). A revision that changes the grants changes this module too.

Roles belong to the whole PostgreSQL server, not to one database: two databases of one server
migrating at once may both try to create a role (the second one's error is swallowed; advisory
locks are per database). Schema grants cover what exists; `alter default privileges` covers the
relations the pipeline's user creates later (the loader's tables, dbt's models and seeds), and
dbt's `grants` config (dbt_project.yml) grants the same again on each relation dbt builds, so
that dbt's own grant bookkeeping agrees with these.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

import psycopg
from psycopg import errors, sql

log = logging.getLogger(__name__)

LOADER, TRANSFORMER, ANALYST, OPERATOR = "cgf_loader", "cgf_transformer", "cgf_analyst", "cgf_operator"
ROLES = (LOADER, TRANSFORMER, ANALYST, OPERATOR)
DBT_SCHEMAS = ("reference", "staging", "intermediate", "marts")  # dbt creates them too; grants need them now
READS = {ANALYST: ("marts", "reference"), OPERATOR: ("ops",), TRANSFORMER: ("raw", "ops", "reference")}
WRITES = {LOADER: ("raw", "ops")}
CREATES_IN = {TRANSFORMER: DBT_SCHEMAS}  # dbt owns what it builds: the schema grant is enough
TABLE_WRITES = "select, insert, update, delete, truncate"

_said_no_roles = False  # the log says once per process that this warehouse's user may not create roles


def ensure_roles(conn: psycopg.Connection, names: Sequence[str] = ROLES,
                 grants: Sequence[str | sql.Composable] | None = None) -> bool:
    """Create the roles and grant them their schemas (in the caller's transaction); True when done.

    `grants`: the statements of a revision; without them, what this module describes, and only
    when not in place already. A user that may not create roles (CGF_WAREHOUSE_URL of a
    restricted account) gets a log line once, and the pipeline goes on: the grants are made when
    a DBA has created the roles.
    """
    if may_create_roles(conn):
        for role in names:
            _create_role(conn, role)
    elif not all_roles_exist(conn, names):
        _say_once(f"the warehouse user may not create roles: {', '.join(names)} are missing and "
                  "nothing is granted (a DBA creates them: include/warehouse/roles.py)")
        return False
    if grants is None:
        if grants_in_place(conn):
            return True
        grants = grant_statements()
    try:
        with conn.transaction():
            for statement in grants:
                conn.execute(statement)
    except errors.InsufficientPrivilege as refused:
        _say_once(f"the warehouse user may not grant the roles their schemas: {refused}")
        return False
    return True


def may_create_roles(conn: psycopg.Connection) -> bool:
    return conn.execute("select rolsuper or rolcreaterole from pg_roles where rolname = current_user").fetchone()[0]


def all_roles_exist(conn: psycopg.Connection, names: Sequence[str] = ROLES) -> bool:
    found = conn.execute("select count(*) from pg_roles where rolname = any(%s)", (list(names),)).fetchone()[0]
    return found == len(names)


# whether the grants of READS, WRITES and CREATES_IN ran in this database (they run in one
# transaction): an SQL expression, so that the migrations read it in the query of their version
IN_PLACE = """((
  select count(distinct (n.nspname, a.grantee)) = cardinality(%(default_schemas)s::text[])
  from pg_default_acl as d
  join pg_namespace as n on n.oid = d.defaclnamespace
  cross join aclexplode(d.defaclacl) as a
  join pg_roles as r on r.oid = a.grantee
  where d.defaclrole = (select oid from pg_roles where rolname = current_user) and d.defaclobjtype = 'r'
    and (n.nspname, r.rolname) in (select * from unnest(%(default_schemas)s::text[], %(default_roles)s::text[]))
) and (
  select count(*) = cardinality(%(create_schemas)s::text[])
  from unnest(%(create_schemas)s::text[], %(create_roles)s::text[]) as c (schema_name, role_name)
  join pg_namespace as n on n.nspname = c.schema_name
  join pg_roles as r on r.rolname = c.role_name
  where has_schema_privilege(r.oid, n.oid, 'CREATE')
))"""


def in_place_params() -> dict[str, list[str]]:
    """The parameters of IN_PLACE: every (schema, role) with default privileges, every one that creates."""
    pairs = [(schema, role) for role, schemas in [*READS.items(), *WRITES.items()] for schema in schemas]
    creates = [(schema, role) for role, schemas in CREATES_IN.items() for schema in schemas]
    return {"default_schemas": [s for s, _ in pairs], "default_roles": [r for _, r in pairs],
            "create_schemas": [s for s, _ in creates], "create_roles": [r for _, r in creates]}


def grants_in_place(conn: psycopg.Connection) -> bool:
    """Whether the grants ran whole before in this database.

    Checked rather than granted again on every start: `grant … on all tables` rewrites the
    privileges of every relation, and would race dbt granting on the same relations.
    """
    return conn.execute(f"select {IN_PLACE}", in_place_params()).fetchone()[0]


def _create_role(conn: psycopg.Connection, role: str) -> None:
    """NOLOGIN: a role is a set of grants; `allow_login` lets one log in with a password."""
    conn.execute(sql.SQL("""
        do $$ begin
          if not exists (select from pg_roles where rolname = {name}) then
            create role {role} nologin;
          end if;
        exception when duplicate_object or unique_violation then null;  -- created meanwhile, elsewhere
        end $$""").format(name=sql.Literal(role), role=sql.Identifier(role)))


def grant_statements() -> list[sql.Composed]:
    """Every grant, on what exists and on what the current user creates later in these schemas."""
    statements = [sql.SQL("create schema if not exists {}").format(sql.Identifier(s)) for s in DBT_SCHEMAS]
    for role, schemas in READS.items():
        statements += [_in(schema, role, "grant usage on schema {schema} to {role}",
                           "grant select on all tables in schema {schema} to {role}",
                           "alter default privileges in schema {schema} grant select on tables to {role}")
                       for schema in schemas]
    for role, schemas in WRITES.items():
        statements += [_in(schema, role, "grant usage, create on schema {schema} to {role}",
                           f"grant {TABLE_WRITES} on all tables in schema {{schema}} to {{role}}",
                           "grant usage, select on all sequences in schema {schema} to {role}",
                           f"alter default privileges in schema {{schema}} grant {TABLE_WRITES} on tables to {{role}}",
                           "alter default privileges in schema {schema} grant usage, select on sequences to {role}")
                       for schema in schemas]
    for role, schemas in CREATES_IN.items():
        statements += [_in(schema, role, "grant usage, create on schema {schema} to {role}") for schema in schemas]
    return statements


def _in(schema: str, role: str, *templates: str) -> sql.Composed:
    return sql.SQL(";\n").join(sql.SQL(t).format(schema=sql.Identifier(schema), role=sql.Identifier(role))
                               for t in templates)


def allow_login(conn: psycopg.Connection, role: str, password: str) -> None:
    """Let a role log in with this password (the embedded server's analyst login)."""
    conn.execute(sql.SQL("alter role {} login password {}").format(sql.Identifier(role),
                                                                   sql.Literal(scram_verifier(password))))


SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677), made here: a
    statement that sets a password carries the verifier, never the password (statement logs,
    pg_stat_statements). The passwords the project generates are ASCII (SASLprep leaves them as is)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _say_once(message: str) -> None:
    global _said_no_roles
    if not _said_no_roles:
        log.warning(message)
        _said_no_roles = True
