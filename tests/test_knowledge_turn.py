"""Answers from the pack's documents through the conversation service: a question the
documents answer is answered with a citation, a near miss abstains and offers a person, a
confident intent still wins, off topic stays out of scope, and the decision's reasons carry
the passages, their scores and the check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.knowledge_runtime import knowledge_runtime
from warmline.domain.events import BotReplied, Decided
from warmline.nlu.embeddings import Encoder
from warmline.services.conversations import TurnResult
from warmline.services.runtime import Runtime


@pytest.fixture
async def runtime(encoder: Encoder, model_cache: Path, tmp_path: Path) -> AsyncIterator[Runtime]:
    async with knowledge_runtime(encoder, model_cache, tmp_path) as built:
        yield built


async def ask(runtime: Runtime, text: str) -> TurnResult:
    started = await runtime.conversations.start("mini_airline")
    return await runtime.conversations.post_message(started.conversation_id, text)


def codes(result: TurnResult) -> list[str]:
    assert result.decision is not None
    return result.decision.reason_codes()


async def test_a_question_the_documents_answer_is_answered_with_a_citation(
    runtime: Runtime,
) -> None:
    assert runtime.knowledge is not None
    result = await ask(runtime, "How much does it cost to take my dog in the cabin?")
    assert "knowledge_answered" in codes(result)
    reply = result.replies[-1]
    assert "$125 per pet" in reply.text
    assert [c.title for c in reply.citations] == ["Travelling with pets"]
    citation = reply.citations[0]
    assert citation.section == "Pets in the cabin"
    assert citation.url.startswith("/help/mini_airline/travelling-with-pets#")
    # the recorded event carries them too: the page draws them from the log
    stored = [e for e in result.events if isinstance(e, BotReplied)]
    assert stored[-1].citations == reply.citations


async def test_the_reasons_carry_the_passages_scores_and_check(runtime: Runtime) -> None:
    result = await ask(runtime, "How long is a travel certificate valid?")
    assert result.decision is not None
    passages = [r for r in result.decision.reasons if r.code == "knowledge_passage"]
    assert passages and passages[0].values["doc"] == "refunds"
    assert all(isinstance(r.values["score"], float) for r in passages)
    answered = next(r for r in result.decision.reasons if r.code == "knowledge_answered")
    assert answered.values["support"] == 1.0 and answered.values["source"] == "extractive"
    retrieval = answered.values["retrieval"]
    assert isinstance(retrieval, float) and retrieval >= float(str(answered.values["min_support"]))
    assert "one year" in result.replies[-1].text
    decided = next(e for e in result.events if isinstance(e, Decided))
    assert "knowledge_answered" in decided.decision.reason_codes()  # in the event log


async def test_a_near_miss_abstains_and_offers_a_person(runtime: Runtime) -> None:
    result = await ask(runtime, "Can my pet snake travel in the cabin with me?")
    assert "knowledge_answered" not in codes(result)
    assert "knowledge_abstained" in codes(result)
    reply = result.replies[-1]
    assert "couldn't find" in reply.text and not reply.citations
    assert reply.choices == ["talk to a person"]


async def test_a_confident_intent_still_wins(runtime: Runtime) -> None:
    result = await ask(runtime, "what is the baggage allowance")
    assert result.decision is not None and result.decision.template == "baggage_allowance"
    assert "knowledge_answered" not in codes(result)
    assert not result.replies[-1].citations


async def test_out_of_scope_stays_out_of_scope(runtime: Runtime) -> None:
    result = await ask(runtime, "Who won the football match last night?")
    assert result.decision is not None and result.decision.out_of_scope
    assert result.decision.template == "out_of_scope"
    assert "knowledge_answered" not in codes(result)


async def test_the_api_returns_the_citations(runtime: Runtime) -> None:
    import httpx

    from warmline.app import create_app

    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://warmline.test") as http:
        started = await http.post("/api/conversations", json={"pack": "mini_airline"})
        assert started.status_code == 201, started.text
        token = started.json()["conversation_token"]
        cid = started.json()["conversation_id"]
        posted = await http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "When does online check-in open?"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert posted.status_code == 200, posted.text
    reply = posted.json()["replies"][-1]
    assert "24 hours" in reply["text"]
    assert reply["citations"][0]["title"] == "At the airport"
    assert reply["citations"][0]["url"].startswith("/help/mini_airline/airport#")


def test_the_page_draws_citations_as_escaped_links_to_pages_only() -> None:
    from warmline.domain.grounding import Citation
    from warmline.web.pages import templates

    citations = [
        Citation(title="<b>Pets</b>", url="/help/airline/pets#fee", section="Fee & more"),
        Citation(title="script", url="javascript:alert(1)", section=""),
        Citation(title="elsewhere", url="//evil.example/x", section=""),
        Citation(title="backslash", url="/\\evil.example/x", section=""),
        Citation(title="company", url="https://help.example.com/pets#fee", section=""),
    ]
    html = templates.get_template("_citations.html").render(line={"citations": citations})
    assert "&lt;b&gt;Pets&lt;/b&gt;: Fee &amp; more" in html and "<b>" not in html
    assert 'href="/help/airline/pets#fee"' in html
    assert 'href="https://help.example.com/pets#fee"' in html
    assert "javascript:" not in html and "evil.example" not in html
    assert html.count("<a ") == 2
