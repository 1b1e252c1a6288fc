"""The customer's chat page over HTTP: who is answering (a person by name), the end of a
conversation and a new chat from it, idempotent posts, one rating, the widget's script, and the
live events a change of owner becomes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx

from warmline.api.streams import agent_display_name, stream_items
from warmline.domain.events import AgentJoined, AgentMessage, HandedBack, WrappedUp
from warmline.services.runtime import Runtime

from .conftest import test_settings

HX = {"HX-Request": "true"}
USER = "chen_jackson_3290"


async def _chat(client: httpx.AsyncClient, **form: str) -> str:
    started = await client.post("/chat", data={"customer_id": USER, **form})
    assert started.status_code == 303
    return started.headers["location"].split("/chat/")[1].split("?")[0]


def _attr_hidden(html: str, element_id: str) -> bool:
    tag = re.search(rf"<[a-z]+ [^>]*id=\"{element_id}\"[^>]*>", html)
    assert tag, element_id
    return " hidden" in tag.group(0)


async def test_the_page_names_the_person_who_joined_and_shows_when_it_ended(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _chat(client)
    page = (await client.get(f"/chat/{cid}")).text
    assert ">AI assistant</span>" in page and _attr_hidden(page, "ended")
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d\d:\d\d</time>', page)
    await runtime.conversations.request_person(cid)
    page = (await client.get(f"/chat/{cid}")).text
    assert not _attr_hidden(page, "status")
    await runtime.handoff.claim(cid, "ana")
    await runtime.handoff.reply(cid, "ana", "Hi, Ana here.")
    page = (await client.get(f"/chat/{cid}")).text
    assert "Ana (team)</span>" in page  # the badge and the message's author
    assert "Ana from the team has joined" in page
    assert _attr_hidden(page, "status") and _attr_hidden(page, "handoff")
    assert ">Agent<" not in page
    await runtime.handoff.wrap_up(cid, "ana", "resolved")
    page = (await client.get(f"/chat/{cid}")).text
    assert not _attr_hidden(page, "ended") and _attr_hidden(page, "composer")
    assert "The conversation has ended" in page and 'id="new-chat"' in page
    late = await client.post(f"/chat/{cid}/messages", data={"text": "one more thing"}, headers=HX)
    assert late.status_code == 200 and "was not sent" in late.text
    assert 'data-ended="1"' in late.text and 'class="notice"' not in late.text


async def test_a_new_chat_after_the_end_keeps_the_customer_and_the_pack(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _chat(client)
    page = (await client.get(f"/chat/{cid}")).text
    token = re.search(r'name="after_token" value="([^"]+)"', page)
    pack = re.search(r'name="pack" value="([^"]*)"', page)
    assert token and pack
    forged = await client.post("/chat", data={"after": cid, "after_token": "x", "pack": ""})
    assert forged.status_code == 403
    # the token opens nothing but a new chat: not the conversation itself
    answer = await client.get(
        f"/api/conversations/{cid}", headers={"authorization": f"Bearer {token.group(1)}"}
    )
    assert answer.status_code == 403
    nxt = await client.post(
        "/chat", data={"after": cid, "after_token": token.group(1), "pack": pack.group(1)}
    )
    assert nxt.status_code == 303
    new_id = nxt.headers["location"].rsplit("/", 1)[1]
    state, _ = await runtime.conversations.state(new_id)
    assert new_id != cid and state.customer_id == USER and state.pack == pack.group(1)


async def test_a_form_post_twice_with_one_key_is_one_message(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _chat(client)
    form = {"text": "where is my reservation 4WQ150?", "idempotency_key": "f-1"}
    first = await client.post(f"/chat/{cid}/messages", data=form, headers=HX)
    again = await client.post(f"/chat/{cid}/messages", data=form, headers=HX)
    assert first.status_code == again.status_code == 200 and "4WQ150" in again.text
    by_header = await client.post(
        f"/chat/{cid}/messages",
        data={"text": "where is my reservation 4WQ150?"},
        headers={**HX, "Idempotency-Key": "f-1"},
    )
    assert "4WQ150" in by_header.text
    _, events = await runtime.conversations.state(cid)
    assert sum(1 for e in events if e.kind == "message_received") == 1
    # a key too long is refused, never cut: two keys alike in 128 characters are two messages
    for long_key in ("k" * 128 + "1", "k" * 128 + "2"):
        refused = await client.post(
            f"/chat/{cid}/messages",
            data={"text": "hi"},
            headers={**HX, "Idempotency-Key": long_key},
        )
        assert "longer than 128 characters" in refused.text
    _, events = await runtime.conversations.state(cid)
    assert sum(1 for e in events if e.kind == "message_received") == 1


async def test_without_script_a_post_shows_the_page_again(client: httpx.AsyncClient) -> None:
    cid = await _chat(client)
    sent = await client.post(f"/chat/{cid}/messages", data={"text": "hello"})
    assert sent.status_code == 303 and sent.headers["location"] == f"/chat/{cid}"
    page = await client.get(f"/chat/{cid}")
    assert "hello" in page.text
    assert 'action="/chat/' in page.text  # every form posts without script


async def test_a_rating_is_thanked_once_and_a_second_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _chat(client)
    first = await client.post(f"/chat/{cid}/feedback", data={"rating": "4"}, headers=HX)
    assert "Thanks for your rating." in first.text and "already" not in first.text
    second = await client.post(f"/chat/{cid}/feedback", data={"rating": "1"}, headers=HX)
    assert "rated already" in second.text
    state, _ = await runtime.conversations.state(cid)
    assert state.ratings == [4]
    page = (await client.get(f"/chat/{cid}")).text
    assert "Thanks for your rating." in page and 'name="rating"' not in page


async def test_the_widget_script_may_be_loaded_by_any_site(client: httpx.AsyncClient) -> None:
    script = await client.get("/widget.js", headers={"Origin": "https://shop.example"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["access-control-allow-origin"] == "*"
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "warmline-launcher" in script.text


async def test_the_start_page_takes_the_pack_and_the_embedding(client: httpx.AsyncClient) -> None:
    page = (await client.get("/?pack=mini_airline&embed=1")).text
    assert re.search(r'<option value="mini_airline"\s+selected', page)
    assert 'name="embed" value="1"' in page
    framed = await client.post("/chat", data={"customer_id": USER, "embed": "1"})
    assert framed.status_code == 200 and "card chat embedded" in framed.text
    token = re.search(r'data-token="([^"]+)"', framed.text)  # for a frame that gets no cookie
    cid = re.search(r'data-conversation="([^"]+)"', framed.text)
    assert token and cid
    client.cookies.clear()
    bearer = {"authorization": f"Bearer {token.group(1)}", **HX}
    sent = await client.post(f"/chat/{cid.group(1)}/messages", data={"text": "hi"}, headers=bearer)
    assert sent.status_code == 200 and "hi" in sent.text
    plain = await client.get(f"/chat/{await _chat(client)}")
    assert "data-token" not in plain.text  # a page of its own site keeps the HttpOnly cookie


def test_changes_of_owner_become_live_events_with_the_persons_name(model_cache) -> None:  # type: ignore[no-untyped-def]
    settings = test_settings(model_cache)
    at = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    assert agent_display_name(settings, "dana") == "Dana"
    joined = stream_items(settings, AgentJoined(at=at, agent="dana"))
    assert joined == [
        {"event": "agent_joined", "data": json.dumps({"agent": "Dana", "at": at.isoformat()})}
    ]
    said = stream_items(settings, AgentMessage(at=at, agent="dana", text="hi"))
    assert said[0]["event"] == "message" and json.loads(said[0]["data"])["agent"] == "Dana"
    assert [i["event"] for i in stream_items(settings, HandedBack(at=at, agent="dana"))] == [
        "handed_back"
    ]
    wrapped = stream_items(settings, WrappedUp(at=at, agent="dana", disposition="resolved"))
    assert [i["event"] for i in wrapped] == ["wrapped_up"]
