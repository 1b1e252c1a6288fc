"""The language model path of answers from documents, against a real OpenAI-compatible test
server on loopback returning scripted completions: a supported phrasing is used, one with an
unsupported claim is rejected for the extractive answer, a slow one past the timeout and a
500 fall back to the extractive answer, and no unmasked personal data leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.knowledge_runtime import Script, knowledge_runtime, scripted_app, serving
from warmline.connectors.llm import LanguageModelClient, PromptPassage
from warmline.errors import ConnectorError
from warmline.nlu.embeddings import Encoder
from warmline.services.conversations import TurnResult
from warmline.services.runtime import Runtime

QUESTION = "How much does it cost to take my dog in the cabin?"
SUPPORTED = "The pet fee is $125 per pet for each direction of travel."
UNSUPPORTED = "The pet fee is $125 per pet. Your pet also flies free on its birthday."
KEY = "sk-test-0123456789"


@pytest.fixture(scope="module")
def script() -> Script:
    return Script()


@pytest.fixture(scope="module")
def llm_url(script: Script) -> Iterator[str]:
    with serving(scripted_app(script)) as url:
        yield url


@pytest.fixture
async def runtime(
    encoder: Encoder, model_cache: Path, tmp_path: Path, llm_url: str, script: Script
) -> AsyncIterator[Runtime]:
    script.reply, script.status, script.delay_s = "I don't know.", 200, 0.0
    script.received.clear()
    async with knowledge_runtime(
        encoder,
        model_cache,
        tmp_path,
        llm_url=llm_url,
        llm_model="scripted",
        llm_api_key=KEY,
        llm_timeout_s=60.0,  # generous: only the slow case is about the timeout
    ) as built:
        yield built


async def ask(runtime: Runtime, text: str = QUESTION) -> TurnResult:
    started = await runtime.conversations.start("mini_airline")
    return await runtime.conversations.post_message(started.conversation_id, text)


def reason(result: TurnResult, code: str) -> dict[str, object]:
    assert result.decision is not None
    found = [r for r in result.decision.reasons if r.code == code]
    assert found, f"no {code} in {result.decision.reason_codes()}"
    return dict(found[0].values)


async def test_a_supported_phrasing_is_the_answer(runtime: Runtime, script: Script) -> None:
    script.reply = SUPPORTED
    result = await ask(runtime)
    assert reason(result, "knowledge_answered")["source"] == "llm"
    reply = result.replies[-1]
    assert reply.text == SUPPORTED
    assert [c.title for c in reply.citations] == ["Travelling with pets"]
    sent = script.received[-1]
    assert sent["authorization"] == f"Bearer {KEY}"
    body = sent["body"]
    assert body["model"] == "scripted"
    prompt = body["messages"][-1]["content"]
    assert "$125 per pet" in prompt and QUESTION in prompt  # the passages and the question
    assert "only" in body["messages"][0]["content"]


async def test_an_unsupported_claim_is_rejected_for_the_extractive_answer(
    runtime: Runtime, script: Script
) -> None:
    script.reply = UNSUPPORTED
    result = await ask(runtime)
    rejected = reason(result, "knowledge_llm_rejected")
    assert "birthday" in str(rejected["sentence"])
    assert reason(result, "knowledge_answered")["source"] == "extractive"
    reply = result.replies[-1]
    assert "birthday" not in reply.text and "$125" in reply.text
    assert reply.citations


async def test_a_slow_model_past_the_timeout_falls_back(runtime: Runtime, script: Script) -> None:
    reader = runtime.conversations.perceiver.knowledge
    assert reader is not None and reader.llm is not None
    url = str(reader.llm._client.base_url)
    short = LanguageModelClient(url, "scripted", timeout_s=0.5)
    reader.llm, script.reply, script.delay_s = short, SUPPORTED, 10.0
    try:
        result = await ask(runtime)
    finally:
        await short.aclose()
    assert "timed out" in str(result.decision.reasons if result.decision else "")
    reason(result, "knowledge_llm_failed")
    assert reason(result, "knowledge_answered")["source"] == "extractive"
    assert "$125" in result.replies[-1].text


async def test_a_server_error_falls_back(runtime: Runtime, script: Script) -> None:
    script.reply, script.status = SUPPORTED, 500
    result = await ask(runtime)
    assert result.decision is not None
    failed = next(r for r in result.decision.reasons if r.code == "knowledge_llm_failed")
    assert "500" in failed.detail
    assert reason(result, "knowledge_answered")["source"] == "extractive"


async def test_no_unmasked_personal_data_is_sent(runtime: Runtime, script: Script) -> None:
    script.reply = SUPPORTED
    email, card = "jane.doe@example.com", "4242 4242 4242 4242"
    result = await ask(runtime, f"I'm {email}, card {card}. {QUESTION}")
    assert script.received, "the model was not asked"
    sent = str(script.received[-1]["body"])
    assert email not in sent and card not in sent and "4242424242424242" not in sent
    assert "[card ending 4242]" in sent
    assert result.decision is not None


async def test_a_pack_without_llm_never_calls_the_model(
    encoder: Encoder, model_cache: Path, tmp_path: Path, llm_url: str, script: Script
) -> None:
    script.received.clear()
    script.reply, script.status, script.delay_s = SUPPORTED, 200, 0.0
    async with knowledge_runtime(
        encoder, model_cache, tmp_path, llm=False, llm_url=llm_url, llm_model="scripted"
    ) as plain:
        result = await ask(plain)
    assert reason(result, "knowledge_answered")["source"] == "extractive"
    assert script.received == []


async def test_the_client_translates_every_failure(llm_url: str, script: Script) -> None:
    passages = [PromptPassage("Travelling with pets", "Pets in the cabin", SUPPORTED)]
    async with LanguageModelClient(llm_url, "scripted", SecretStr(KEY), timeout_s=30) as llm:
        script.reply, script.status, script.delay_s = SUPPORTED, 200, 0.0
        assert await llm.answer("pet fee?", passages) == SUPPORTED
        script.reply = "I don't know."
        assert await llm.answer("pet fee?", passages) == ""
        script.status = 503
        with pytest.raises(ConnectorError, match="503"):
            await llm.answer("pet fee?", passages)
    script.status = 200
    async with LanguageModelClient("http://127.0.0.1:9/v1", "m", timeout_s=5) as nowhere:
        with pytest.raises(ConnectorError, match=r"unreachable|timed out"):
            await nowhere.answer("pet fee?", passages)
    assert KEY not in repr(SecretStr(KEY))
