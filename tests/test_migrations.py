"""Migrations (Alembic, include/warehouse/migrations): a warehouse of the current release, created
by its own DDL and loaded, is upgraded in place and loads go on; an empty database upgrades to the
same schema as an adopted one (of the current release, and of the first pipeline); two workers
upgrading at once both succeed; at head an upgrade is one query and takes no lock."""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from include import cli
from include.ingest import loader
from include.ingest.contract import FILES, raw_table_ddl
from include.ingest.schema import ensure_schemas
from include.warehouse import migrations, roles
from tests.conftest import make_database
from tests.landing_factory import good_delivery, write_delivery

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELEASE_0_1 = FIXTURES / "release_0_1_schema.sql"  # the DDL of the current release, as it ran it
FIRST_PIPELINE = FIXTURES / "schema_8197e60.sql"  # the DDL of the first pipeline
D1, D2 = date(2019, 1, 2), date(2019, 1, 3)


def create_as(conn: psycopg.Connection, fixture: Path) -> None:
    """What ensure_schemas of that release did on every start."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(424242)")
        conn.execute(fixture.read_text(encoding="utf-8"))


def all_revisions() -> list[str]:
    return [r.revision for r in reversed(migrations.history())]


def version_rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(f"select version_num, xmin::text from {migrations.VERSION_SCHEMA}."
                        f"{migrations.VERSION_TABLE}").fetchall()


def schema_of(conn: psycopg.Connection) -> dict[str, set]:
    """Columns, constraints, indexes and privileges of raw and ops (column order aside: a column an
    upgrade adds comes last)."""
    def rows(query: str) -> set:
        return set(conn.execute(query).fetchall())

    return {
        "columns": rows("select table_schema, table_name, column_name, data_type, udt_name, is_nullable, "
                        "column_default, character_maximum_length, numeric_precision, numeric_scale "
                        "from information_schema.columns where table_schema in ('raw', 'ops')"),
        "constraints": rows("select n.nspname, t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid) "
                            "from pg_constraint as c join pg_class as t on t.oid = c.conrelid "
                            "join pg_namespace as n on n.oid = t.relnamespace where n.nspname in ('raw', 'ops')"),
        "indexes": rows("select schemaname, tablename, indexname, indexdef from pg_indexes "
                        "where schemaname in ('raw', 'ops')"),
        "privileges": rows("select table_schema, table_name, grantee, privilege_type "
                           "from information_schema.table_privileges "
                           "where table_schema in ('raw', 'ops') and grantee like 'cgf\\_%'"),
        "default privileges": rows("select n.nspname, d.defaclobjtype, r.rolname, a.privilege_type "
                                   "from pg_default_acl as d join pg_namespace as n on n.oid = d.defaclnamespace "
                                   "cross join aclexplode(d.defaclacl) as a join pg_roles as r on r.oid = a.grantee"),
        "schema privileges": rows("select n.nspname, r.rolname, p.privilege from pg_namespace as n "
                                  "cross join pg_roles as r cross join (values ('USAGE'), ('CREATE')) as p (privilege) "
                                  "where r.rolname like 'cgf\\_%' and n.nspname in "
                                  "('raw', 'ops', 'reference', 'staging', 'intermediate', 'marts') "
                                  "and has_schema_privilege(r.oid, n.oid, p.privilege)"),
    }


def raw_rows(conn: psycopg.Connection) -> dict[date, int]:
    return dict(conn.execute("select delivery_date, count(*) from raw.guarantees group by 1").fetchall())


def count_queries(monkeypatch) -> list[str]:
    """The statements every psycopg connection executes from now on."""
    seen: list[str] = []
    execute = psycopg.Connection.execute

    def counted(self, query, *args, **kwargs):
        seen.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    return seen


# --- (a) a warehouse of the current release, loaded, upgraded in place, loaded again ------------

def test_a_warehouse_of_the_current_release_is_upgraded_in_place_and_loads_go_on(db_url, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    write_delivery(landing, D1, good_delivery(D1, 3))
    with psycopg.connect(db_url) as conn:
        with monkeypatch.context() as release:  # the release's loader: its schema set-up, the same load
            release.setattr(loader, "ensure_schemas", lambda c: create_as(c, RELEASE_0_1))
            assert [d for d, _ in loader.load_landing(conn, landing).raise_for_rejection().loaded] == [D1]
        assert migrations.current(conn) is None and raw_rows(conn) == {D1: 3}

        assert migrations.upgrade(conn) == all_revisions()  # the baseline adopts it
        write_delivery(landing, D2, good_delivery(D2, 2))
        report = loader.load_landing(conn, landing).raise_for_rejection()
        assert [d for d, _ in report.loaded] == [D2] and report.already_loaded == 1
        assert raw_rows(conn) == {D1: 3, D2: 2}  # both loads, side by side
        assert conn.execute("select delivery_date, status from ops.deliveries order by 1").fetchall() == [
            (D1, "LOADED"), (D2, "LOADED")]
        assert conn.execute("select count(*) from raw.guarantees where customer_key is null").fetchone()[0] == 0
        assert [v for v, _ in version_rows(conn)] == [migrations.head()]
        assert roles.all_roles_exist(conn) and roles.grants_in_place(conn)
        conn.commit()
        analyst_reads_marts_and_reference_only(conn)

        # a second upgrade: one query, no lock taken, nothing changed
        before, version = schema_of(conn), version_rows(conn)
        conn.commit()
        with psycopg.connect(db_url, autocommit=True) as holder:
            holder.execute("select pg_advisory_lock(%s)", (migrations.LOCK_ID,))  # an upgrade would wait for it
            conn.execute("set lock_timeout = '5s'")
            conn.commit()
            with monkeypatch.context() as spy:
                queries = count_queries(spy)
                ensure_schemas(conn)
            assert len(queries) == 1, queries
        assert schema_of(conn) == before and version_rows(conn) == version


def analyst_reads_marts_and_reference_only(conn: psycopg.Connection) -> None:
    for schema in ("marts", "reference"):  # relations dbt builds later, as the warehouse user
        conn.execute(f"create table {schema}.migration_probe as select 1 as n")
    conn.commit()
    try:
        conn.execute(f"set role {roles.ANALYST}")
        assert conn.execute("select n from marts.migration_probe").fetchone() == (1,)
        assert conn.execute("select n from reference.migration_probe").fetchone() == (1,)
        for hidden in ("raw.guarantees", "ops.deliveries"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"select count(*) from {hidden}")
            conn.rollback()
            conn.execute(f"set role {roles.ANALYST}")
        conn.rollback()
    finally:
        conn.execute("reset role")
        for schema in ("marts", "reference"):
            conn.execute(f"drop table {schema}.migration_probe")
        conn.commit()


# --- (b) an empty database and an adopted one: the same schema at head ----------------------------

@pytest.mark.parametrize("fixture", [RELEASE_0_1, FIRST_PIPELINE], ids=["release_0_1", "first_pipeline"])
def test_an_empty_database_upgrades_to_the_schema_of_an_adopted_warehouse(server_url, fixture):
    with (psycopg.connect(make_database(server_url, "migrations_empty")) as new,
          psycopg.connect(make_database(server_url, f"migrations_{fixture.stem}")) as old):
        assert migrations.upgrade(new) == all_revisions()
        create_as(old, fixture)
        before = schema_of(old)
        assert migrations.upgrade(old) == all_revisions()
        at_head, adopted = schema_of(new), schema_of(old)
        for part in at_head:
            assert adopted[part] == at_head[part], part
        assert version_rows(old)[0][0] == version_rows(new)[0][0] == migrations.head()
        assert at_head["columns"] and at_head["indexes"] and at_head["privileges"]
        if fixture == FIRST_PIPELINE:  # what the baseline changed in it, beside what it created
            assert ("ops", "deliveries", "deliveries_delivery_date_manifest_sha256_key", "u",
                    "UNIQUE (delivery_date, manifest_sha256)") in before["constraints"]
            assert ("raw", "guarantees", "customer_key") not in {c[:3] for c in before["columns"]}


def test_the_head_read_from_the_files_is_alembics_and_a_start_at_head_imports_no_alembic(db_url):
    import subprocess
    import sys

    assert migrations.head() == migrations._script().get_current_head()
    with psycopg.connect(db_url) as conn:
        ensure_schemas(conn)
    probe = ("import sys, psycopg; from include.ingest.schema import ensure_schemas; "
             f"conn = psycopg.connect({db_url!r}); ensure_schemas(conn); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_raw_tables_at_head_are_the_contracts(conn):
    """A revision keeps the DDL it ran; a change of the extract contract needs a new revision
    (docs/migrations.md): the raw tables at head and the contract's DDL of today agree."""
    ensure_schemas(conn)
    conn.execute("create schema contract_today")
    for spec in FILES:
        conn.execute(raw_table_ddl(spec, schema="contract_today"))
    columns = """select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                        pg_get_expr(d.adbin, d.adrelid)
                 from pg_attribute as a join pg_class as c on c.oid = a.attrelid
                 left join pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
                 where c.relnamespace = %s::regnamespace and c.relkind = 'r' and a.attnum > 0
                   and not a.attisdropped"""
    assert set(conn.execute(columns, ("raw",)).fetchall()) == set(conn.execute(columns, ("contract_today",)).fetchall())
    conn.rollback()


