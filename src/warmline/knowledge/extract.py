"""The extractive answer: from the passages retrieved for a question, the sentences that answer
it, shortened to what answers (one to three sentences in the document's order; a list item
with the sentence that leads into it), and the passage they come from, which the reply cites.

A sentence is scored by how many of the question's content words it holds (those only
elsewhere in its passage, its title or section path count half: they say what the whole
passage is about; a question asking how much, how many or how long favours a sentence with a
number), and,
when a similarity function is passed in, by the embedding similarity of the sentence to the
question. The best sentence of the best passages wins; its neighbours join it when they also
answer, a sentence opening with "This" or "It" brings the one it refers to. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from warmline.knowledge.words import Sentence, content_set, content_words, split_sentences

SHORT_PASSAGE = 80
"""A passage of at most this many words is the answer whole (its lists and tables with it);
a longer one gives the paragraph or list its best sentence is in, when that is short."""
MAX_SENTENCES = 3
MAX_ITEMS = 6
NEIGHBOUR_SHARE = 0.5  # a neighbour joins when it scores this share of the best sentence
RANK_STEP = 0.1  # a passage's score: less this much a place down the ranking
COSINE_WEIGHT = 3.0
"""A passage's score adds this times the cosine of its embedding and the question's: of the
three best, the one the encoder reads as nearest in meaning answers more often (the gold
passage chosen for 0.81 of the training questions against 0.73 on the words alone; chosen on
the training split, benchmarks/knowledge_answers.py)."""
QUANTITY_BONUS = 0.25  # a question asking how much, how many, how long: a sentence with a number
_QUANTITY = re.compile(
    r"\bhow (?:much|many|long|old|soon|far|big|heavy|late|early)\b|\bwhen\b|\bwhat time\b|"
    r"\b(?:cost|costs|fee|fees|price|charge|max|maximum|minimum|limit|deadline)\b",
    re.IGNORECASE,
)
_QUANTITY_FACT = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|free)\b", re.I
)
_REFERRING = ("this ", "it ", "that ", "these ", "they ", "those ", "such ", "however")


class PassageLike(Protocol):
    """What an answer needs of a retrieved passage (``knowledge/passages.py``)."""

    @property
    def doc_id(self) -> str: ...
    @property
    def chunk_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def section_path(self) -> tuple[str, ...]: ...
    @property
    def text(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def ranks(self) -> dict[str, int]: ...
    @property
    def cosine(self) -> float | None: ...


Similarity = Callable[[Sequence[str]], Sequence[float]]
"""The embedding similarity of each text to the question (cosine, in [-1, 1])."""


@dataclass(frozen=True)
class Extract:
    """The answer's sentences (in document order, a list item after its lead-in), the index of
    the passage they come from among those given, and how well the best one answers: its
    score and the share of the question's content words the answer and its passage's
    title and section hold (``coverage``)."""

    sentences: tuple[str, ...]
    passage: int
    score: float
    coverage: float

    @property
    def text(self) -> str:
        """The answer as the customer reads it: prose sentences run on, a list's lead-in
        and each item on a line of their own."""
        out, previous = "", ""
        for line in self.sentences:
            listed = line.startswith("- ") or previous.startswith("- ") or previous.endswith(":")
            out += ("\n" if listed else " ") + line if out else line
            previous = line
        return out


@dataclass(frozen=True)
class _Scored:
    passage: int
    sentence: Sentence
    score: float


def heading_words(passage: PassageLike) -> frozenset[str]:
    """The content words of a passage's title and section path."""
    return content_set(" ".join((passage.title, *passage.section_path)))


def extract(
    question: str,
    passages: Sequence[PassageLike],
    *,
    top: int = 3,
    similarity: Similarity | None = None,
) -> Extract | None:
    """The extractive answer to ``question`` from the first ``top`` of ``passages`` (best
    first), or None when no sentence holds a content word of the question."""
    asked = content_set(question)
    if not asked or not passages:
        return None
    quantity = bool(_QUANTITY.search(question))
    scored = _score_all(asked, passages[:top], similarity, quantity)
    if not scored:
        return None
    ranked = [_passage_score(asked, p, i, quantity) for i, p in enumerate(passages[:top])]
    answering = max(range(len(ranked)), key=lambda i: (ranked[i], -i))
    best = max(
        (s for s in scored if s.passage == answering),
        key=lambda s: (s.score, -s.sentence.index),
        default=max(scored, key=lambda s: (s.score, -s.passage, -s.sentence.index)),
    )
    if best.score <= 0:
        return None
    mine = [s for s in scored if s.passage == best.passage]
    chosen = _around(best, mine)
    lines = _lines(chosen)
    passage = passages[best.passage]
    said = content_set(" ".join(lines)) | heading_words(passage)
    coverage = len(asked & said) / len(asked)
    return Extract(tuple(lines), best.passage, round(best.score, 4), round(coverage, 4))


