"""The stock race: customers in concurrent conversations all ask to exchange (or, for a pending
order, change) their jigsaw puzzle for one variant that has only a few units left, while other
stock changes arrive as the back office's events (its webhook, into warmline's stock view).
Shared by ``tests/test_stock_race.py`` and ``benchmarks/stock_race.py``.

Each customer answers what the bot asks the way a person set on that variant would: the
variant's label when it is offered, the first payment method when one is asked for, "yes" to
the confirmation. What comes back is counted: confirmations (promises), those carrying a hold
made in the back office, the writes done, the customers told the option sold out, and what the
back office's stock says afterwards.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from warmline.app import create_app
from warmline.demo.backoffice.app import create_app as create_backoffice
from warmline.demo.backoffice.store import shipped_table
from warmline.domain.events import ActionExecuted
from warmline.nlu.embeddings import Encoder
from warmline.services.conversations import ConversationService
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

PRODUCT = "1808611083"  # Jigsaw Puzzle: delivered in 43 orders, pending in 31
TARGET = "1096508426"  # pieces 500, theme art, difficulty level beginner
WEBHOOK = "http://warmline.test/api/stock/events"
MAX_TURNS = 6


@dataclass(frozen=True)
class Racer:
    user_id: str
    order_id: str
    status: str  # delivered (an exchange) or pending (an item change)

    def opening(self) -> str:
        if self.status == "delivered":
            return f"I want to exchange the jigsaw puzzle I got in order {self.order_id}"
        return f"I want to change the jigsaw puzzle in my pending order {self.order_id}"


@dataclass
class Outcome:
    racer: Racer
    promised: int = 0  # confirmations asked for
    held: int = 0  # ... of them with a hold id and the stock_held reason
    executed: bool = False
    awaiting: bool = False  # the yes waits for a person's approval (a write's rollout mode)
    told_sold_out: bool = False
    last_reply: str = ""
    turn_s: list[float] = field(default_factory=list)


@dataclass
class RaceResult:
    units: int
    outcomes: list[Outcome]
    stock_after: dict[str, Any]
    oversold: int
    events_heard: int
    wall_s: float

    @property
    def promises(self) -> int:
        return sum(o.promised for o in self.outcomes)

    @property
    def held(self) -> int:
        return sum(o.held for o in self.outcomes)

    @property
    def executed(self) -> int:
        return sum(o.executed for o in self.outcomes)

    @property
    def awaiting(self) -> int:
        return sum(o.awaiting for o in self.outcomes)

    @property
    def told_sold_out(self) -> int:
        return sum(o.told_sold_out for o in self.outcomes)

    def p50_turn_s(self) -> float:
        return statistics.median(t for o in self.outcomes for t in o.turn_s)


def racers(count: int) -> list[Racer]:
    """``count`` customers, each with an order holding one jigsaw puzzle that is not the
    target variant: the delivered orders first, then pending ones (one order per racer)."""
    found: dict[str, list[Racer]] = {"delivered": [], "pending": []}
    for order_id, order in sorted(shipped_table("retail", "orders").items()):
        items = [i for i in order["items"] if i["product_id"] == PRODUCT]
        if order["status"] not in found or len(items) != 1 or items[0]["item_id"] == TARGET:
            continue
        found[order["status"]].append(Racer(order["user_id"], order_id, order["status"]))
    chosen = [*found["delivered"], *found["pending"]][:count]
    assert len(chosen) == count, f"only {len(chosen)} orders hold a jigsaw puzzle"
    return chosen


@asynccontextmanager
async def race_runtime(
    encoder: Encoder | None, model_dir: Path, workdir: Path
) -> AsyncIterator[tuple[Runtime, Any]]:
    """A retail runtime (its database a file in ``workdir``: turns of many conversations
    overlap) over an in-process back office whose stock webhook reaches it."""
    backoffice = create_backoffice()
    settings = get_settings(
        database_url=f"sqlite+aiosqlite:///{workdir}/race.db",
        packs=["retail"],
        default_pack="retail",
        backoffice_url="http://backoffice.test",
        model_dir=model_dir,
        environment="test",
        customer_picker=True,
    )
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=backoffice), encoder=encoder
    )
    events = backoffice.state.stock_events
    events.webhook_urls = [WEBHOOK]
    events.webhook_secret = settings.stock_webhook_secret
    events.transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    try:
        yield runtime, backoffice
    finally:
        await events.aclose()
        await runtime.aclose()


async def converse(service: ConversationService, racer: Racer) -> Outcome:
    outcome = Outcome(racer)
    started = await service.start("retail", racer.user_id, "test")
    text = racer.opening()
    for _ in range(MAX_TURNS):
        began = time.perf_counter()
        result = await service.post_message(started.conversation_id, text)
        outcome.turn_s.append(time.perf_counter() - began)
        decision = result.decision
        reply = " ".join(r.text for r in result.replies)
        outcome.last_reply = reply
        if decision is None:
            break
        if decision.kind == "confirm":
            outcome.promised += 1
            hold_id = decision.params.get("hold_id")
            if hold_id and any(
                r.code == "stock_held" and r.values.get("hold_id") == hold_id
                for r in decision.reasons
            ):
                outcome.held += 1
            text = "yes"
            continue
        if decision.kind == "act":
            outcome.executed = any(isinstance(e, ActionExecuted) for e in result.events)
            outcome.awaiting = any(e.kind == "action_awaiting_approval" for e in result.events)
            break
        if "just sold out" in reply.lower():
            outcome.told_sold_out = True
            break
        values = list(decision.choice_values)
        if decision.kind == "clarify" and TARGET in values:
            text = decision.choices[values.index(TARGET)]
        elif decision.kind == "clarify" and decision.missing == "payment_method_id":
            text = decision.choices[0]
        else:
            break
    return outcome


async def other_sales(backoffice: Any, stop: asyncio.Event, seed: int = 7) -> int:
    """Other channels' sales and deliveries of the product's other variants, as stock events,
    until ``stop``; returns how many changes were made."""
    variants = [v for v in shipped_table("retail", "products")[PRODUCT]["variants"] if v != TARGET]
    dice = random.Random(seed)
    changes = 0
    transport = httpx.ASGITransport(app=backoffice)
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice.test") as bo:
        while not stop.is_set():
            variant = dice.choice(variants)
            await bo.put(f"/_admin/stock/{variant}", json={"stock": dice.randint(0, 9)})
            changes += 1
            await asyncio.sleep(0.01)
    return changes


async def race(runtime: Runtime, backoffice: Any, *, customers: int, units: int) -> RaceResult:
    """Put ``units`` units of the target on sale and let ``customers`` race for them."""
    transport = httpx.ASGITransport(app=backoffice)
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice.test") as bo:
        await bo.put(f"/_admin/stock/{TARGET}", json={"stock": units})
        stop = asyncio.Event()
        noise = asyncio.create_task(other_sales(backoffice, stop))
        began = time.perf_counter()
        outcomes = await asyncio.gather(
            *(converse(runtime.conversations, r) for r in racers(customers))
        )
        wall = time.perf_counter() - began
        stop.set()
        await noise
        await backoffice.state.stock_events.drain()
        after = (await bo.get(f"/retail/stock/{TARGET}")).json()
    return RaceResult(
        units,
        list(outcomes),
        after,
        backoffice.state.store.stock.oversold,
        runtime.stock.events_heard,
        wall,
    )
