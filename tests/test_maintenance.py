"""After a build, the large tables the run wrote are vacuumed once (include/warehouse/maintenance.py)."""
from __future__ import annotations

from include.warehouse import maintenance


def test_large_tables_never_vacuumed_are_vacuumed_once_and_small_ones_left(conn, db_url):
    conn.execute("create schema marts")
    conn.execute(f"create table marts.big as select generate_series(1, {maintenance.LARGE_ROWS}) as n")
    conn.execute("create table marts.small as select generate_series(1, 1000) as n")
    conn.execute("create table public.elsewhere as select generate_series(1, 200000) as n")
    conn.commit()
    conn.autocommit = True
    for table in ("marts.big", "marts.small", "public.elsewhere"):
        conn.execute(f"analyze {table}")  # their row counts, as a build's analyze leaves them

    assert maintenance.vacuum_new_large_tables(db_url) == ["marts.big"]
    assert conn.execute("select last_vacuum is not null, last_analyze is not null from pg_stat_user_tables "
                        "where relid = 'marts.big'::regclass").fetchone() == (True, True)
    assert maintenance.vacuum_new_large_tables(db_url) == []  # a night after: nothing to do
