"""The turn's lock begins its transaction in the same message (PostgreSQL,
WARMLINE_TEST_POSTGRES_URL; skipped without it): the transaction asyncpg is handed is the one the
server runs (its work commits, a rollback leaves nothing); a lock waited for past ``timeout_s``
is a storage error that leaves no transaction open on a pooled connection; an asyncpg that keeps
its transactions otherwise is refused when the locks open."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from asyncpg.transaction import Transaction
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from warmline.domain.events import BotReplied, ConversationStarted, MessageReceived
from warmline.errors import ConfigurationError, StorageError
from warmline.storage.advisory_locks import AdvisoryLocks, check_driver
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade
from warmline.storage.turn_transaction import bound

from .conftest import POSTGRES_URL, empty_postgres

NOW = datetime(2026, 1, 1, tzinfo=UTC)
postgres = pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set")


def test_a_driver_or_adapter_without_the_transaction_state_used_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_driver()  # the installed asyncpg has it
    monkeypatch.setattr(Transaction, "__slots__", ("_connection", "_managed"))
    with pytest.raises(ConfigurationError, match="one round trip"):
        check_driver()
    monkeypatch.undo()
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "__slots__", ("readonly",))
    with pytest.raises(ConfigurationError, match="one round trip"):
        check_driver()


@postgres
@pytest.mark.postgres
async def test_the_lock_and_what_the_turn_does_are_one_server_transaction(
    postgres_database: str,
) -> None:
    engine = create_engine(postgres_database)
    await empty_postgres(engine)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=False)
    started = [ConversationStarted(at=NOW, pack="airline"), BotReplied(at=NOW, text="hi")]
    await repo.create("c1", "airline", None, "web", started, NOW)
    locks = AdvisoryLocks(postgres_database, pool_size=1)
    try:
        with pytest.raises(RuntimeError):
            async with locks.hold("c1"):
                connection = bound("c1")
                assert connection is not None and connection.in_transaction()
                await connection.execute(text("CREATE TEMP TABLE scratch (n int)"))
                xid = (await connection.execute(text("SELECT txid_current()"))).scalar()
                again = (await connection.execute(text("SELECT txid_current()"))).scalar()
                assert xid == again  # one transaction, begun with the lock
                raise RuntimeError("the turn failed")
        async with locks.hold("c1"):  # same pooled connection: the rollback undid the table
            connection = bound("c1")
            assert connection is not None
            gone = "SELECT to_regclass('pg_temp.scratch') IS NULL"
            assert (await connection.execute(text(gone))).scalar() is True
            assert await repo.append("c1", 2, [MessageReceived(at=NOW, text="x")], NOW) == 3
        assert [getattr(e, "text", None) for e in await repo.events("c1")][-1] == "x"
    finally:
        await locks.aclose()
        await engine.dispose()


@postgres
@pytest.mark.postgres
async def test_a_lock_waited_for_too_long_is_a_storage_error_and_leaves_the_pool_clean(
    postgres_database: str,
) -> None:
    holder = AdvisoryLocks(postgres_database, pool_size=1)
    waiter = AdvisoryLocks(postgres_database, pool_size=1, timeout_s=0.2)
    try:
        async with holder.hold("c9"):
            with pytest.raises(StorageError):
                async with waiter.hold("c9"):
                    raise AssertionError("the lock was held by another")
        async with waiter.hold("c9"):  # free now: the waiter's pool serves a clean connection
            connection = bound("c9")
            assert connection is not None
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await asyncio.gather(holder.aclose(), waiter.aclose())
