"""The composition root: builds every service of a running warmline from ``Settings``."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.connectors.backoffice import BackOfficeClient
from warmline.connectors.stock_events import follow_stock_events
from warmline.domain.understanding import TurnContext
from warmline.knowledge import answer_check
from warmline.nlu.affect import AffectConfig, load_affect
from warmline.nlu.embeddings import Encoder, EncoderConfig, load_encoder
from warmline.services import telemetry
from warmline.services.actions import ActionRunner
from warmline.services.analytics import Analytics, rules_of
from warmline.services.anomaly import AnomalyGuard
from warmline.services.audit import AuditLog
from warmline.services.console_unread import ReadMarks
from warmline.services.conversations import ConversationService
from warmline.services.handoff import HandoffService
from warmline.services.knowledge import EmbeddingCache, KnowledgeBase, KnowledgeSource
from warmline.services.model_training import promoted_models
from warmline.services.packets import Packets
from warmline.services.packs import (
    PackRegistry,
    PackRuntime,
    PromotedModel,
    load_runtime,
    resolve_pack_path,
)
from warmline.services.presence import Presence
from warmline.services.realtime import Broker
from warmline.services.reports import Reports
from warmline.services.rollout import Rollouts
from warmline.services.stock import StockView
from warmline.services.turn.holds import CountingRecorder
from warmline.services.turn.knowledge import KnowledgeReader, language_model
from warmline.services.turn.stock_holds import Holds
from warmline.services.workers import conversation_locks, open_broker
from warmline.settings import Settings
from warmline.storage.analytics import AnalyticsRepository
from warmline.storage.anomaly import AnomalyRepository
from warmline.storage.audit import AuditRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import (
    checkpoint_forever,
    create_engine,
    is_sqlite,
    open_pool,
    session_factory,
)
from warmline.storage.knowledge import KnowledgeRepository
from warmline.storage.migrate import upgrade
from warmline.storage.rollout import RolloutRepository
from warmline.types import Clock, SystemClock

WARM_UP_TEXT = "Hi, can I change my booking ABC123 to next Friday? It's urgent!"
"""A turn that runs every part of the NLU once (intents, entities, dates, affect, language)."""


async def load_configured_encoder(settings: Settings) -> Encoder:
    """The sentence encoder ``settings`` name (folder, file, threads, arithmetic)."""
    return await asyncio.to_thread(
        load_encoder,
        EncoderConfig(
            model_dir=settings.encoder_dir,
            model_file=settings.encoder_file,
            threads=settings.encoder_threads,
            precision=settings.encoder_precision,
        ),
    )


async def load_packs(
    settings: Settings, encoder: Encoder | None, promoted: Mapping[str, PromotedModel] | None = None
) -> PackRegistry:
    """The encoder, the affect model and every pack of ``settings``, trained (or read from the
    model cache) with the reviewed corrections of the pack's promoted model in ``promoted``
    (``warmline train``)."""
    if encoder is None:
        encoder = await load_configured_encoder(settings)
    config = AffectConfig(model_dir=settings.affect_dir, screen=settings.affect_screen)
    affect = await asyncio.to_thread(load_affect, encoder, config)
    packs: dict[str, PackRuntime] = {}
    aliases: dict[str, str] = {}
    for source in settings.packs:
        runtime = await asyncio.to_thread(
            load_runtime, source, encoder, settings.model_dir, affect, promoted
        )
        packs[runtime.pack.pack] = runtime
        aliases[source] = aliases[Path(source).stem] = runtime.pack.pack
    return PackRegistry(packs, settings.default_pack, aliases)


def stock_holds(
    settings: Settings, service: ConversationService, background: list[asyncio.Task[None]]
) -> None:
    """The guide's stock view and holds, by the settings; with NATS, the view follows the back
    office's stock events (``connectors/stock_events.py``; without, its webhook)."""
    guide = service.perceiver.guide
    view = StockView(guide.runner.client, settings.stock_max_age_s)
    guide.holds = Holds(guide.runner, view, settings.hold_ttl_s)
    if settings.nats_url:
        follow = follow_stock_events(
            settings.nats_url, settings.stock_nats_stream, settings.stock_nats_subject, view.heard
        )
        background.append(asyncio.create_task(follow))


