"""The two caches a turn reads through: the folded conversation state (kept up to date with
what other writers appended) and the customer's account (at most ``ttl_s`` old, dropped after a
write)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from warmline.connectors.backoffice import BackOfficeClient
from warmline.domain.conversation import fold
from warmline.domain.events import (
    BotReplied,
    ConversationStarted,
    Disclosed,
    Event,
    ExperimentAssigned,
    MessageReceived,
)
from warmline.domain.pack import DomainPack
from warmline.services.actions import ActionRunner
from warmline.services.customer_accounts import AccountCache
from warmline.services.state_cache import StateCache
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "file"])
async def repo(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ConversationRepository]:
    where = ":memory:" if request.param == "memory" else f"{tmp_path}/w.db"
    engine = create_engine(f"sqlite+aiosqlite:///{where}")
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    yield repo
    await repo.aclose()
    await engine.dispose()


async def _conversation(repo: ConversationRepository, cid: str) -> None:
    await repo.create(
        cid, "mini_airline", None, "web", [ConversationStarted(at=NOW, pack="p")], NOW
    )


async def test_a_cached_state_takes_in_what_another_writer_appended(
    repo: ConversationRepository,
) -> None:
    await _conversation(repo, "c1")
    cache = StateCache(repo)
    first = await cache.working("c1")
    await repo.append("c1", 1, [MessageReceived(at=NOW, text="from elsewhere")], NOW)
    again = await cache.working("c1")
    assert again is first and again.version == 2
    assert [line.text for line in again.transcript] == ["from elsewhere"]


async def test_a_new_conversation_s_first_turn_starts_from_its_opening_not_a_read_back(
    repo: ConversationRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = StateCache(repo)
    opening: list[Event] = [
        ConversationStarted(at=NOW, pack="mini_airline", customer_id="c9", verified_by="token"),
        ExperimentAssigned(at=NOW, experiment="tone", arm="warm"),
        BotReplied(at=NOW, text="Hi, I'm an AI assistant."),
        Disclosed(at=NOW, how="greeting"),
    ]
    await cache.create("c1", "mini_airline", "c9", "web", opening, NOW)
    stored = fold(await repo.events("c1"))

    async def read_back(conversation_id: str) -> list[Event]:
        raise AssertionError("the opening was read back")

    monkeypatch.setattr(repo, "events", read_back)
    state = await cache.working("c1")
    assert state == stored and state.version == 4
    await repo.append("c1", 4, [MessageReceived(at=NOW, text="hi")], NOW)
    assert (await cache.working("c1")).version == 5  # brought up to date as any cached state


async def test_another_process_s_append_to_an_sqlite_file_is_seen_and_only_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    engines = [create_engine(url), create_engine(url)]
    await upgrade(engines[0])
    here, there = (ConversationRepository(session_factory(e), single_writer=True) for e in engines)
    await _conversation(here, "c1")
    cache = StateCache(here)
    state = await cache.working("c1")
    reads: list[int] = []
    events_after = here.events_after

    async def counted(conversation_id: str, after: int) -> list[Event]:
        reads.append(after)
        return await events_after(conversation_id, after)

    monkeypatch.setattr(here, "events_after", counted)
    await cache.working("c1")
    assert reads == [] and not here.changed_since("c1", 1)  # nothing moved: no query
    await there.append("c1", 1, [MessageReceived(at=NOW, text="from elsewhere")], NOW)
    assert here.changed_since("c1", 1)
    assert (await cache.working("c1")) is state and state.version == 2 and reads == [1]
    assert [line.text for line in state.transcript] == ["from elsewhere"]
    for repo, engine in zip((here, there), engines, strict=True):
        await repo.aclose()
        await engine.dispose()


async def test_the_least_recently_used_state_is_forgotten_and_a_dropped_one_refolded(
    repo: ConversationRepository,
) -> None:
    for cid in ("a", "b", "c"):
        await _conversation(repo, cid)
    cache = StateCache(repo, size=2)
    a = await cache.working("a")
    await cache.working("b")
    await cache.working("a")  # a is now the most recent
    await cache.working("c")
    assert "a" in cache and "b" not in cache and "c" in cache
    cache.drop("a")
    assert "a" not in cache and (await cache.working("a")) is not a


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _accounts(status: int, clock: Clock, calls: list[str]) -> AccountCache:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if status != 200:
            return httpx.Response(status, json={"detail": "no"})
        return httpx.Response(200, json={"user_id": "u1", "reservations": ["4WQ150"]})

    client = BackOfficeClient(
        "http://bo.test", transport=httpx.MockTransport(handler), retries=0, backoff_s=0
    )
    return AccountCache(ActionRunner(client), ttl_s=10.0, now=clock)


async def test_an_account_is_reused_within_its_ttl_then_read_again(mini_pack: DomainPack) -> None:
    clock, calls = Clock(), []  # type: ignore[var-annotated]
    accounts = _accounts(200, clock, calls)
    customer, note = await accounts.get(mini_pack, "u1")
    assert customer is not None and customer.facts["reservations"] == ["4WQ150"] and note is None
    clock.t += 4
    again, note = await accounts.get(mini_pack, "u1")
    assert again is customer and note is not None and note.code == "account_cached"
    assert note.values["age_s"] == 4.0 and len(calls) == 1
    clock.t += 7  # 11 s after the read: past the limit
    await accounts.get(mini_pack, "u1")
    assert len(calls) == 2


async def test_a_write_makes_the_next_turn_read_the_account_afresh(mini_pack: DomainPack) -> None:
    clock, calls = Clock(), []  # type: ignore[var-annotated]
    accounts = _accounts(200, clock, calls)
    await accounts.get(mini_pack, "u1")
    accounts.forget(mini_pack.pack, "u1")
    _, note = await accounts.get(mini_pack, "u1")
    assert note is None and len(calls) == 2


@pytest.mark.parametrize(
    ("status", "code"), [(404, "account_not_found"), (503, "account_unavailable")]
)
async def test_a_missing_or_unreachable_account_is_a_reason_not_an_error(
    mini_pack: DomainPack, status: int, code: str
) -> None:
    accounts = _accounts(status, Clock(), [])
    customer, note = await accounts.get(mini_pack, "u1")
    assert customer is None and note is not None and note.code == code


async def test_without_a_customer_id_nothing_is_read(mini_pack: DomainPack) -> None:
    calls: list[str] = []
    assert await _accounts(200, Clock(), calls).get(mini_pack, None) == (None, None)
    assert calls == []
