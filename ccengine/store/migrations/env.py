"""Alembic environment: runs on the connection handed over by Database.migrate()."""

from __future__ import annotations

from alembic import context

from ccengine.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through ccengine.store.db.Database.migrate()")
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
