"""Database maintenance use cases: bring the schema to a revision (``warmline migrate``)."""

from __future__ import annotations

from warmline.settings import Settings
from warmline.storage.database import create_engine
from warmline.storage.migrate import current_revision, upgrade


async def migrate(settings: Settings, revision: str = "head") -> str | None:
    """Upgrade the database of ``settings`` to ``revision``; returns the revision reached."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine, revision)
        return await current_revision(engine)
    finally:
        await engine.dispose()
