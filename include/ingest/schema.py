"""The schemas the project owns outside dbt, `raw` (loaded extracts) and `ops`, and the roles:
made and changed by the migrations (include/warehouse/migrations, docs/migrations.md)."""
from __future__ import annotations

import psycopg

from include.warehouse import migrations


def ensure_schemas(conn: psycopg.Connection) -> None:
    """Upgrade the warehouse to the latest revision (safe to run on every start, from several
    workers at once; one query when it is there already). The caller's transaction state is kept."""
    migrations.upgrade(conn)
