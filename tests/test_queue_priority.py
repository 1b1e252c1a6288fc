"""The agent queue serves an urgent handover (a health circumstance told: ``urgent_circumstance``)
before conversations that waited longer, and each customer's wait estimate follows its place."""

from __future__ import annotations

from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


async def test_two_waiting_conversations_are_served_urgent_first(runtime: Runtime) -> None:
    service, handoff = runtime.conversations, runtime.handoff
    handoff.presence.sign_in("ana", capacity=1)
    busy = (await service.start(None, USER)).conversation_id
    await service.request_person(busy)
    await handoff.claim(busy, "ana")  # ana's one slot is taken
    normal = (await service.start(None, USER)).conversation_id
    await service.request_person(normal)
    urgent = (await service.start(None, USER)).conversation_id
    await service.post_message(urgent, "my son is ill and can't travel")
    handed = await service.request_person(urgent)
    assert handed.decision is not None
    assert "urgent_circumstance" in handed.decision.reason_codes()

    queue = await handoff.queue()
    assert [(i.conversation_id, i.priority) for i in queue] == [
        (urgent, "urgent"),
        (normal, "normal"),
    ]
    assert queue[1].waiting_since <= queue[0].waiting_since  # the normal one waited longer
    # one slot, 300 s each: the urgent one is next, the normal one after it
    assert await handoff.estimate(urgent) == 300.0
    assert await handoff.estimate(normal) == 600.0
    pack = runtime.conversations.pack(None).pack.pack
    assert await handoff.estimate(None, pack, urgent=True) == 600.0  # behind the urgent only
    assert await handoff.estimate(None, pack) == 900.0  # behind both

    told = await service.post_message(normal, "still there?")
    assert "about 10 minutes" in told.replies[0].text  # its wait counts the urgent one

    await handoff.wrap_up(busy, "ana", "resolved")
    first = (await handoff.queue("ana"))[0]
    assert first.conversation_id == urgent  # the next one ana takes
    told = await service.post_message(normal, "hello?")
    assert "5 minutes" in told.replies[0].text  # ana's free slot is the urgent one's