async def shared_state(
    settings: Settings, clock: Clock, background: list[asyncio.Task[None]]
) -> tuple[Presence, ReadMarks]:
    """Who is on shift and the console's read marks: in the process, or shared by every worker
    through Redis when ``redis_url`` is set (read once now, then kept in step by a background
    task; Redis away at start is logged and the worker starts with its own view)."""
    if not settings.redis_url:
        return Presence(clock, settings.agent_capacity), ReadMarks()
    from warmline.services.shared_state import SharedPresence, SharedReadMarks, SharedStore

    store = SharedStore(settings.redis_url, settings.redis_prefix, settings.shared_refresh_s)
    presence = SharedPresence(clock, store, settings.agent_capacity, ttl_s=settings.presence_ttl_s)
    marks = SharedReadMarks(store)
    await store.sync()
    background.append(asyncio.create_task(store.run()))
    return presence, marks


HOLDS_FRESH_S = 1.0  # a hold another worker sets is seen within a second


def anomaly_holds(
    settings: Settings, engine: AsyncEngine, service: ConversationService, audit: AuditLog
) -> AnomalyGuard:
    """Anomaly holds around every turn (``services/turn/holds.py``): the holds read before the
    policy decides, the turn's writes counted once it is recorded; in the database every
    worker shares."""
    postgres = not is_sqlite(settings.database_url)
    repo = AnomalyRepository(session_factory(engine), postgres=postgres)
    guard = AnomalyGuard(repo, service.clock, audit, fresh_s=HOLDS_FRESH_S)
    service.perceiver.on_hold = guard.holds
    service.recorder = CountingRecorder(service.recorder, guard)
    return guard


def projection(
    settings: Settings, engine: AsyncEngine, repo: ConversationRepository, clock: Clock | None
) -> Analytics:
    """The analytics, its projection kept in step with every append (docs/analytics.md)."""
    analytics = Analytics(AnalyticsRepository(engine), rules_of(settings), clock)
    repo.after_append = analytics.on_append
    return analytics


def governance(
    settings: Settings, engine: AsyncEngine, service: ConversationService, packs: PackRegistry
) -> AuditLog:
    """The audit log, and the rollout modes with their approval queue wired to the turn."""
    audit = AuditLog(AuditRepository(session_factory(engine)), service.clock)
    rollouts = Rollouts(RolloutRepository(session_factory(engine)), packs, audit, service.clock)
    rollouts.conversations, service.actor.rollouts = service, rollouts
    return audit


def backoffice_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None
) -> BackOfficeClient:
    """The back-office connector: retries, timeouts and a circuit breaker per operation
    (failures and slow calls), shared by every worker through Redis when it is configured."""
    return BackOfficeClient(
        settings.backoffice_url,
        timeout_s=settings.backoffice_timeout_s,
        transport=transport,
        circuit_threshold=settings.backoffice_circuit_threshold,
        circuit_open_s=settings.backoffice_circuit_open_s,
        slow_call_s=settings.backoffice_slow_call_s,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
    )


async def open_knowledge(
    settings: Settings, engine: AsyncEngine, packs: PackRegistry, clock: Clock | None = None
) -> KnowledgeBase | None:
    """The packs' knowledge (docs/knowledge.md): what changed in their folders ingested, the
    indexes built; None when no pack has a ``knowledge`` section."""
    sources: list[KnowledgeSource] = []
    for source in settings.packs:
        runtime = packs.resolve(source)
        found = KnowledgeSource.of(runtime.pack, resolve_pack_path(source))
        if found is not None and found.pack not in {s.pack for s in sources}:
            sources.append(found)
    if not sources:
        return None
    encoder = next(iter(packs.values())).nlu.encoder
    cache = EmbeddingCache(settings.model_dir / "knowledge")
    repository = KnowledgeRepository(session_factory(engine))
    knowledge = KnowledgeBase(repository, encoder, clock=clock, cache=cache)
    await knowledge.open(sources)
    return knowledge


async def knowledge_answers(
    settings: Settings, engine: AsyncEngine, service: ConversationService, clock: Clock | None
) -> KnowledgeBase | None:
    """The packs' knowledge, and the turn's knowledge stage answering from it
    (``services/turn/knowledge.py``), with the language model of ``WARMLINE_LLM_URL`` when
    one is set (for the packs whose ``knowledge.llm`` is on)."""
    knowledge = await open_knowledge(settings, engine, service.packs, clock)
    if knowledge is not None:
        service.perceiver.knowledge = KnowledgeReader(knowledge, language_model(settings))
        await asyncio.to_thread(answer_check.shipped)  # now, not on the first question (0.7 s)
    return knowledge


