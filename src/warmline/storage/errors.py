"""Translate database failures into warmline's exception tree, in one place.

Every repository method runs its work inside ``map_storage_errors``, the way httpx's transports
wrap theirs in ``map_exceptions``::

    with map_storage_errors("record the turn", conflict="the conversation changed meanwhile"):
        async with self._write() as session:
            ...

- ``IntegrityError`` (a unique or foreign key constraint refused the write) becomes
  ``ConflictError(conflict)`` when the caller names a ``conflict`` message, and a
  ``StorageError`` otherwise;
- any other ``SQLAlchemyError``, and the ``OSError`` a driver raises when it cannot reach the
  database at all (asyncpg lets ``ConnectionRefusedError`` and connect timeouts through
  SQLAlchemy unwrapped), becomes ``StorageError("could not <doing>")``.

The original is always chained (``raise ... from exc``). Anything else, warmline's own errors
raised inside the block included (``ConversationNotFound``, ``ConflictError``), passes through
unchanged. A synchronous context manager serves async code too: ``with`` around ``async with``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from warmline.errors import ConflictError, StorageError


@contextmanager
def map_storage_errors(doing: str, *, conflict: str | None = None) -> Iterator[None]:
    """Run the block; turn database failures into ``StorageError("could not <doing>")``, or
    into ``ConflictError(conflict)`` for a refused constraint when ``conflict`` is given."""
    try:
        yield
    except IntegrityError as exc:
        if conflict is None:
            raise StorageError(f"could not {doing}") from exc
        raise ConflictError(conflict) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"could not {doing}") from exc
