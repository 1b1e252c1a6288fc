"""Run Alembic migrations on an async engine (``warmline migrate`` and app start-up)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.errors import ConfigurationError
from warmline.storage.errors import map_storage_errors


def alembic_config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("warmline.storage").joinpath("migrations"))
    )
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest); an unreachable database is a
    ``StorageError``, an unknown revision a ``ConfigurationError``."""
    try:
        with map_storage_errors("migrate the database"):
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, revision)
    except CommandError as exc:
        raise ConfigurationError(f"cannot migrate to '{revision}': {exc}") from exc


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    with map_storage_errors("read the schema's revision"):
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
