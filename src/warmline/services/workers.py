"""What several workers share, from ``Settings``: the live events' broker (NATS JetStream), one
turn at a time per conversation (PostgreSQL's advisory locks), and the check that refuses
several workers without them (docs/scaling.md)."""

from __future__ import annotations

from warmline.errors import ConfigurationError
from warmline.services.locks import ConversationLocks
from warmline.services.realtime import Broker
from warmline.settings import Settings
from warmline.storage.advisory_locks import AdvisoryLocks
from warmline.storage.database import is_sqlite


async def open_broker(settings: Settings) -> Broker:
    """The live events' broker: shared by every worker through NATS JetStream when
    ``nats_url`` is set, else in the process."""
    if settings.nats_url is None:
        return Broker()
    from warmline.services.realtime_nats import NatsBroker  # only with NATS configured

    url, stream = settings.nats_url, settings.nats_stream
    age, size = settings.nats_max_age_s, settings.nats_max_bytes
    return await NatsBroker.connect(url, stream=stream, max_age_s=age, max_bytes=size)


def check_workers(settings: Settings, count: int) -> None:
    """Several workers need a shared database and a shared live feed: SQLite (one writer, one
    process) and a missing NATS are refused with a ``ConfigurationError`` that says so."""
    if count <= 1:
        return
    if is_sqlite(settings.database_url):
        raise ConfigurationError(
            f"--workers {count} needs PostgreSQL (WARMLINE_DATABASE_URL=postgresql+asyncpg://...): "
            "the embedded SQLite database serves one process; run one worker, or see "
            "docs/scaling.md"
        )
    if not settings.nats_url:
        raise ConfigurationError(
            f"--workers {count} needs WARMLINE_NATS_URL (NATS with JetStream): without it a "
            "customer's live stream on one worker would miss what another records; see "
            "docs/scaling.md"
        )


def conversation_locks(settings: Settings) -> ConversationLocks:
    """One turn at a time per conversation: in the process on SQLite (one process), and also
    in the database on PostgreSQL, where several workers may share it."""
    if is_sqlite(settings.database_url):
        return ConversationLocks()
    return ConversationLocks(
        AdvisoryLocks(settings.database_url, timeout_s=settings.lock_timeout_s)
    )
