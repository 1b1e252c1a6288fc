"""The console a person works in, over HTTP: the profile with the customer's values, saved
replies, next best actions from what is still open, unread counts, the live packet, and
search (masked like the stored text, filtered by role)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import MINI_PACK, sign_in, test_settings
from warmline.domain.packet import Attempt, Packet
from warmline.services.console_assist import next_actions
from warmline.services.console_search import ConsoleSearch
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"  # Chen Jackson, 848 Elm Avenue, Seattle; reservations 4WQ150, ...
DEMO_AIRLINE = Path(__file__).resolve().parent.parent / "src/warmline/demo/packs/airline.yaml"


@pytest.fixture
async def runtime(  # type: ignore[no-untyped-def]
    encoder, model_cache: Path, backoffice_app, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """The test pack with the demo airline pack's console section (and the account's first
    name, which its saved replies use)."""
    console = yaml.safe_load(DEMO_AIRLINE.read_text("utf-8"))["console"]
    text = MINI_PACK.read_text("utf-8").replace(
        "    reservations: reservations\n",
        "    reservations: reservations\n    first_name: name.first_name\n",
    )
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(text + "\n" + yaml.safe_dump({"console": console}), "utf-8")
    built = await Runtime.build(
        test_settings(model_cache, packs=[str(pack)]),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    yield built
    await built.aclose()


async def _waiting(runtime: Runtime, *messages: str) -> str:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    for text in messages:
        await runtime.conversations.post_message(cid, text)
    await runtime.conversations.request_person(cid)
    return cid


def _unread(queue_html: str, cid: str) -> int:
    row = re.search(rf'data-(?:conversation|mine)="{cid}">(.*?)</tr>', queue_html, re.S)
    assert row, "the conversation is not in the queue"
    badge = re.search(r'class="unread"[^>]*>(\d+)', row.group(1))
    return int(badge.group(1)) if badge else 0


async def test_the_profile_shows_the_customers_values_and_saved_replies_are_filled_in(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = await _waiting(runtime)
    await sign_in(client)
    await client.post(f"/console/c/{cid}/claim")
    page = (await client.get(f"/console/c/{cid}")).text
    profile = page[page.index('id="customer"') :]
    assert "<dt>Name</dt><dd>\n      Chen Jackson" in profile.replace("  \n", "\n")
    assert "848 Elm Avenue, Suite 690, Seattle, WA 98174" in profile
    assert "first_name" not in profile and "last_name" not in profile  # values, not field names
    assert re.search(r"4WQ150: \w+ to \w+.*?status-pill status-\w+", profile, re.S)
    assert "silver" in profile  # the membership tier
    macro = re.search(r'data-shortcut="/greet" data-text="([^"]+)"', page)
    assert macro and macro.group(1).startswith("Hi Chen, I&#39;m ana from Warmline Air.")
    assert 'id="brand">Test Air<' in page


async def test_next_best_actions_skip_what_was_done_or_declined_and_say_why(
    runtime: Runtime,
) -> None:
    pack = runtime.conversations.pack("mini_airline")

    def packet(*attempts: Attempt) -> Packet:
        return Packet(
            conversation_id="c",
            pack="mini_airline",
            customer_id=USER,
            trigger=None,
            reasons=[],
            summary=[],
            intents=["cancel_reservation", "reservation_status"],
            entities={"reservation_id": ["4WQ150"]},
            feelings=[],
            attempts=list(attempts),
            transcript=[],
        )

    open_, settled = next_actions(pack, packet())
    assert [a.action for a in open_] == ["cancel_reservation", "get_reservation"]
    assert "not done yet" in open_[0].why and "4WQ150" in open_[0].details
    done = Attempt(action="cancel_reservation", params={"reservation_id": "4WQ150"}, outcome="done")
    open_, settled = next_actions(pack, packet(done))
    assert [a.action for a in open_] == ["get_reservation"]
    assert [(a.action, a.why) for a in settled] == [
        ("cancel_reservation", "already done in this conversation")
    ]
    declined = Attempt(action="cancel_reservation", params={}, outcome="declined")
    assert [a.action for a in next_actions(pack, packet(declined))[0]] == ["get_reservation"]
    failed = Attempt(action="cancel_reservation", params={}, outcome="failed", detail="timeout")
    why = next_actions(pack, packet(done, failed))[0][0].why
    assert "failed in the back office (timeout)" in why  # the last attempt counts


async def test_unread_counts_follow_what_the_agent_has_seen(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = await _waiting(runtime, "where is my reservation 4WQ150?", "hello?")
    await sign_in(client)
    queue = (await client.get("/console/queue")).text
    assert _unread(queue, cid) == 2 and 'data-unread="2"' in queue
    assert "Test Air" in queue  # each row names its brand
    await client.post(f"/console/c/{cid}/claim")
    await client.get(f"/console/c/{cid}")  # opening it reads everything
    assert _unread((await client.get("/console/queue")).text, cid) == 0
    await runtime.conversations.post_message(cid, "are you there?")
    queue = (await client.get("/console/queue")).text
    assert _unread(queue, cid) == 1 and 'data-unread="1"' in queue
    assert (await client.post(f"/console/c/{cid}/seen")).status_code == 204
    assert _unread((await client.get("/console/queue")).text, cid) == 0
    # the runtime's marks: shared by every worker through Redis when one is configured
    state, _ = await runtime.conversations.state(cid)
    assert runtime.read_marks.seen("ana", cid) == len(state.transcript)


async def test_the_packet_fragment_follows_the_conversation(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = await _waiting(runtime, "where is my reservation 4WQ150?")
    await sign_in(client)
    await client.post(f"/console/c/{cid}/claim")
    before = (await client.get(f"/console/c/{cid}/packet")).text
    assert "Last message" not in before
    await runtime.conversations.post_message(cid, "and my bags please")
    after = (await client.get(f"/console/c/{cid}/packet")).text
    assert "Last message: &#34;and my bags please&#34;" in after


async def test_search_finds_by_customer_code_and_text_and_masks_like_storage(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = await _waiting(
        runtime, "where is my reservation 4WQ150? write to chen.jackson9941@example.com"
    )
    other = (await runtime.conversations.start(None, "mia_li_3668")).conversation_id
    await sign_in(client)
    for query in ("chen_jackson", "4wq150", "WHERE IS MY", cid[:8]):
        page = (await client.get("/console/search", params={"q": query})).text
        assert f'data-result="{cid}"' in page, query
        assert f'data-result="{other}"' not in page, query
    masked = await client.get("/console/search", params={"q": "chen.jackson9941@example.com"})
    assert f'data-result="{cid}"' in masked.text and "c***@example.com" in masked.text
    # the raw address is not stored: another address with the same masked form finds it too
    lookalike = await client.get("/console/search", params={"q": "carl@example.com"})
    assert f'data-result="{cid}"' in lookalike.text
    assert "0 found" in (await client.get("/console/search", params={"q": "text"})).text
    entries = await runtime.audit.entries(subject="conversations")
    assert entries and all("example.com" not in str(e.detail) for e in entries)


async def test_an_agent_finds_only_the_conversations_they_may_open(runtime: Runtime) -> None:
    waiting = await _waiting(runtime, "my reservation 4WQ150 please")
    held = await _waiting(runtime, "my reservation 4WQ150 again")
    await runtime.handoff.claim(held, "ben")
    search = ConsoleSearch(runtime.conversations)
    as_ana = await search.find("4WQ150", "ana", sees_all=False)
    assert [h.conversation.id for h in as_ana.hits] == [waiting] and as_ana.hidden == 1
    as_ben = await search.find("4WQ150", "ben", sees_all=False)
    assert {h.conversation.id for h in as_ben.hits} == {waiting, held}
    supervisor = await search.find("4WQ150", "sue", sees_all=True)
    assert len(supervisor.hits) == 2 and supervisor.hidden == 0
