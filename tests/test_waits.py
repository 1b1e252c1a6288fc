"""Wait estimates: the queue arithmetic, Erlang C, and what the waiting customer is told."""

from __future__ import annotations

import logging
import math

import pytest

from warmline.analytics.waits import (
    erlang_c,
    expected_wait,
    in_words,
    observed_handle_time,
    wait_for_position,
)
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


def test_a_free_slot_means_no_wait_and_each_place_adds_a_share_of_the_handle_time() -> None:
    assert wait_for_position(0, slots=4, free=1, handle_time_s=240) == 0.0
    assert wait_for_position(0, slots=4, free=0, handle_time_s=240) == 60.0
    assert wait_for_position(2, slots=4, free=0, handle_time_s=240) == 180.0
    assert wait_for_position(0, slots=0, free=0, handle_time_s=240) is None


def test_erlang_c_matches_the_closed_form() -> None:
    assert math.isclose(erlang_c(2, 1.0), 1 / 3)
    assert math.isclose(expected_wait(2, 1 / 240, 240.0), (1 / 3) * 240 / (2 - 1))
    assert expected_wait(2, 3 / 240, 240.0) == math.inf  # more work than agents


def test_the_observed_handle_time_needs_five_conversations() -> None:
    assert observed_handle_time([60] * 4, default_s=300) == 300  # four are not enough
    assert observed_handle_time([60] * 5, default_s=300) == 60
    assert observed_handle_time([1000] * 10 + [60] * 50, default_s=300) == 60  # the last 50


def test_waits_in_words() -> None:
    assert in_words(20) == "less than a minute"
    assert in_words(170) == "about 3 minutes"


async def test_the_customer_is_told_an_honest_wait_from_the_live_queue(runtime: Runtime) -> None:
    service = runtime.conversations
    nobody = await service.request_person((await service.start(None, USER)).conversation_id)
    assert "Nobody from our team is signed in" in nobody.replies[0].text
    runtime.handoff.presence.sign_in("ana", capacity=1)
    busy = (await service.start(None, USER)).conversation_id
    await service.request_person(busy)
    await runtime.handoff.claim(nobody.conversation_id, "ana")  # ana's one slot is taken
    # One customer (busy) is waiting ahead; a new one is second: 2 x 300 s / 1 slot.
    second = await service.request_person((await service.start(None, USER)).conversation_id)
    assert "about 10 minutes" in second.replies[0].text
    first = await service.post_message(busy, "still there?")
    assert "about 5 minutes" in first.replies[0].text  # updated as the customer waits


async def test_the_queue_routes_by_skill_and_flags_a_breached_service_level(
    runtime: Runtime,
) -> None:
    from datetime import timedelta

    from warmline.domain.pack import Handoff

    pack_runtime = runtime.conversations.pack(None)
    pack = pack_runtime.pack.model_copy(update={"handoff": Handoff(skill="airline", sla_wait_s=60)})
    runtime.conversations.packs.add(
        pack_runtime.__class__(pack, pack_runtime.nlu, pack_runtime.responder)
    )
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(cid)
    runtime.handoff.presence.sign_in("ana", ("airline",), 1)
    runtime.handoff.presence.sign_in("ben", ("retail",), 1)
    assert [i.conversation_id for i in await runtime.handoff.queue("ana")] == [cid]
    assert await runtime.handoff.queue("ben") == []
    assert await runtime.handoff.estimate(cid) == 0.0  # ana's slot is free; ben's does not count
    (item,) = await runtime.handoff.queue()
    assert not item.sla_breached
    later = item.waiting_since + timedelta(seconds=61)
    runtime.handoff.clock = type("Later", (), {"now": staticmethod(lambda: later)})()
    (item,) = await runtime.handoff.queue()
    assert item.sla_breached and item.waiting_s > 60


async def test_with_nobody_on_shift_an_escalation_still_logs_a_breached_service_level(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """The breach warning is how a team learns that customers wait past the pack's target;
    with nobody signed in (when it matters most) the next escalation's wait estimate reads the
    queue and logs it, though it has no estimate to give."""
    from datetime import timedelta

    service = runtime.conversations
    first = (await service.start(None, USER)).conversation_id
    await service.request_person(first)
    (item,) = await runtime.handoff.queue()
    later = item.waiting_since + timedelta(seconds=item.sla_wait_s + 1)
    runtime.handoff.clock = type("Later", (), {"now": staticmethod(lambda: later)})()
    second = (await service.start(None, USER)).conversation_id
    with caplog.at_level(logging.WARNING, logger="warmline"):
        told = await service.request_person(second)
    assert "Nobody from our team is signed in" in told.replies[0].text
    assert any(
        "service level breached" in r.getMessage() and first in r.getMessage()
        for r in caplog.records
    )