def test_at_head_grants_not_in_place_are_granted_again(conn):
    """As when a DBA creates the roles after the revision ran (a user that may not create them)."""
    ensure_schemas(conn)
    conn.execute(f"alter default privileges in schema marts revoke select on tables from {roles.ANALYST}")
    conn.commit()
    assert not roles.grants_in_place(conn) and migrations.current(conn) == migrations.head()
    assert migrations.upgrade(conn) == []  # no revision, the grants of include/warehouse/roles.py
    assert roles.grants_in_place(conn)


# --- (c) two workers on an empty database --------------------------------------------------------

def test_two_workers_upgrade_an_empty_database_at_once(db_url):
    start, failures, applied = threading.Barrier(2), [], []

    def worker() -> None:
        try:
            with psycopg.connect(db_url) as conn:
                start.wait(10)
                ensure_schemas(conn)
                applied.append(migrations.current(conn))
        except Exception as exc:  # reported below, whatever it is
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == [] and applied == [migrations.head()] * 2
    with psycopg.connect(db_url) as conn:
        assert [v for v, _ in version_rows(conn)] == [migrations.head()]
        assert conn.execute("select to_regclass('raw.guarantees'), to_regclass('ops.alerts')").fetchone() == (
            "raw.guarantees", "ops.alerts")
        assert roles.grants_in_place(conn)


