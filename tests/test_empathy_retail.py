"""Acknowledgements on the retail demo pack, in conversations on the arm of its opener
experiment that keeps them (the scenario runner cannot choose an arm, so these live here):
real trouble told calmly is acknowledged, an angry customer still is, a calm request is not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import test_settings
from warmline.domain.events import BotReplied, Decided, ExperimentAssigned
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime

CUSTOMER = "sofia_rossi_8776"


@pytest.fixture
async def retail(
    encoder: Encoder, model_cache: Path, backoffice_app: Any
) -> AsyncIterator[Runtime]:
    settings = test_settings(model_cache, packs=["retail"], default_pack="retail")
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=backoffice_app), encoder=encoder
    )
    yield runtime
    await runtime.aclose()


async def first_reply(runtime: Runtime, text: str) -> tuple[Any, str]:
    """The decision and the reply for ``text`` as the first turn of a conversation on an arm
    that keeps acknowledgements."""
    service = runtime.conversations
    spec = service.pack("retail").pack
    while True:
        started = await service.start("retail", CUSTOMER, "test")
        arms = [e for e in started.events if isinstance(e, ExperimentAssigned)]
        if all(spec.experiments[a.experiment].arms[a.arm].empathy for a in arms):
            break
    result = await service.post_message(started.conversation_id, text)
    decision = next(e.decision for e in result.events if isinstance(e, Decided))
    reply = " ".join(e.text or "" for e in result.events if isinstance(e, BotReplied))
    return decision, reply


async def test_a_vacuum_cleaner_arrived_broken_gets_the_trouble_acknowledgement(
    retail: Runtime,
) -> None:
    decision, reply = await first_reply(retail, "my vacuum cleaner arrived broken")
    ack = decision.acknowledgement
    assert ack is not None and ack.cause == "trouble"
    assert (ack.thing, ack.trouble) == ("vacuum cleaner", "arrived broken")
    assert reply.startswith("Sorry") and "frustrat" not in reply  # the casual register
    assert "vacuum cleaner arrived broken" in reply  # the reply names what went wrong


async def test_an_angry_retail_customer_is_still_acknowledged(retail: Runtime) -> None:
    decision, _ = await first_reply(retail, "I'm furious, my order still hasn't shipped")
    assert decision.acknowledgement is not None
    assert decision.acknowledgement.cause == "frustration"


@pytest.mark.parametrize(
    "text",
    ["I need to cancel my order", "I want to cancel my order", "I'd like to file a complaint"],
)
async def test_a_calm_retail_request_gets_none(retail: Runtime, text: str) -> None:
    decision, reply = await first_reply(retail, text)
    assert decision.acknowledgement is None and "frustrat" not in reply
