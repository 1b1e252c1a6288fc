"""Section anchors: a heading's slug, as the help page gives its ``id`` (``Checked bags`` ->
``checked-bags``; a second heading of the same words gets ``-1``, then ``-2``)."""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[^\w\- ]+")


def slug(text: str) -> str:
    """Lower case, punctuation dropped, spaces as hyphens; ``section`` for a heading of none."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = _DROP.sub("", text)
    text = re.sub(r"[\s_]+", "-", text).strip("-")
    return re.sub(r"-{2,}", "-", text) or "section"


class Slugger:
    """Slugs unique within one document, in the order of its headings."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, text: str) -> str:
        base = slug(text)
        count = self._seen.get(base)
        self._seen[base] = 0 if count is None else count + 1
        return base if count is None else f"{base}-{count + 1}"
