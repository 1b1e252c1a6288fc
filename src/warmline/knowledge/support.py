"""The support check: is every sentence of a candidate answer said by the retrieved passages?
And the retrieval support: how well the best passage matches the question at all.

A sentence is supported by a passage when the passage holds it: most of its content words are
in one or two neighbouring sentences of the passage (or its title and section path: the
``coverage``), it says "not" where they do and only there, and every fact it states (numbers
and amounts, days and months, names: ``knowledge/words.py``) is in the passage as it is. With
a similarity function the coverage is averaged with the embedding similarity to those
sentences; the facts and the negation stay exact. A sentence that states nothing (no content
word, no fact: "Sure.") claims nothing and passes. An answer is supported when every sentence
is, each by a passage it cites; citing a passage that does not hold a sentence fails it.

The retrieval support reads the question against the passages: the share of the question's
content words the best passage holds (``coverage``), the question's words no retrieved
passage holds (``missing``: a near miss, same topic and another fact, shows here) and the
best passage's fused score. Pure: no I/O."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from warmline.knowledge.extract import PassageLike, heading_words
from warmline.knowledge.words import (
    content_set,
    facts,
    negated,
    passage_facts,
    split_sentences,
)

MIN_SENTENCE_SUPPORT = 0.7
"""The coverage a sentence needs from the passage that supports it."""

FILLER = frozenset(
    {"sure", "certain", "cours", "absolut", "glad", "happi", "hope", "help", "great"}
)
"""Stems of the words a reply is put in that claim nothing ("Sure.", "I hope this helps!")."""

KIND_WORDS = frozenset(
    [
        "long",
        "soon",
        "fast",
        "quick",
        "quickli",
        "late",
        "earli",
        "max",
        "maximum",
        "minimum",
        "limit",
        "old",
        "far",
        "big",
        "often",
        "larg",
        "small",
        "mani",
    ]
)
"""Stems of the words a question asks for a number or a duration with (``_kinds``)."""

NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b", re.I)

PairSimilarity = Callable[[str, Sequence[str]], Sequence[float]]
"""The embedding similarity of a sentence to each of some texts (cosine, in [-1, 1])."""


@dataclass(frozen=True)
class SentenceSupport:
    """One sentence checked: its best support (0 to 1), the passage that gives it (an index
    into those checked; None: none does), the facts no cited passage holds and whether only
    one side says "not"."""

    text: str
    support: float
    passage: int | None
    missing: tuple[str, ...] = ()
    negation_differs: bool = False
    supported: bool = False


@dataclass(frozen=True)
class SupportCheck:
    """An answer checked sentence by sentence: supported when every sentence is, by a cited
    passage; ``support`` is the weakest sentence's; ``failing`` the first that is not."""

    sentences: tuple[SentenceSupport, ...]
    support: float
    supported: bool
    cited: tuple[int, ...] = ()

    @property
    def failing(self) -> SentenceSupport | None:
        return next((s for s in self.sentences if not s.supported), None)


@dataclass(frozen=True)
class RetrievalSupport:
    """How well the best passage matches the question: the share of the question's content
    words it holds, the question's words no passage holds, the passage (index) and its score."""

    coverage: float
    missing: tuple[str, ...] = ()
    passage: int | None = None
    score: float = 0.0
    words: tuple[str, ...] = field(default_factory=tuple)


def answer_sentences(answer: str) -> list[str]:
    """The sentences of an answer (a list item with its lead-in, as one claim)."""
    return [s.full for s in split_sentences(answer)]


def check_answer(
    answer: str,
    passages: Sequence[PassageLike],
    cited: Sequence[int] | None = None,
    *,
    minimum: float = MIN_SENTENCE_SUPPORT,
    similarity: PairSimilarity | None = None,
) -> SupportCheck:
    """Check every sentence of ``answer`` against the ``cited`` passages (indexes into
    ``passages``; None: any of them may support it, and those that do are the citations)."""
    allowed = list(range(len(passages))) if cited is None else list(cited)
    checked = tuple(
        check_sentence(s, passages, allowed, minimum=minimum, similarity=similarity)
        for s in answer_sentences(answer)
    )
    if not checked:
        return SupportCheck((), 0.0, False, tuple(allowed))
    support = min(s.support for s in checked)
    used = sorted({s.passage for s in checked if s.passage is not None})
    cites = tuple(allowed if cited is not None else used)
    return SupportCheck(checked, round(support, 4), all(s.supported for s in checked), cites)


