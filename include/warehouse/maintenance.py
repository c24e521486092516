"""Upkeep after a build: VACUUM (ANALYZE) of the large tables no vacuum has passed over yet.

A backfill (or a full refresh) writes tables of millions of rows at once. PostgreSQL's autovacuum
then vacuums each of them once (its insert threshold), and at national scale that is minutes of
reading (marts.fct_guarantee_events: 8.6 GB) which, left to autovacuum, lands on the next night:
measured, that night took 40.5 s instead of 32 s (docs/performance.md). The run that wrote them
vacuums them instead. After a night of a few thousand rows no table qualifies and nothing runs.
"""
from __future__ import annotations

import logging
from time import perf_counter

from include.warehouse import db

log = logging.getLogger(__name__)

SCHEMAS = ("raw", "intermediate", "marts")
LARGE_ROWS = 100_000  # below this a vacuum costs a night nothing worth moving

NEVER_VACUUMED_LARGE = """
    select format('%%I.%%I', s.schemaname, s.relname)
    from pg_stat_user_tables as s
    join pg_class as c on c.oid = s.relid
    where s.schemaname = any(%s)
      and s.last_vacuum is null and s.last_autovacuum is null
      and greatest(s.n_live_tup, c.reltuples) >= %s
    order by 1
"""


def vacuum_new_large_tables(url: str | None = None) -> list[str]:
    """VACUUM (ANALYZE) the tables of SCHEMAS with LARGE_ROWS or more that were never vacuumed;
    returns their names. A table the connection's role does not own is skipped by PostgreSQL
    itself (a warning), as autovacuum will see to it."""
    with db.connect(url, autocommit=True) as conn:
        names = [name for (name,) in conn.execute(NEVER_VACUUMED_LARGE, (list(SCHEMAS), LARGE_ROWS))]
        for name in names:
            started = perf_counter()
            conn.execute(f"vacuum (analyze) {name}")
            log.info("vacuumed %s, written by this run (%.1f s)", name, perf_counter() - started)
    return names
