"""Several workers in one test process: two runtimes on one PostgreSQL database
(WARMLINE_TEST_POSTGRES_URL) take turns of one conversation one at a time, and share live
events through NATS JetStream (WARMLINE_TEST_NATS_URL); a NATS outage fails no turn. Each
needs its servers and skips without them (`make unit` sets both)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from warmline.domain.events import Event, MessageReceived
from warmline.nlu.embeddings import Encoder
from warmline.services.realtime_nats import NatsBroker, subject_of
from warmline.services.runtime import Runtime
from warmline.storage.advisory_locks import lock_key

from .conftest import POSTGRES_URL, test_settings
from .live import free_port

NATS_URL = os.environ.get("WARMLINE_TEST_NATS_URL")
NATS_SERVER = shutil.which("nats-server")
needs_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
]
needs_nats = pytest.mark.skipif(not NATS_URL, reason="WARMLINE_TEST_NATS_URL not set")
WAIT_S = 30.0  # guards against a hang; no test measures speed


def test_lock_keys_are_stable_and_distinct_and_subjects_plain() -> None:
    assert lock_key("c1") == lock_key("c1") != lock_key("c2")
    assert -(2**63) <= lock_key(str(uuid.uuid4())) < 2**63
    cid = str(uuid.uuid4())
    assert subject_of(cid) == f"warmline.conv.{cid}"
    assert subject_of("a.b *>") == "warmline.conv." + b"a.b *>".hex()


@asynccontextmanager
async def worker(
    encoder: Encoder, model_cache: Path, backoffice_app: object, **overrides: object
) -> AsyncIterator[Runtime]:
    built = await Runtime.build(
        test_settings(model_cache, **overrides),
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    try:
        yield built
    finally:
        await built.aclose()


async def next_events(queue: asyncio.Queue[Event | None], count: int) -> list[Event | None]:
    return [await asyncio.wait_for(queue.get(), WAIT_S) for _ in range(count)]


async def until(check: object, what: str) -> None:
    for _ in range(int(WAIT_S * 10)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


def turns(log: list[Event]) -> list[list[Event]]:
    """The log cut at each customer message: one list per turn (the first is the start)."""
    cut: list[list[Event]] = [[]]
    for event in log:
        if isinstance(event, MessageReceived):
            cut.append([])
        cut[-1].append(event)
    return cut


@pytest.mark.parametrize("_", [pytest.param(None, marks=needs_postgres, id="postgres")])
async def test_two_workers_take_one_conversations_turns_one_at_a_time(
    _: None, encoder: Encoder, model_cache: Path, backoffice_app: object, postgres_database: str
) -> None:
    async with (
        worker(encoder, model_cache, backoffice_app, database_url=postgres_database) as a,
        worker(encoder, model_cache, backoffice_app, database_url=postgres_database) as b,
    ):
        cid = (await a.conversations.start(customer_id="chen_jackson_3290")).conversation_id
        texts = [f"hello {i}" for i in range(8)]
        posts = [
            (a if i % 2 else b).conversations.post_message(cid, text)
            for i, text in enumerate(texts)
        ]
        results = await asyncio.gather(*posts, return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []  # none refused
        log = await a.repository.events(cid)
        summary = await a.repository.get(cid)
    assert summary.version == len(log)  # versions consecutive: one event per version
    cut = turns(log)[1:]
    assert sorted(t[0].text for t in cut) == sorted(texts)  # type: ignore[attr-defined]
    for turn in cut:  # each turn's events together, all at the turn's time, none of another's
        assert len({e.at for e in turn}) == 1
        assert sum(isinstance(e, MessageReceived) for e in turn) == 1
        assert any(e.kind == "decided" for e in turn)


@needs_nats
async def test_a_subscriber_on_one_worker_sees_what_another_records(
    encoder: Encoder, model_cache: Path, backoffice_app: object, tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/shared.db"  # any shared store will do here
    async with (
        worker(encoder, model_cache, backoffice_app, database_url=database, nats_url=NATS_URL) as a,
        worker(encoder, model_cache, backoffice_app, database_url=database, nats_url=NATS_URL) as b,
    ):
        assert isinstance(a.broker, NatsBroker) and isinstance(b.broker, NatsBroker)
        cid = (await a.conversations.start()).conversation_id
        async with a.broker.subscribe(cid) as there, b.broker.subscribe(cid) as here:
            result = await b.conversations.post_message(cid, "hello")
            seen_there = await next_events(there, len(result.events))
            seen_here = await next_events(here, len(result.events))
        assert seen_there == seen_here == result.events  # the same events, in the same order
        assert a.broker.failed_publishes == b.broker.failed_publishes == 0


class NatsProcess:
    """A NATS server of a test's own, with JetStream, that the test stops and starts again."""

    def __init__(self, server: str, store: Path) -> None:
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.command = [server, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(store)]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsProcess]:
    if NATS_SERVER is None:
        pytest.skip("nats-server is not installed")
    server = NatsProcess(NATS_SERVER, tmp_path)
    server.start()
    yield server
    server.stop()