def _passage_score(asked: frozenset[str], passage: PassageLike, rank: int, quantity: bool) -> float:
    """How well a whole passage answers: the share of the question's content words its text
    and headings hold, a little more for a number when a quantity is asked, a little less
    for each place down the ranking, and the cosine of its embedding and the question's
    (``COSINE_WEIGHT``) when the search compared them."""
    held = content_set(passage.text) | heading_words(passage)
    score = len(asked & held) / len(asked) - RANK_STEP * rank
    if quantity and _QUANTITY_FACT.search(passage.text):
        score += RANK_STEP
    if passage.cosine is not None:
        score += COSINE_WEIGHT * passage.cosine
    return score


def _score_all(
    asked: frozenset[str],
    passages: Sequence[PassageLike],
    similarity: Similarity | None,
    quantity: bool = False,
) -> list[_Scored]:
    out: list[_Scored] = []
    for i, passage in enumerate(passages):
        around = heading_words(passage) | content_set(passage.text)
        sentences = split_sentences(passage.text)
        sims = list(similarity([s.full for s in sentences])) if similarity and sentences else []
        for j, sentence in enumerate(sentences):
            words = content_set(sentence.full)
            hits = len(asked & words) + 0.5 * len((asked & around) - words)
            score = hits / len(asked)
            if quantity and _QUANTITY_FACT.search(sentence.full):
                score += QUANTITY_BONUS
            if sims:
                score = 0.7 * score + 0.3 * max(0.0, float(sims[j]))
            score -= 0.02 * i  # of two as good, the passage ranked first
            out.append(_Scored(i, sentence, score))
    return out


def _around(best: _Scored, mine: list[_Scored]) -> list[Sentence]:
    """What answers, around the best sentence: the whole passage when it is short, else the
    paragraph, list or table the best sentence is in (a list with its lead-in) when that is,
    else the best sentence with what belongs to it (``_shortened``)."""
    every = [s.sentence for s in mine]
    if _length(every) <= SHORT_PASSAGE:
        return every
    block = {best.sentence.block}
    leads = {s.lead for s in every if s.block in block and s.lead is not None}
    block |= {s.block for s in every if s.text in leads}
    around = [s for s in every if s.block in block]
    if _length(around) <= SHORT_PASSAGE:
        return around
    return _shortened(best, mine)


def _length(sentences: list[Sentence]) -> int:
    """The words of ``sentences`` as the answer shows them (a lead-in once)."""
    return sum(len(line.split()) for line in _lines(sentences))


def _shortened(best: _Scored, mine: list[_Scored]) -> list[Sentence]:
    """The best sentence with what belongs to it: its list's items (for a lead-in) or its
    lead-in (for an item), the sentence a referring one needs, and the neighbours that
    answer too; in document order, at most three sentences (a list's items count once)."""
    by_index = {s.sentence.index: s for s in mine}
    chosen = {best.sentence.index}
    sentence = best.sentence
    items = [s for s in mine if s.sentence.lead is not None and s.sentence.lead == sentence.text]
    if sentence.text.endswith(":") and items:
        chosen |= {s.sentence.index for s in items[:MAX_ITEMS]}
    elif sentence.lead is not None:
        siblings = [s for s in mine if s.sentence.lead == sentence.lead and s.score > 0]
        ranked = sorted(siblings, key=lambda s: -s.score)[:MAX_ITEMS]
        chosen |= {s.sentence.index for s in ranked}
    if sentence.text.lower().startswith(_REFERRING) and sentence.index - 1 in by_index:
        chosen.add(sentence.index - 1)
    for offset in (1, -1, 2, -2):
        near = by_index.get(sentence.index + offset)
        if near is None or len(_prose(chosen, by_index)) >= MAX_SENTENCES:
            continue
        answers = near.sentence.lead is None and near.score >= NEIGHBOUR_SHARE * best.score
        if answers and (abs(offset) == 1 or sentence.index + offset // 2 in chosen):
            chosen.add(near.sentence.index)
    return [by_index[i].sentence for i in sorted(chosen)]


def _prose(chosen: set[int], by_index: dict[int, _Scored]) -> list[int]:
    """The chosen sentences that count towards the limit: prose, and each list once."""
    leads = {by_index[i].sentence.lead for i in chosen if by_index[i].sentence.lead}
    return [i for i in chosen if by_index[i].sentence.lead is None] + [0] * len(leads)


def _lines(sentences: list[Sentence]) -> list[str]:
    """The answer's lines: prose as it is, a list's items under their lead-in (written once)."""
    lines: list[str] = []
    for sentence in sentences:
        if sentence.lead is not None:
            if sentence.lead not in lines:
                lines.append(sentence.lead)
            lines.append(f"- {sentence.text}")
        else:
            lines.append(sentence.text)
    return lines


def question_words(question: str) -> list[str]:
    """The question's content words, as the answer is scored by them (for the reasons)."""
    return sorted(set(content_words(question)))
