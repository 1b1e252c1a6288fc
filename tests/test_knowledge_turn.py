"""Answers from the pack's documents through the conversation service: a question the
documents answer is answered with a citation, a near miss abstains and offers a person, a
confident intent still wins, off topic stays out of scope, and the decision's reasons carry
the passages, their scores and the check; the search reuses the turn's embedding of the same
text, never that of a text whose personal data was left out of the search."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.knowledge_runtime import knowledge_runtime
from warmline.domain.events import BotReplied, Decided, Understood
from warmline.knowledge.passage import Passage
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
    # the help page is on pets in the cabin, and says nothing of vaccinations
    result = await ask(runtime, "Does my pet need a vaccination certificate to fly in the cabin?")
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


class SearchesSeen:
    """The knowledge base's searches in a turn: each query and the embedding handed with it."""

    def __init__(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        base = runtime.knowledge
        assert base is not None
        self.calls: list[tuple[str, NDArray[np.float32] | None]] = []
        search = base.search

        async def recorded(
            pack: str, query: str, k: int = 5, embedding: NDArray[np.float32] | None = None
        ) -> list[Passage]:
            self.calls.append((query, embedding))
            return await search(pack, query, k, embedding)

        monkeypatch.setattr(base, "search", recorded)


def searched_with(encoder: Encoder, query: str, embedding: NDArray[np.float32] | None) -> Any:
    """The vector the search compared: the one handed, else the query's own encoding."""
    return encoder.encode([query])[0] if embedding is None else embedding


async def test_the_search_reuses_the_turns_embedding_of_the_same_text(
    runtime: Runtime, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = SearchesSeen(runtime, monkeypatch)
    question = "How much does it cost to take my dog in the cabin?"
    result = await ask(runtime, question)
    assert "knowledge_answered" in codes(result)
    [(query, embedding)] = seen.calls
    assert query == question
    assert embedding is not None  # the NLU's, not a second encoder run
    assert np.allclose(embedding, encoder.encode([question])[0], atol=1e-5)
    # the recorded understanding carries no vector
    understood = next(e for e in result.events if isinstance(e, Understood))
    assert longest_list(json.loads(understood.model_dump_json())) < 100


async def test_a_question_with_personal_data_left_out_is_encoded_without_it(
    runtime: Runtime, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = SearchesSeen(runtime, monkeypatch)
    question = "How much does it cost to take my dog in the cabin?"
    text = f"I'm jane.doe@example.com. {question}"
    await ask(runtime, text)
    [(query, embedding)] = seen.calls
    assert "@" not in query and "jane" not in query
    used = searched_with(encoder, query, embedding)
    # the vector compared is the masked question's, never the one of the text with the email
    assert np.allclose(used, encoder.encode([query])[0], atol=1e-5)
    assert not np.allclose(used, encoder.encode([text])[0], atol=1e-3)


def longest_list(value: Any) -> int:
    """The length of the longest list anywhere in a decoded JSON value."""
    if isinstance(value, dict):
        return max((longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max([len(value), *(longest_list(v) for v in value)])
    return 0
