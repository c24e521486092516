"""The warehouse's migrations (Alembic): the schemas `raw` and `ops`, their tables, and the roles.

`upgrade(conn)` brings a warehouse to the latest revision (head) on the caller's psycopg
connection, in one transaction under the advisory lock every release took for its schema set-up
(two workers starting at once, or a worker of the previous release, never migrate side by side).
At head it costs one query: the version and the roles' grants, read together.

The revisions are in `versions/`, one file each, their SQL written out in the file (a revision
never changes meaning when the code that once generated its SQL changes); the version is kept
in `ops.cgf_alembic_version` (not `alembic_version`: Airflow's own table may share the database).
`docs/migrations.md` tells how to add a revision.

A warehouse of a release before the migrations (created by `create … if not exists` DDL on every
start, no version table) is adopted by the baseline revision 0001, which creates only what is
missing and brings the older objects to the baseline (see its docstring).

The roles belong to the server and may be beyond the warehouse user's rights: a revision grants
what it can (roles.ensure_roles) and the warehouse still reaches head; `upgrade` grants again
what `include.warehouse.roles` describes whenever those grants are not in place (a DBA created
the roles since).
"""
from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import errors

from include.warehouse import roles

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
VERSION_SCHEMA, VERSION_TABLE = "ops", "cgf_alembic_version"
LOCK_ID = 424242  # pg_advisory_xact_lock of the schema set-up, the same in every release
# Alembic keeps the running migration in module globals (alembic.context, alembic.op): one at a
# time in a process, whatever the database (threads of one process may upgrade two warehouses)
_ALEMBIC = threading.RLock()


@dataclass(frozen=True)
class Revision:
    revision: str
    doc: str
    is_head: bool
    is_current: bool


def config():
    """The Alembic configuration, in code (no alembic.ini): this folder, its versions/ and env.py."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    return cfg


def _script():
    with _ALEMBIC:
        return _loaded_script()


@functools.cache
def _loaded_script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config())


_ASSIGNED = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:None|["']([^"']+)["'])""", re.M)


@functools.cache
def head() -> str:
    """The newest revision: the one of versions/ no other revision follows, read from the files'
    text (a start at head needs no import of Alembic: every load, every task)."""
    follows, revisions = set(), set()
    for path in (HERE / "versions").glob("[0-9]*.py"):
        for name, value in _ASSIGNED.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else follows).add(value)
    heads = revisions - follows
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current(conn: psycopg.Connection) -> str | None:
    """The warehouse's revision (None: no version table, a new warehouse or one of an earlier release)."""
    with conn.transaction():
        if conn.execute("select to_regclass(%s)", (f"{VERSION_SCHEMA}.{VERSION_TABLE}",)).fetchone()[0] is None:
            return None
        row = conn.execute(f"select version_num from {VERSION_SCHEMA}.{VERSION_TABLE}").fetchone()
    return row[0] if row else None


def history(conn: psycopg.Connection | None = None) -> list[Revision]:
    """Every revision, the newest first; `is_current` marks the warehouse's when a connection is given."""
    at = current(conn) if conn is not None else None
    top = head()
    return [Revision(s.revision, (s.doc or "").strip(), s.revision == top, s.revision == at)
            for s in _script().walk_revisions()]


def upgrade(conn: psycopg.Connection) -> list[str]:
    """Bring the warehouse to head; returns the revisions applied, oldest first ([] when at head).

    Safe to call on every start and from several workers at once; the caller's transaction state
    is left as it was (the work is done in `conn.transaction()`).
    """
    top = head()
    if _at_head(conn, top):
        return []
    # loaded before the transaction: inside it, a thread waiting for _ALEMBIC would hold its locks
    # (the roles it created) while the thread holding _ALEMBIC waits for them
    script = _script()
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_ID,))
        before = current(conn)  # again, under the lock: another worker may have just migrated
        applied = []
        if before != top:
            if conn.execute("select to_regnamespace(%s)", (VERSION_SCHEMA,)).fetchone()[0] is None:
                conn.execute(f"create schema {VERSION_SCHEMA}")  # the version table's, before revision 0001
            _alembic_upgrade(conn)
            applied = [s.revision for s in reversed(list(script.iterate_revisions(top, before)))]
            log.info("warehouse upgraded from %s to %s: %s", before or "no revision", top, ", ".join(applied))
        roles.ensure_roles(conn)  # what roles.py describes, when not in place (a DBA created the roles since)
    return applied


def _at_head(conn: psycopg.Connection, top: str) -> bool:
    """One query: the version is head and the roles' grants are in place."""
    try:
        with conn.transaction():
            rows = conn.execute(f"select v.version_num = %(head)s and {roles.IN_PLACE} "
                                f"from {VERSION_SCHEMA}.{VERSION_TABLE} as v",
                                {"head": top, **roles.in_place_params()}).fetchall()
    except errors.UndefinedTable:  # no version table yet (nor perhaps schema ops)
        return False
    return rows == [(True,)]


def connection() -> psycopg.Connection:
    """In a revision: the psycopg connection it runs on (the upgrade's transaction, under its lock)."""
    from alembic import op

    driver = op.get_bind().connection.driver_connection
    return getattr(driver, "borrowed", driver)


def _alembic_upgrade(conn: psycopg.Connection) -> None:
    """`alembic upgrade head` on the caller's connection, inside its current transaction."""
    import sqlalchemy as sa
    from alembic import command

    engine = sa.create_engine("postgresql+psycopg://", creator=lambda: _Borrowed(conn), poolclass=sa.pool.NullPool,
                              pool_reset_on_return=None, use_native_hstore=False)
    with _ALEMBIC, engine.connect() as bound:
        cfg = config()
        cfg.attributes["connection"] = bound
        command.upgrade(cfg, "head")


class _Borrowed:
    """The caller's psycopg connection lent to SQLAlchemy: commit, rollback and close stay the
    caller's (`upgrade`'s transaction commits or rolls back the whole migration)."""

    def __init__(self, conn: psycopg.Connection):
        self.borrowed = conn

    def __getattr__(self, name: str):
        return getattr(self.borrowed, name)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def add_notice_handler(self, handler) -> None:
        pass  # SQLAlchemy logs server notices; the caller's connection keeps its own handlers
