"""The warm-transfer packet: what the person taking over sees, built from the event log."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import sign_in
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


async def _sign_in(client: httpx.AsyncClient, name: str) -> None:
    r = await sign_in(client, name)
    assert r.status_code == 303


async def test_the_packet_holds_what_happened_and_how_the_customer_felt(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    service = runtime.conversations
    earlier = (await service.start(None, USER)).conversation_id
    cid = (await service.start(None, USER)).conversation_id
    await service.post_message(cid, "where is my reservation 4WQ150?")
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": True})
    await service.post_message(
        cid, "This is the THIRD time I ask!!! Cancel reservation 4WQ150, change of plan"
    )
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": False})

    await _sign_in(client, "ana")
    r = await client.get(f"/api/agent/conversations/{cid}/packet")
    assert r.status_code == 200
    packet = r.json()
    assert packet["trigger"] == "action_failed"
    assert packet["customer_id"] == USER and packet["customer"]["user_id"] == USER
    assert [h["conversation_id"] for h in packet["history"]] == [earlier]
    assert "get_reservation" in [a["action"] for a in packet["attempts"]]
    failed = [a for a in packet["attempts"] if a["outcome"] == "failed"]
    assert failed and failed[0]["action"] == "cancel_reservation"
    assert packet["entities"]["reservation_id"] == ["4WQ150"]
    feelings = packet["feelings"]
    assert (
        len(feelings) == 2
        and feelings[0]["frustration"] < 0.3 <= 0.75 <= feelings[1]["frustration"]
    )
    assert "repeat_complaint" in feelings[1]["cues"]
    summary = " ".join(packet["summary"])
    assert '"where is my reservation 4WQ150?"' in summary  # the customer's own words
    assert (
        "Action cancel_reservation(reservation_id=4WQ150, reason=change_of_plan): failed" in summary
    )
    assert "Most frustrated at turn 2" in summary
    assert "Handed over because: action failed." in summary
    authors = [line["author"] for line in packet["transcript"]]
    assert authors[:3] == ["bot", "customer", "bot"]


async def test_a_packet_of_an_unknown_conversation_is_a_404(client: httpx.AsyncClient) -> None:
    await _sign_in(client, "ana")
    r = await client.get("/api/agent/conversations/nope/packet")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def _escalated(runtime: Runtime) -> str:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(cid)
    return cid


async def test_the_queue_lists_unclaimed_handovers_and_exactly_one_claim_wins(
    runtime: Runtime,
) -> None:
    import asyncio

    from warmline.errors import ConflictError

    cid = await _escalated(runtime)
    queue = await runtime.handoff.queue()
    assert [(q.conversation_id, q.trigger) for q in queue] == [(cid, "customer_request")]
    results = await asyncio.gather(
        runtime.handoff.claim(cid, "ana"),
        runtime.handoff.claim(cid, "ben"),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    assert await runtime.handoff.queue() == []
    state, _ = await runtime.conversations.state(cid)
    assert state.owner in ("ana", "ben")


async def test_two_processes_claiming_at_once_one_wins(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two services over the same database share no lock: the append's version check decides.
    The second process read the conversation just before the first one's claim landed."""
    from warmline.errors import ConflictError
    from warmline.services.conversations import ConversationService
    from warmline.services.handoff import HandoffService

    cid = await _escalated(runtime)
    c = runtime.conversations
    other = ConversationService(
        c.repo, c.packs, c.actor.runner, c.recorder.broker, c.clock, max_message_chars=2000
    )
    stale = await other.states.working(cid)  # what the second process read
    await runtime.handoff.claim(cid, "ana")  # the first process's claim lands

    async def nothing_new(conversation_id: str, after: int) -> list[object]:
        return []  # the second process's read happened before the claim

    monkeypatch.setattr(other.repo, "events_after", nothing_new)
    assert stale.owner is None
    with pytest.raises(ConflictError):
        await HandoffService(other).claim(cid, "ben")
    monkeypatch.undo()
    state, _ = await runtime.conversations.state(cid)
    assert state.owner == "ana"


async def test_while_a_person_owns_it_the_bot_is_silent(runtime: Runtime) -> None:
    cid = await _escalated(runtime)
    waiting = await runtime.conversations.post_message(cid, "hello? anyone?")
    assert waiting.replies  # before a claim the bot says a person is coming
    await runtime.handoff.claim(cid, "ana")
    turn = await runtime.conversations.post_message(cid, "where is my reservation 4WQ150?")
    assert turn.replies == [] and turn.decision is not None
    assert "person_owns" in turn.decision.reason_codes()
    await runtime.handoff.reply(cid, "ana", "Hi, I'm Ana. Let me check 4WQ150 for you.")
    state, _ = await runtime.conversations.state(cid)
    assert [line.author for line in state.transcript][-2:] == ["customer", "agent"]


async def test_only_the_owner_writes_and_hands_back_then_the_bot_answers_again(
    runtime: Runtime,
) -> None:
    import pytest

    from warmline.errors import ConflictError

    cid = await _escalated(runtime)
    await runtime.handoff.claim(cid, "ana")
    with pytest.raises(ConflictError, match="ana does"):
        await runtime.handoff.reply(cid, "ben", "hi")
    back = await runtime.handoff.hand_back(cid, "ana", "answered the bag question")
    assert back.status == "open" and "AI assistant" in back.replies[0].text
    turn = await runtime.conversations.post_message(cid, "where is my reservation 4WQ150?")
    assert turn.decision is not None and turn.decision.kind == "act"
    _, events = await runtime.conversations.state(cid)
    kinds = [e.kind for e in events]
    assert kinds.count("disclosed") == 2  # the greeting and the hand-back


