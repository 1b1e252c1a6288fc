"""What the retrieved passages say to a question, as the policy reads it (``Grounding``): the
passages, the retrieval support, the extractive answer with its support check, and a language
model's phrasing checked the same way. No I/O but the answer check's model, loaded once per
process on first use (``knowledge/answer_check.py``; ``ground`` takes another ``checker``):
the retrieval and the language model's call are the knowledge stage's
(``services/turn/knowledge.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from warmline.domain.grounding import Candidate, Grounding, Retrieved, SentenceCheck
from warmline.knowledge import answer_check
from warmline.knowledge.answerability import Model, shipped
from warmline.knowledge.extract import Extract, PassageLike, Similarity, extract
from warmline.knowledge.support import (
    PairSimilarity,
    SupportCheck,
    check_answer,
    retrieval_support,
)

Checker = Callable[[str, str], float]
"""The answer check's signature: (question, passage as the model reads it) -> logit."""

ANSWER_FROM = 3
"""The extractive answer is taken from the first passages only: the others are context."""


def retrieved(passage: PassageLike) -> Retrieved:
    """A passage as the decision records it. The section is the last heading of its path
    (the first is the document's title)."""
    path = passage.section_path
    section = path[-1] if len(path) > 1 else ""
    return Retrieved(
        doc=passage.doc_id,
        chunk=passage.chunk_id,
        title=passage.title,
        section=section,
        url=passage.url,
        score=float(passage.score),
    )


def ground(
    question: str,
    passages: Sequence[PassageLike],
    *,
    similarity: Similarity | None = None,
    pair_similarity: PairSimilarity | None = None,
    model: Model | None = None,
    checker: Checker | None = None,
) -> Grounding:
    """The passages retrieved for ``question`` (best first), how well they match it, and the
    extractive answer with its check against the passage it cites. ``retrieval`` is the
    answerability score (``knowledge/answerability.py``) of the ``model`` (the shipped one
    by default), ``answerability`` the figures it read; ``checker`` scores the question with
    the passage the answer comes from (the shipped answer check by default, run only when
    the model weighs it)."""
    model = model or shipped()
    support = retrieval_support(question, passages)
    found = extract(question, passages, top=ANSWER_FROM, similarity=similarity)
    extractive = None
    if found is not None:
        check = check_answer(found.text, passages, [found.passage], similarity=pair_similarity)
        extractive = candidate(found.text, "extractive", check, passages)
    figures = evidence(
        retrieval_score(support.coverage, support.missing, support.words, agreed=agreed(passages)),
        found,
        passages,
    )
    if found is not None and model.weights.get("check"):
        chosen = passages[found.passage]
        text = answer_check.passage_text(chosen.section_path, chosen.text)
        figures["check"] = (checker or answer_check.score)(question, text)
    return Grounding(
        question=question,
        passages=[retrieved(p) for p in passages],
        coverage=support.coverage,
        missing=list(support.missing),
        retrieval=round(model.score(figures), 4),
        answerability=figures,
        extractive=extractive,
    )


def evidence(
    support: float, found: Extract | None, passages: Sequence[PassageLike]
) -> dict[str, float]:
    """What the answerability model reads: the retrieval support and the cosine of the
    question with the passage the answer comes from (0: no answer, or not compared)."""
    cosine = passages[found.passage].cosine if found is not None else None
    return {"support": support, "cosine": round(float(cosine or 0.0), 4)}


AGREED_BONUS = 0.1
"""Added to the retrieval support when both rankings put the same passage first."""


def agreed(passages: Sequence[PassageLike]) -> bool:
    """Whether the first passage is first by the words (BM25) and by the meaning (the
    embeddings) alike."""
    ranks = passages[0].ranks if passages else {}
    return len(ranks) > 1 and all(rank == 1 for rank in ranks.values())


def retrieval_score(
    coverage: float, missing: Sequence[str], words: Sequence[str], *, agreed: bool = False
) -> float:
    """The retrieval support, the answerability model's first figure: the best passage's
    coverage of the question, lowered by half the share of the question's words no passage
    holds at all (a near miss asks about something the documents never name), raised a
    little when both rankings put the first passage first (``knowledge/support.py``)."""
    if not words:
        return 0.0
    absent = len(missing) / len(words)
    bonus = AGREED_BONUS if agreed else 0.0
    return round(min(1.0, max(0.0, coverage - 0.5 * absent + bonus)), 4)


def phrased(
    grounding: Grounding,
    text: str,
    passages: Sequence[PassageLike],
    *,
    pair_similarity: PairSimilarity | None = None,
) -> Grounding:
    """``grounding`` with a language model's phrasing ``text`` checked sentence by sentence
    against the passages; the passages that hold its sentences are its citations."""
    check = check_answer(text, passages, None, similarity=pair_similarity)
    return grounding.model_copy(update={"llm": candidate(text, "llm", check, passages)})


def failed(grounding: Grounding, why: str) -> Grounding:
    """``grounding`` noting that the language model gave no phrasing, and why."""
    return grounding.model_copy(update={"llm_error": why})


def candidate(
    text: str, source: str, check: SupportCheck, passages: Sequence[PassageLike]
) -> Candidate:
    """A candidate answer with its check; it cites the passages that support it (those its
    check was held to, for the extractive answer)."""
    chunks = [p.chunk_id for p in passages]
    sentences = [
        SentenceCheck(
            text=s.text,
            support=s.support,
            chunk=chunks[s.passage] if s.passage is not None else None,
            missing=list(s.missing),
            negation_differs=s.negation_differs,
            supported=s.supported,
        )
        for s in check.sentences
    ]
    return Candidate(
        text=text,
        source="llm" if source == "llm" else "extractive",
        cited=[retrieved(passages[i]) for i in check.cited if 0 <= i < len(passages)],
        sentences=sentences,
        support=check.support,
        supported=check.supported and bool(check.cited),
    )
