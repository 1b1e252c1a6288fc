"""Answers from the company's own documents, and the honest "I don't know".

The pack's intents keep precedence where the reading is confident: a confident intent is
answered by its action or its template, never by a document. When the reading is not sure or
out of scope and the turn is worded as a question (a request is the intents' to settle: a
clarifying question, out of scope), the documents may answer: the knowledge stage retrieved passages and built the
candidate answers with their support check (``domain/grounding.py``), and here the answer is
given only when the answerability score (``retrieval``: the retrieval support, the chosen
passage's cosine with the question and the answer check's score of the two read together,
weighed by ``knowledge/answerability.py``) reaches the
pack's ``knowledge.min_support`` and the
answer's every sentence is supported by a passage it cites. A language model's phrasing
(``knowledge.llm``) is used when its check passes; an unsupported sentence in it
(``knowledge_llm_rejected``) or no phrasing at all (``knowledge_llm_failed``) leaves the
extractive answer. Below the threshold the bot never guesses: a not-sure reading asks its
clarifying question, a question on a topic the documents cover but do not answer is told the
bot does not know and offered a person (``knowledge_abstained``), and anything else stays out
of scope. The passages (document, section, score), the support and the check are reasons."""

from __future__ import annotations

import re

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Decision, Reason
from warmline.domain.grounding import Candidate, Grounding
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import REJECT_INTENT, Understanding
from warmline.policy.clarify import out_of_scope

QUESTION = re.compile(
    r"\?|^\W*(?:(?:hi|hello|hey|ok|okay|so|and|but|also|please|sorry|excuse me)\W+)*"
    r"(?:how|what|what's|whats|when|where|which|who|whom|whose|why|can|could|do|does|did|"
    r"is|are|was|were|will|would|should|shall|may|might|am|have|has|any|tell me|i wonder)\b|"
    r"\b(?:how|what|what's|whats|which|why|wondering|want to know|like to know)\b",
    re.IGNORECASE,
)
"""A turn worded as a question: a question mark, a question word or auxiliary first ("how
long ...", "can I ...", "is there ..."), or how, what, which or why anywhere."""

TEMPLATE = "knowledge_answer"
UNKNOWN = "knowledge_unknown"


def asks(text: str) -> bool:
    """Whether ``text`` is worded as a question (``QUESTION``): a request ("please take back
    my order", "booking") is the intents' to settle, never a document's."""
    return bool(QUESTION.search(text))


def wants_knowledge(
    state: ConversationState, understanding: Understanding, pack: DomainPack
) -> bool:
    """Whether the documents may answer this turn, so that the knowledge stage retrieves for
    it: the pack has documents, the bot is not waiting for an answer (a yes, a detail, a
    choice, a verification fact), the turn is in a language the pack speaks, it is worded as
    a question, and the reading is not a confident intent."""
    if pack.knowledge is None or state.status == "escalated":
        return False
    waiting = state.pending is not None or state.awaiting_param is not None
    if waiting or state.clarify_for or state.verifying is not None:
        return False
    if understanding.language not in pack.languages or not asks(understanding.text):
        return False
    intent = understanding.intent
    return understanding.zone != "confident" or intent is None or intent == REJECT_INTENT


def knowledge_step(
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    grounding: Grounding | None,
    reasons: list[Reason],
) -> Decision | None:
    """The answer from the documents, the "I don't know" for a question they cover but do
    not answer, or None: the reading's own path (a clarifying question, out of scope) goes
    on, with the passages and the check among its reasons."""
    settings = pack.knowledge
    if grounding is None or settings is None:
        return None
    reasons.extend(passage_reasons(grounding))
    candidate = chosen(grounding, pack, reasons)
    strong = grounding.retrieval >= settings.min_support
    if candidate is not None and strong:
        reasons.append(_answered(grounding, candidate, settings.min_support))
        return Decision(
            kind="answer",
            template=TEMPLATE,
            confidence=grounding.retrieval,
            reasons=reasons,
        )
    why = "no answer passed the support check" if strong else "the answerability score is low"
    near = grounding.retrieval >= settings.min_topic and understanding.zone != "clarify"
    reasons.append(
        Reason(
            code="knowledge_abstained",
            detail=f"{why}; {'the bot says it does not know' if near else 'not answered'}",
            values={
                "retrieval": round(grounding.retrieval, 4),
                "min_support": settings.min_support,
                **figures(grounding),
                "coverage": round(grounding.coverage, 4),
                "min_topic": settings.min_topic,
                "missing": ", ".join(grounding.missing) or None,
            },
        )
    )
    if not near:
        return None
    decision = out_of_scope(state, understanding, pack, reasons)
    if decision.kind == "escalate":
        return decision
    person = pack.intent_label("human_agent")
    return decision.model_copy(update={"template": UNKNOWN, "choices": [person]})


