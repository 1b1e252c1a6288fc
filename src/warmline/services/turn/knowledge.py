"""Knowledge: what the pack's documents say to the customer's question, read before the policy
decides (``policy/knowledge.py``), as the guide reads records: only for a turn the documents
may answer (``wants_knowledge``: not a confident intent, nothing asked of the customer). The
passages are retrieved (``services/knowledge.py``), the extractive answer built and checked
(``knowledge/answer.py``) and, for a pack whose ``knowledge.llm`` is on, a language model
(``connectors/llm.py``) asked to phrase the answer from the passages only, with the
customer's question masked of personal data (``privacy/pii.py``); its every sentence is
checked against the passages too. A failed or slow model is noted, never raised: the
extractive answer is there. The search reuses the NLU's embedding of the turn when the question
searched is the text the NLU read (no personal data was left out of it), so the encoder runs
once per turn. The answer is built and checked in a worker thread. The turn's ``knowledge``
stage (its span)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from warmline.connectors.llm import LanguageModelClient, PromptPassage
from warmline.domain.grounding import Candidate, Grounding
from warmline.errors import ConnectorError
from warmline.knowledge.answer import failed, ground, phrased
from warmline.knowledge.extract import PassageLike
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import Embedded
from warmline.policy.knowledge import may_phrase, wants_knowledge
from warmline.privacy.pii import find_pii, mask
from warmline.services.telemetry import stage
from warmline.services.turn.context import Turn
from warmline.settings import Settings

PASSAGES = 5
PHRASED_FROM = 3  # the passages the model reads


class Searcher(Protocol):
    """What the stage needs of the knowledge base (``services/knowledge.py``)."""

    encoder: Encoder

    async def search(
        self, pack: str, query: str, k: int = ..., embedding: NDArray[np.float32] | None = ...
    ) -> Sequence[PassageLike]: ...


class KnowledgeReader:
    def __init__(self, base: Searcher, llm: LanguageModelClient | None = None) -> None:
        self.base = base
        self.llm = llm

    async def ground(self, turn: Turn) -> Grounding | None:
        """What the documents say to the turn (None: the turn is not one they may answer)."""
        understanding = turn.seen.understanding
        if understanding is None or not wants_knowledge(turn.state, understanding, turn.pack):
            return None
        with stage("knowledge"):
            question = without_personal_data(understanding.text)
            embedding = self._embedding_of(question, turn.seen.embedded)
            passages = await self.base.search(
                turn.pack.pack, question, k=PASSAGES, embedding=embedding
            )
            # a worker thread, as the NLU: the answer check's model and the support checks
            # take 5-20 ms of CPU, which would block the event loop and every other turn
            grounding = await asyncio.to_thread(ground, question, passages)
            if self.llm is not None and may_phrase(grounding, turn.pack):
                masked = mask(understanding.text)
                grounding = await self._phrased(self.llm, masked, grounding, passages)
        return grounding

    def _embedding_of(self, question: str, embedded: Embedded | None) -> NDArray[np.float32] | None:
        """The NLU's embedding of the turn when it is of ``question`` itself, by the encoder
        the documents were embedded with; else None (the base encodes the question). A
        question with personal data left out is not the text the NLU read: the vector of the
        unmasked text is never used for it."""
        if embedded is None or embedded.text != question:
            return None
        return embedded.vector if embedded.encoder == self.base.encoder.name else None

    @staticmethod
    async def _phrased(
        llm: LanguageModelClient,
        masked: str,
        grounding: Grounding,
        passages: Sequence[PassageLike],
    ) -> Grounding:
        """The model's phrasing of the answer to the ``masked`` question, checked."""
        shown = [
            PromptPassage(p.title, " > ".join(p.section_path[1:]), p.text)
            for p in passages[:PHRASED_FROM]
        ]
        try:
            text = await llm.answer(masked, shown)
        except ConnectorError as exc:
            return failed(grounding, exc.message)
        if not text:
            return failed(grounding, "the language model said it does not know")
        return phrased(grounding, text, passages[:PHRASED_FROM])


def without_personal_data(text: str) -> str:
    """``text`` without the personal data in it (an email address, a card number: what the
    customer asks about is in the other words), for the search and the answer's scoring."""
    for found in sorted(find_pii(text), key=lambda f: -f.start):
        text = f"{text[: found.start]} {text[found.end :]}"
    return " ".join(text.split())


def language_model(settings: Settings) -> LanguageModelClient | None:
    """The client of the language model that phrases answers (``WARMLINE_LLM_URL``); None
    when none is set."""
    if not settings.llm_url:
        return None
    return LanguageModelClient(
        settings.llm_url,
        settings.llm_model,
        settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
    )


def given(turn: Turn, reasons_source: str | None) -> Candidate | None:
    """The candidate answer the decision gives (``knowledge_answered``'s ``source``)."""
    grounding = turn.seen.grounding
    if grounding is None:
        return None
    return grounding.llm if reasons_source == "llm" else grounding.extractive