# --- the commands --------------------------------------------------------------------------------

def test_cgf_warehouse_upgrade_and_history(db_url, monkeypatch, capsys):
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    assert cli.main(["warehouse", "history"]) == 0
    shown = capsys.readouterr().out
    assert "no revision yet" in shown and f"{migrations.head()}  " in shown and "current" not in shown
    assert cli.main(["warehouse", "upgrade"]) == 0
    assert f"upgraded to revision {migrations.head()} (applied: {', '.join(all_revisions())})" in \
        capsys.readouterr().out
    assert cli.main(["warehouse", "upgrade"]) == 0
    assert "nothing to upgrade" in capsys.readouterr().out
    assert cli.main(["warehouse", "history"]) == 0
    newest = capsys.readouterr().out.splitlines()[0]
    assert newest.startswith(f"{migrations.head()}  ") and newest.endswith("(head, current)")


# --- 0002: personal data that rejections of earlier releases stored ------------------------------

def test_rejections_stored_by_an_earlier_release_are_masked(conn):
    create_as(conn, FIRST_PIPELINE)
    conn.execute("insert into ops.deliveries (load_id, delivery_date, manifest_sha256, landing_path, status, "
                 "violation_count, message) values (1, %s, 'sha', '/landing/20190102', 'REJECTED', 4, "
                 "'guarantees.csv:2 [business_reg_no=''1248100998''] bad check digit; …')", (D1,))
    stored = [  # as the first releases wrote them: values whole
        ("guarantees.csv", 2, "business_reg_no", "1248100998", "bad check digit"),
        ("guarantees.csv", 3, "customer_name", "한빛상사", "too long"),
        ("guarantees.csv", 4, None, "E1,2019-01-02,NEW,한빛상사,1248100998", "expected 14 fields"),
        ("repayments.csv", 5, "event_id", "R" * 120, "unknown id"),
    ]
    for row in stored:
        conn.execute("insert into ops.rejections (load_id, delivery_date, file_name, line_no, column_name, value, "
                     "reason) values (1, %s, %s, %s, %s, %s, %s)", (D1, *row))
    conn.commit()

    migrations.upgrade(conn)
    assert conn.execute("select column_name, value from ops.rejections order by rejection_id").fetchall() == [
        ("business_reg_no", "12********"), ("customer_name", "한***"), (None, None),
        ("event_id", "R" * 79 + "…")]
    [message] = conn.execute("select message from ops.deliveries where load_id = 1").fetchone()
    assert message.startswith("guarantees.csv:2 [business_reg_no='12********'] bad check digit; "
                              "guarantees.csv:3 [customer_name='한***'] too long; guarantees.csv:4 expected 14 fields")
    for private in ("1248100998", "한빛상사"):
        assert private not in message