def chosen(grounding: Grounding, pack: DomainPack, reasons: list[Reason]) -> Candidate | None:
    """The candidate answer to give: the language model's phrasing when the pack asks for
    one and every sentence of it is supported, else the extractive answer when it is; the
    phrasing's rejection or failure is a reason."""
    extractive = grounding.extractive
    usable = extractive if extractive is not None and extractive.supported else None
    if pack.knowledge is None or not pack.knowledge.llm or usable is None:
        return usable
    phrased = grounding.llm
    if phrased is not None and phrased.supported:
        return phrased
    if phrased is not None:
        failing = phrased.failing
        reasons.append(
            Reason(
                code="knowledge_llm_rejected",
                detail="a sentence of the phrased answer is not supported by the passages; "
                "the extractive answer is given",
                values={
                    "sentence": failing.text if failing else None,
                    "support": failing.support if failing else phrased.support,
                    "missing": ", ".join(failing.missing) if failing else None,
                    "negation_differs": failing.negation_differs if failing else False,
                },
            )
        )
    else:
        reasons.append(
            Reason(
                code="knowledge_llm_failed",
                detail=f"{grounding.llm_error or 'no phrasing'}; the extractive answer is given",
            )
        )
    return usable


def figures(grounding: Grounding) -> dict[str, float | str | bool | None]:
    """The figures the answerability score (``retrieval``) was read from, each by name: the
    retrieval support (``retrieval_support``), the chosen passage's cosine with the question
    (``cosine``) and the answer check's logit (``check``: ``knowledge/answer_check.py``);
    ``knowledge/answerability.py`` weighs them."""
    return {
        ("retrieval_support" if name == "support" else name): round(value, 4)
        for name, value in grounding.answerability.items()
    }


def passage_reasons(grounding: Grounding) -> list[Reason]:
    """One reason per passage retrieved: its document, section, chunk and score, best first."""
    return [
        Reason(
            code="knowledge_passage",
            detail=f"{p.title} > {p.section}" if p.section else p.title,
            values={"rank": i, "doc": p.doc, "chunk": p.chunk, "score": round(p.score, 6)},
        )
        for i, p in enumerate(grounding.passages, 1)
    ]


def _answered(grounding: Grounding, candidate: Candidate, minimum: float) -> Reason:
    cited = candidate.cited[0] if candidate.cited else None
    return Reason(
        code="knowledge_answered",
        detail=f"answered from {cited.doc if cited else 'the documents'} "
        f"({candidate.source}); every sentence supported",
        values={
            "source": candidate.source,
            "retrieval": round(grounding.retrieval, 4),
            "min_support": minimum,
            **figures(grounding),
            "support": round(candidate.support, 4),
            "sentences": len(candidate.sentences),
            "doc": cited.doc if cited else None,
            "section": cited.section if cited else None,
            "url": cited.url if cited else None,
        },
    )


def may_phrase(grounding: Grounding, pack: DomainPack) -> bool:
    """Whether a language model may be asked to phrase the answer: the pack asks for it and
    the question will be answered (its answerability score reaches the threshold and the
    extractive answer is supported): no question the bot would not answer is sent out."""
    settings = pack.knowledge
    extractive = grounding.extractive
    return (
        settings is not None
        and settings.llm
        and grounding.retrieval >= settings.min_support
        and extractive is not None
        and extractive.supported
    )