async def test_wrap_up_records_the_outcome_and_the_corrected_intent(runtime: Runtime) -> None:
    import pytest

    from warmline.errors import InputError

    cid = await _escalated(runtime)
    await runtime.handoff.claim(cid, "ana")
    with pytest.raises(InputError):
        await runtime.handoff.wrap_up(cid, "ana", "resolved", corrected_intent="no_such_intent")
    done = await runtime.handoff.wrap_up(cid, "ana", "resolved", "reservation_status")
    assert done.status == "closed"
    _, events = await runtime.conversations.state(cid)
    wrapped = next(e for e in events if e.kind == "wrapped_up")
    assert wrapped.corrected_intent == "reservation_status"  # type: ignore[union-attr]


async def test_the_agent_api_claims_replies_and_refuses_a_second_claim(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = await _escalated(runtime)
    await _sign_in(client, "ana")
    queue = (await client.get("/api/agent/queue")).json()
    assert [row["conversation_id"] for row in queue] == [cid]
    claimed = await client.post(f"/api/agent/conversations/{cid}/claim")
    assert claimed.status_code == 200 and claimed.json()["trigger"] == "customer_request"
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://warmline.test"
    ) as ben:
        await _sign_in(ben, "ben")
        second = await ben.post(f"/api/agent/conversations/{cid}/claim")
        assert second.status_code == 409
        assert second.headers["content-type"] == "application/problem+json"
        not_his = await ben.post(f"/api/agent/conversations/{cid}/messages", json={"text": "hi"})
        assert not_his.status_code == 409
    sent = await client.post(f"/api/agent/conversations/{cid}/messages", json={"text": "Hi!"})
    assert sent.status_code == 204
    empty = await client.post(f"/api/agent/conversations/{cid}/messages", json={"text": ""})
    assert empty.status_code == 422


async def test_the_agent_api_and_the_packet_need_a_signed_in_agent(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = await _escalated(runtime)
    for method, path in (
        ("GET", "/api/agent/queue"),
        ("GET", f"/api/agent/conversations/{cid}/packet"),
        ("POST", f"/api/agent/conversations/{cid}/claim"),
    ):
        r = await client.request(method, path)
        assert r.status_code == 401, path
        assert r.headers["content-type"] == "application/problem+json"
    state, _ = await runtime.conversations.state(cid)
    assert state.owner is None  # nothing was claimed


async def test_with_nobody_on_shift_the_customer_leaves_a_contact_and_gets_a_reference(
    runtime: Runtime,
) -> None:
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    handed = await service.request_person(cid)
    assert "Leave your email address or phone number" in handed.replies[0].text
    turn = await service.post_message(cid, "sure, it's chen.jackson@example.com")
    # the reply is recorded masked; the packet keeps the contact the call-back needs
    assert "contact you at c***@example.com" in turn.replies[0].text
    assert cid[:8].upper() in turn.replies[0].text
    assert turn.decision is not None and "callback_requested" in turn.decision.reason_codes()
    packet = await runtime.packets.packet(cid)
    assert packet.callback == "email chen.jackson@example.com"
    assert "Asked to be contacted by email chen.jackson@example.com." in packet.summary
    assert [q.conversation_id for q in await runtime.handoff.queue()] == [cid]  # still a ticket


def test_contacts_are_found_in_text() -> None:
    from warmline.nlu.values import find_contact

    assert find_contact("mail me at a.b+c@mail.example.org please") == (
        "email",
        "a.b+c@mail.example.org",
    )
    assert find_contact("call +1 (415) 555-0134 after 5") == ("phone", "+1 (415) 555-0134")
    assert find_contact("my reservation 4WQ150, flight HAT170 on 2024-05-22") is None
    assert find_contact("my order is 100234567") is None  # an order number, not a phone
    assert find_contact("ring 555-0134") == ("phone", "555-0134")
    assert find_contact("4155550134") == ("phone", "4155550134")


async def test_signing_out_puts_held_conversations_back_in_the_queue(runtime: Runtime) -> None:
    cid = await _escalated(runtime)
    await runtime.handoff.claim(cid, "ana")
    assert await runtime.handoff.queue() == []
    assert await runtime.handoff.leave("ana") == [cid]
    assert [q.conversation_id for q in await runtime.handoff.queue()] == [cid]
    await runtime.handoff.claim(cid, "ben")  # another person can take it now
    state, _ = await runtime.conversations.state(cid)
    assert state.owner == "ben"


async def test_after_a_hand_back_earlier_frustration_does_not_count(runtime: Runtime) -> None:
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    await service.post_message(cid, "ugh I am so annoyed, this is a nightmare")
    await service.request_person(cid)
    await runtime.handoff.claim(cid, "ana")
    await runtime.handoff.hand_back(cid, "ana", "explained the delay")
    turn = await service.post_message(cid, "I am still so annoyed about all of this")
    assert turn.status == "open"  # one frustrated turn after the hand-back is not two
    packet = await runtime.packets.packet(cid)
    assert packet.trigger is None and "Note from ana: explained the delay" in packet.summary
