"""A retrieved passage: one chunk of one document, with where it came from and how it ranked."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Passage:
    """One chunk a search returned.

    ``doc_id`` is the document's path inside the pack's knowledge folder (``baggage.md``),
    ``chunk_id`` is ``doc_id#position``; ``section_path`` the headings above the chunk, outermost
    first (``("Baggage", "Checked bags", "Allowance")``, the document's title first);
    ``url`` the citation link (the help page's section anchor, or the pack's own ``url`` base);
    ``score`` the fused score (higher is better); ``ranks`` the chunk's 1-based rank in each
    ranking that found it (``{"bm25": 1, "dense": 3}``; a ranking that did not find it is
    absent); ``cosine`` the cosine of the question's embedding and the chunk's (None: not
    compared)."""

    doc_id: str
    chunk_id: str
    title: str
    section_path: tuple[str, ...]
    text: str
    url: str
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    cosine: float | None = None

    @property
    def section(self) -> str:
        """The section path as one line: ``Baggage > Checked bags > Allowance``."""
        return " > ".join(self.section_path)