def one_blas_thread() -> None:
    """numpy's BLAS on one thread from here on: a turn multiplies one row by a matrix (the
    intent model's examples, the documents' vectors), which OpenBLAS splits over spinning
    threads once the matrix has a few thousand rows (a row by 2,000 x 256: 0.54 ms of CPU so,
    0.04 ms on one thread). A worker is one process per core; start-up training comes before."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def warm(packs: PackRegistry) -> None:
    """Read one turn with each pack, so that all loaded on first use (the language identifier,
    the date parser, the models' first run) is loaded now; then numpy's BLAS serves on one
    thread, and all that is loaded is frozen out of full garbage collections (their 0.3-0.8 s
    walk of it, a turn's pause): once per process, a worker's one runtime."""
    for runtime in packs.values():
        runtime.nlu.understand(WARM_UP_TEXT, TurnContext(now=datetime.now(UTC)))
    one_blas_thread()
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


@dataclass
class Runtime:
    settings: Settings
    conversations: ConversationService
    handoff: HandoffService
    repository: ConversationRepository
    backoffice: BackOfficeClient
    packs: PackRegistry
    broker: Broker
    audit: AuditLog
    _engine: AsyncEngine
    _background: list[asyncio.Task[None]]
    read_marks: ReadMarks = field(default_factory=ReadMarks)

    @property
    def rollouts(self) -> Rollouts:
        """Rollout modes and the approval queue (``services/rollout.py``)."""
        rollouts = self.conversations.actor.rollouts
        assert rollouts is not None  # wired by ``build``
        return rollouts

    anomaly: AnomalyGuard | None = None  # None: a runtime assembled without anomaly holds
    analytics: Analytics | None = None  # None: a runtime assembled without the projection
    knowledge: KnowledgeBase | None = None  # None: no pack has documents to answer from

    @property
    def packets(self) -> Packets:
        return self.conversations.packets

    @property
    def stock(self) -> StockView:
        """The stock view the guide offers choices and holds by (``services/stock.py``)."""
        return self.conversations.perceiver.guide.holds.stock

    @property
    def reports(self) -> Reports:
        return Reports(self.repository, self.packs)

    @classmethod
    async def build(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        encoder: Encoder | None = None,
        clock: Clock | None = None,
        migrate: bool = True,
    ) -> Self:
        """Open the database (migrating it), load and train the packs, connect the back office,
        and warm every model: once this returns, the first turn is as quick as any other."""
        telemetry.configure()  # traces from the OTEL_* variables, once per process
        engine = create_engine(settings.database_url)
        telemetry.instrument_engine(engine)
        if migrate:
            await upgrade(engine)
        repo = ConversationRepository(
            session_factory(engine), single_writer=is_sqlite(settings.database_url)
        )
        analytics = projection(settings, engine, repo, clock)
        packs = await load_packs(settings, encoder, await promoted_models(engine))
        client = backoffice_client(settings, telemetry.backoffice_transport(transport))
        broker = await open_broker(settings)
        service = ConversationService(
            repo,
            packs,
            ActionRunner(client),
            broker,
            clock or SystemClock(),
            max_message_chars=settings.max_message_chars,
            account_ttl_s=settings.account_ttl_s,
            verification_attempts=settings.verification_attempts,
        )
        service.locks = conversation_locks(settings)
        background: list[asyncio.Task[None]] = []
        stock_holds(settings, service, background)
        presence, marks = await shared_state(settings, service.clock, background)
        handoff = HandoffService(service, presence, default_handle_s=settings.handle_time_s)
        if is_sqlite(settings.database_url) and ":memory:" not in settings.database_url:
            background.append(asyncio.create_task(checkpoint_forever(engine)))
        audit = governance(settings, engine, service, packs)
        anomaly = anomaly_holds(settings, engine, service, audit)
        knowledge = await knowledge_answers(settings, engine, service, clock)
        await asyncio.to_thread(warm, packs)  # last: all that is loaded then frozen
        return cls(
            settings,
            service,
            handoff,
            repo,
            client,
            packs,
            broker,
            audit,
            engine,
            background,
            marks,
            anomaly,
            analytics,
            knowledge,
        )

    async def open_pools(self) -> None:
        """Open the database pools' connections (the main pool's and, on PostgreSQL, the turn
        locks'), so the first turns a server takes do not each wait for a new one; the server
        calls this before it says it is ready (``app.py``), a command that runs once does not."""
        await open_pool(self._engine)
        await self.conversations.locks.open()

    async def aclose(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        store = getattr(self.handoff.presence, "store", None)
        if store is not None:  # what this worker changed last reaches Redis before it goes
            await store.sync()
        await self.backoffice.aclose()
        reader = self.conversations.perceiver.knowledge
        if reader is not None and reader.llm is not None:
            await reader.llm.aclose()
        await self.broker.aclose()
        await self.conversations.locks.aclose()
        await self.repository.aclose()
        await self._engine.dispose()
