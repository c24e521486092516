"""Alembic's environment: the revisions run on the connection `migrations.upgrade` lends (online
only), in its transaction, the version kept in ops.cgf_alembic_version."""
from __future__ import annotations

from alembic import context

from include.warehouse.migrations import VERSION_SCHEMA, VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("the warehouse migrations run through include.warehouse.migrations.upgrade "
                       "(`cgf warehouse upgrade`), not the alembic command")

context.configure(connection=connection, version_table=VERSION_TABLE, version_table_schema=VERSION_SCHEMA,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
