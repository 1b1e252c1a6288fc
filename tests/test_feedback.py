"""Feedback beyond the rating: the effort score (CES, 1-7) with or after the rating, once, and a
thumb on one bot reply (the last one counts), over the API and the chat page, and what the
analytics fold makes of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from warmline.analytics.outcomes import OutcomeRules, facts, fold
from warmline.domain.events import AnswerRated, BotReplied, ConversationStarted, EffortRated
from warmline.services.runtime import Runtime

HX = {"HX-Request": "true"}
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def _api_chat(client: httpx.AsyncClient) -> str:
    started = await client.post("/api/conversations", json={})
    assert started.status_code == 201
    return str(started.json()["conversation_id"])


async def _page_chat(client: httpx.AsyncClient) -> str:
    started = await client.post("/chat", data={})
    assert started.status_code == 303
    return started.headers["location"].split("/chat/")[1].split("?")[0]


async def test_the_api_takes_the_effort_score_beside_the_rating(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _api_chat(client)
    url = f"/api/conversations/{cid}/feedback"
    wrong = await client.post(url, json={"rating": 4, "ces": 8})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_request"
    assert (await client.post(url, json={"rating": 4, "ces": 6})).status_code == 204
    state, log = await runtime.conversations.state(cid)
    assert state.ratings == [4] and state.effort == 6
    assert [e.ces for e in log if isinstance(e, EffortRated)] == [6]
    assert (await client.post(url, json={"rating": 2, "ces": 1})).status_code == 409
    assert (await runtime.conversations.state(cid))[0].effort == 6


async def test_a_thumb_rates_one_bot_reply_and_a_later_one_replaces_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _api_chat(client)
    await client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"})
    lines = (await client.get(f"/api/conversations/{cid}")).json()["messages"]
    bot = next(i for i, m in enumerate(lines) if m["author"] == "bot")
    customer = next(i for i, m in enumerate(lines) if m["author"] == "customer")
    url = f"/api/conversations/{cid}/replies/{{}}/rating"
    assert (await client.post(url.format(bot), json={"helpful": False})).status_code == 204
    assert (await client.post(url.format(bot), json={"helpful": True})).status_code == 204
    for missing in (customer, len(lines)):
        gone = await client.post(url.format(missing), json={"helpful": True})
        assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    for bad in ({"helpful": "maybe"}, {}, {"helpful": True, "extra": 1}):
        assert (await client.post(url.format(bot), json=bad)).status_code == 422
    assert (await client.post(url.format(-1), json={"helpful": True})).status_code == 422
    state, log = await runtime.conversations.state(cid)
    assert state.thumbs == {bot: True}
    assert [e.helpful for e in log if isinstance(e, AnswerRated)] == [False, True]
    other = await _api_chat(client)
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://warmline.test"
    ) as stranger:  # no conversation token
        denied = await stranger.post(url.replace(cid, other).format(bot), json={"helpful": True})
    assert denied.status_code == 401


async def test_the_page_puts_thumbs_under_each_bot_answer_and_asks_the_effort(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await _page_chat(client)
    page = (await client.get(f"/chat/{cid}")).text
    forms = re.findall(r'action="/chat/[^/]+/replies/(\d+)/rating"', page)
    assert forms == ["0"] and 'aria-label="Helpful"' in page
    assert 'aria-label="Not helpful"' in page
    sent = await client.post(f"/chat/{cid}/messages", data={"text": "hello"}, headers=HX)
    assert re.findall(r"/replies/(\d+)/rating\"", sent.text)[0] == "2"
    thumbed = await client.post(
        f"/chat/{cid}/replies/0/rating", data={"helpful": "false"}, headers=HX
    )
    assert thumbed.status_code == 200 and "Thanks for your feedback." in thumbed.text
    assert re.search(r'value="false"[^>]*aria-pressed="true"', thumbed.text)
    assert (
        await client.post(f"/chat/{cid}/replies/1/rating", data={"helpful": "true"})
    ).status_code == 404
    rated = await client.post(f"/chat/{cid}/feedback", data={"rating": "5"}, headers=HX)
    assert "How easy was it to get what you needed?" in rated.text and 'name="ces"' in rated.text
    effort = await client.post(f"/chat/{cid}/effort", data={"ces": "7"}, headers=HX)
    assert effort.status_code == 200 and "Thank you for telling us." in effort.text
    again = await client.post(f"/chat/{cid}/effort", data={"ces": "1"}, headers=HX)
    assert again.status_code == 409
    state, _ = await runtime.conversations.state(cid)
    assert state.effort == 7 and state.thumbs == {0: False}
    page = (await client.get(f"/chat/{cid}")).text
    assert 'name="ces"' not in page and "Thank you for telling us." in page


async def test_a_pack_words_the_feedback_in_its_own_language(runtime: Runtime) -> None:
    responder = runtime.conversations.pack(None).responder
    assert responder.render("feedback_ces_question") == "How easy was it to get what you needed?"
    pack = responder.pack.model_copy(
        update={"templates": {**responder.pack.templates, "feedback_helpful": "Hilfreich"}}
    )
    from warmline.services.responder import Responder

    assert Responder(pack).render("feedback_helpful") == "Hilfreich"


def test_the_fold_counts_the_last_thumb_of_each_reply_and_the_effort() -> None:
    events = [
        ConversationStarted(at=NOW, pack="p"),
        BotReplied(at=NOW, text="hi"),
        AnswerRated(at=NOW, reply=0, helpful=False),
        AnswerRated(at=NOW, reply=0, helpful=True),
        AnswerRated(at=NOW, reply=2, helpful=False),
        EffortRated(at=NOW, ces=3),
    ]
    outcomes = facts(fold("c", events), NOW, OutcomeRules()).outcomes
    assert outcomes["thumbs_down_share"] == 0.5 and outcomes["ces"] == 3.0
    assert facts(fold("c", events[:2]), NOW, OutcomeRules()).outcomes["thumbs_down_share"] is None
