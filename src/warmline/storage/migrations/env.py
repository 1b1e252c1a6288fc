"""Alembic environment. Runs on a connection handed over by ``storage/migrate.py``, or on the
URL from ``WARMLINE_DATABASE_URL`` when alembic is called directly."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from warmline.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online_from_url() -> None:
    from warmline.settings import get_settings
    from warmline.storage.database import create_engine

    engine = create_engine(get_settings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    _offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_online_from_url())