async def wait_listening(url: str) -> None:
    host, port = url.removeprefix("nats://").split(":")
    for _ in range(int(WAIT_S * 10)):
        try:
            _, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise AssertionError("nats-server never listened")


async def test_a_nats_outage_fails_no_turn_and_subscribers_are_told_twice(
    encoder: Encoder,
    model_cache: Path,
    backoffice_app: object,
    own_nats: NatsProcess,
) -> None:
    url = own_nats.url
    await wait_listening(url)
    other = await NatsBroker.connect(url, stream="WARMLINE", max_age_s=60, max_bytes=2**20)
    try:
        async with worker(encoder, model_cache, backoffice_app, nats_url=url) as a:
            assert isinstance(a.broker, NatsBroker)
            cid = (await a.conversations.start()).conversation_id
            async with a.broker.subscribe(cid) as local, other.subscribe(cid) as remote:
                first = await a.conversations.post_message(cid, "hello")
                assert await next_events(remote, len(first.events)) == first.events
                await next_events(local, len(first.events))

                own_nats.stop()  # the outage
                assert await next_events(remote, 1) == [None]  # told: its stream ends
                assert await next_events(local, 1) == [None]
                during = await a.conversations.post_message(cid, "are you there?")
                assert during.replies  # the customer is answered as ever
                await until(lambda: a.broker.failed_publishes >= 1, "the failure counted")
                assert await next_events(local, len(during.events)) == during.events
                assert (await a.repository.events(cid))[-len(during.events) :] == during.events

                own_nats.start()
                assert await next_events(remote, 1) == [None]  # back: read what was missed
                assert await next_events(local, 1) == [None]
                await until(lambda: a.broker.connected and other.connected, "reconnected")
                after = await a.conversations.post_message(cid, "hello again")
                assert await next_events(remote, len(after.events)) == after.events
    finally:
        await other.aclose()


@pytest.mark.parametrize(
    ("database", "nats", "refusal"),
    [
        ("sqlite+aiosqlite:///:memory:", NATS_URL or "nats://127.0.0.1:4222", "needs PostgreSQL"),
        ("postgresql+asyncpg://warmline@127.0.0.1:1/none", None, "needs WARMLINE_NATS_URL"),
    ],
)
def test_serve_refuses_several_workers_without_a_shared_database_and_feed(
    database: str, nats: str | None, refusal: str
) -> None:
    from typer.testing import CliRunner

    from warmline.cli import app

    env = {
        "WARMLINE_DATABASE_URL": database,
        "WARMLINE_NATS_URL": nats,
        "WARMLINE_WORKERS": None,
        "WARMLINE_SECRET_KEY": "k" * 40,
    }
    result = CliRunner().invoke(app, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 2
    assert refusal in " ".join(result.output.split())


async def test_a_stream_ends_when_the_live_feed_breaks(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    started = (await client.post("/api/conversations", json={})).json()
    cid, token = started["conversation_id"], started["conversation_token"]
    stream = asyncio.create_task(
        client.get(f"/api/conversations/{cid}/stream", headers={"authorization": f"Bearer {token}"})
    )
    await until(lambda: cid in runtime.broker._subscribers, "subscribed")
    runtime.broker.interrupt()  # what a NATS broker does when its connection drops or returns
    response = await asyncio.wait_for(stream, WAIT_S)  # ended: the client reconnects
    assert response.status_code == 200 and "event: ready" in response.text
    assert cid not in runtime.broker._subscribers


async def test_a_nats_server_unreachable_at_start_is_a_clear_error() -> None:
    from warmline.errors import ConfigurationError

    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ConfigurationError, match="cannot use NATS at"):
        await asyncio.wait_for(
            NatsBroker.connect(url, stream="WARMLINE", max_age_s=60, max_bytes=2**20), WAIT_S
        )