def check_sentence(
    sentence: str,
    passages: Sequence[PassageLike],
    allowed: Sequence[int],
    *,
    minimum: float = MIN_SENTENCE_SUPPORT,
    similarity: PairSimilarity | None = None,
) -> SentenceSupport:
    """The best support ``sentence`` finds in the ``allowed`` passages."""
    words, stated, negative = content_set(sentence) - FILLER, facts(sentence), negated(sentence)
    if not words and not stated:
        return SentenceSupport(sentence, 1.0, None, supported=True)
    best = SentenceSupport(sentence, 0.0, None, missing=tuple(sorted(stated)))
    for i in allowed:
        if not 0 <= i < len(passages):
            continue
        found = _in_passage(sentence, words, stated, negative, passages[i], similarity)
        candidate = SentenceSupport(
            sentence,
            round(found[0], 4),
            i,
            found[1],
            found[2],
            found[0] >= minimum and not found[1] and not found[2],
        )
        if (candidate.supported, candidate.support) > (best.supported, best.support):
            best = candidate
    return best


def _in_passage(
    sentence: str,
    words: frozenset[str],
    stated: frozenset[str],
    negative: bool,
    passage: PassageLike,
    similarity: PairSimilarity | None,
) -> tuple[float, tuple[str, ...], bool]:
    """(support, facts missing, negation differs) of ``sentence`` in ``passage``: over each
    window of one or two neighbouring sentences, the best coverage whose negation agrees."""
    known = passage_facts(" ".join((passage.text, passage.title, *passage.section_path)))
    missing = tuple(sorted(f for f in stated if f not in known))
    heading = heading_words(passage)
    parts = [s.full for s in split_sentences(passage.text)] or [passage.text]
    windows = parts + [f"{a} {b}" for a, b in itertools.pairwise(parts)]
    sims = list(similarity(sentence, windows)) if similarity is not None else []
    agreeing, disagreeing = 0.0, 0.0
    for j, window in enumerate(windows):
        held = words & (content_set(window) | heading)
        coverage = len(held) / len(words) if words else 1.0
        if sims:
            coverage = 0.5 * coverage + 0.5 * max(0.0, float(sims[j]))
        if negated(window) == negative:
            agreeing = max(agreeing, coverage)
        else:
            disagreeing = max(disagreeing, coverage)
    differs = disagreeing > agreeing and agreeing < MIN_SENTENCE_SUPPORT
    return agreeing, missing, differs


def retrieval_support(question: str, passages: Sequence[PassageLike]) -> RetrievalSupport:
    """How well the retrieved ``passages`` match ``question``: the best passage's share of
    the question's content words (title and section path included), and the words none holds."""
    asked = content_set(question)
    if not asked or not passages:
        return RetrievalSupport(0.0, tuple(sorted(asked)), None, 0.0, tuple(sorted(asked)))
    held_by = [
        content_set(p.text) | heading_words(p) | _fact_words(p.text) | _kinds(asked, p.text)
        for p in passages
    ]
    covers = [len(asked & held) / len(asked) for held in held_by]
    best = max(range(len(passages)), key=lambda i: (covers[i], -i))
    anywhere = frozenset().union(*held_by)
    missing = tuple(sorted(asked - anywhere))
    return RetrievalSupport(
        round(covers[best], 4), missing, best, float(passages[best].score), tuple(sorted(asked))
    )


def _kinds(asked: frozenset[str], text: str) -> frozenset[str]:
    """The question's words that ask for a kind of fact rather than name a thing ("how
    long", "how soon", "the max"), held by a passage that states a number."""
    kinds = asked & KIND_WORDS
    return kinds if kinds and NUMBER.search(text) else frozenset()


def _fact_words(text: str) -> frozenset[str]:
    return frozenset(f for f in passage_facts(text) if f.isdigit())
