"""HTTP client of an OpenAI-compatible chat completions endpoint (``POST {url}/chat/completions``),
used only to phrase an answer from retrieved passages; every sentence it returns is checked
against the passages before a customer reads it (``knowledge/support.py``).

The prompt holds the customer's question as the caller gives it (masked of personal data:
``services/turn/knowledge.py``) and the passages, and asks for an answer from them only. The
key is sent as a bearer token and never logged or shown (``SecretStr``). Everything that can go
wrong on the wire is translated here into ``ConnectorError`` (a timeout, a refused connection,
an error status, an answer without a message): no ``httpx`` exception leaves this module. One
attempt per question, no retry (the customer is waiting; the extractive answer is there), and a
circuit breaker (``connectors/breakers.py``): after ``circuit_threshold`` failed or slow calls
in a row the model is not asked for ``circuit_open_s`` seconds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from purgatory.domain.model import OpenedState
from pydantic import SecretStr

from warmline.connectors.breakers import Breakers
from warmline.errors import ConnectorError

OPERATION = "llm"
SYSTEM_PROMPT = (
    "You answer a customer's question for a company's support chat, using only the numbered "
    "passages from the company's own help pages. Write one to three short sentences that "
    "answer the question. State only what the passages say: no fact, number, name or promise "
    "that is not in them, and no advice of your own. If the passages do not answer the "
    "question, reply exactly: I don't know."
)
MAX_ANSWER_CHARS = 1200


@dataclass(frozen=True)
class PromptPassage:
    """A passage as the model reads it: its title and section, and its text."""

    title: str
    section: str
    text: str


class LanguageModelClient:
    """One ``httpx.AsyncClient`` to one chat completions endpoint; use as an async context
    manager or call ``aclose``."""

    def __init__(
        self,
        url: str,
        model: str,
        api_key: SecretStr | None = None,
        *,
        timeout_s: float = 3.0,
        max_tokens: int = 200,
        circuit_threshold: int = 5,
        circuit_open_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.model, self.max_tokens, self.timeout_s = model, max_tokens, timeout_s
        headers = {"Accept": "application/json"}
        if api_key is not None and api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers=headers,
        )
        self.breakers = Breakers(circuit_threshold, circuit_open_s, timeout_s, exclude=[])

    async def __aenter__(self) -> LanguageModelClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()
        await self.breakers.aclose()

    async def answer(self, question: str, passages: Sequence[PromptPassage]) -> str:
        """The model's answer to ``question`` from ``passages`` only (an empty text when it
        says it does not know); raise ``ConnectorError`` when it gives none."""
        try:
            return await self.breakers.call(OPERATION, lambda: self._ask(question, passages))
        except OpenedState:
            raise ConnectorError(
                "language model circuit open after failed or slow calls; not asked"
            ) from None

    async def _ask(self, question: str, passages: Sequence[PromptPassage]) -> str:
        body = {
            "model": self.model,
            "messages": messages(question, passages),
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }
        try:
            response = await self._client.post("chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"language model timed out after {self.timeout_s:g} s") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise ConnectorError(f"language model unreachable ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            raise ConnectorError(f"language model answered {response.status_code}")
        return _content(response)


def messages(question: str, passages: Sequence[PromptPassage]) -> list[dict[str, str]]:
    """The chat messages: the instructions, then the passages and the question."""
    numbered = "\n\n".join(
        f"[{i}] {p.title}{' > ' + p.section if p.section else ''}\n{p.text.strip()}"
        for i, p in enumerate(passages, 1)
    )
    user = f"Passages:\n\n{numbered}\n\nCustomer question: {question.strip()}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _content(response: httpx.Response) -> str:
    """The first choice's message text ("" for "I don't know"); a body of another shape is an
    error."""
    try:
        data: Any = response.json()
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ConnectorError("language model answered without a message") from None
    if not isinstance(text, str):
        raise ConnectorError("language model answered without a text")
    text = " ".join(text.split())[:MAX_ANSWER_CHARS]
    return "" if text.rstrip(".").lower() in ("i don't know", "i do not know") else text
