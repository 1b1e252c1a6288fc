"""What the documents say to one customer question, as the policy reads it: the passages
retrieved (document, section, score), how well the best one matches the question, and the
candidate answers with their support check: the extractive one (sentences of a passage) and,
when a language model phrased one, that one. The knowledge stage builds it
(``services/turn/knowledge.py``); ``policy/knowledge.py`` decides on it without I/O."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Citation(BaseModel):
    """A link under an answer to the page it comes from: the document's title, the link to
    its section, the section's name."""

    model_config = ConfigDict(frozen=True)
    title: str
    url: str
    section: str = ""


class Retrieved(BaseModel):
    """One passage retrieved for the question: its document, chunk and section, the link to
    it, and its fused retrieval score."""

    model_config = ConfigDict(frozen=True)
    doc: str
    chunk: str
    title: str
    section: str
    url: str
    score: float

    def citation(self) -> Citation:
        return Citation(title=self.title, url=self.url, section=self.section)


class SentenceCheck(BaseModel):
    """One sentence of a candidate answer checked against the passages: its support (0 to 1),
    the chunk that gives it (None: none does), the facts no cited passage holds, whether only
    one side says "not", and whether it passed."""

    model_config = ConfigDict(frozen=True)
    text: str
    support: float
    chunk: str | None = None
    missing: list[str] = Field(default_factory=list)
    negation_differs: bool = False
    supported: bool = False


class Candidate(BaseModel):
    """A candidate answer: its text, where it comes from (the passages' own sentences, or a
    language model's phrasing of them), the passages it cites, and its support check."""

    model_config = ConfigDict(frozen=True)
    text: str
    source: Literal["extractive", "llm"]
    cited: list[Retrieved]
    sentences: list[SentenceCheck] = Field(default_factory=list)
    support: float = 0.0
    supported: bool = False

    @property
    def failing(self) -> SentenceCheck | None:
        return next((s for s in self.sentences if not s.supported), None)

    def citations(self) -> list[Citation]:
        return [p.citation() for p in self.cited]


class Grounding(BaseModel):
    """What the pack's documents say to one question. ``coverage`` is the share of the
    question's content words the best passage holds, ``missing`` the question's words no
    retrieved passage holds, ``retrieval`` the answerability score the abstention threshold
    reads (``knowledge/answerability.py``) and ``answerability`` the figures it is read from
    (the retrieval support of ``knowledge/support.py``, the chosen passage's cosine).
    ``llm_error`` says why a language model asked to phrase the answer gave none (a timeout,
    an error); None when none was asked or it answered."""

    model_config = ConfigDict(frozen=True)
    question: str
    passages: list[Retrieved] = Field(default_factory=list)
    coverage: float = 0.0
    missing: list[str] = Field(default_factory=list)
    retrieval: float = 0.0
    answerability: dict[str, float] = Field(default_factory=dict)
    extractive: Candidate | None = None
    llm: Candidate | None = None
    llm_error: str | None = None
