"""Alembic environment. ``Database.migrate()`` hands over a connection; from the command line
(``alembic -c alembic.ini upgrade head``, ``alembic revision --autogenerate``) the URL comes
from ``CCENGINE_STORE_URL`` or ``sqlalchemy.url`` in alembic.ini, and an async engine is used.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from ccengine.store.models import Base, compared


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True, include_name=compared)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    """The command-line path: the same transaction, locks and checks as Database.migrate."""
    from ccengine.store.db import create_engine_from_url, run_migration

    engine = create_engine_from_url(url)
    try:
        await run_migration(engine, run_on)
    finally:
        await engine.dispose()


def store_url() -> str:
    url = os.environ.get("CCENGINE_STORE_URL") or context.config.get_main_option(
        "sqlalchemy.url")
    if not url:
        raise RuntimeError("no store URL: set CCENGINE_STORE_URL or sqlalchemy.url in "
                           "alembic.ini, or run migrations through Database.migrate()")
    return url


given = context.config.attributes.get("connection")
if given is not None:
    run_on(given)
elif context.is_offline_mode():
    context.configure(url=store_url(), target_metadata=Base.metadata, render_as_batch=True,
                      literal_binds=True, include_name=compared)
    with context.begin_transaction():
        context.run_migrations()
else:
    if context.config.config_file_name:
        fileConfig(context.config.config_file_name, disable_existing_loggers=False)
    asyncio.run(run_from_url(store_url()))
