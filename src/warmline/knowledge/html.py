"""HTML documents as ``(level, text)`` blocks (BeautifulSoup, Python's own parser): headings
``h1``-``h6`` and the text of paragraphs, list items, table rows and other blocks; scripts,
styles, navigation, headers and footers are left out."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

_SKIP = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form")
_BLOCKS = ("p", "li", "tr", "pre", "blockquote", "dd", "dt", "figcaption", "caption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def html_blocks(text: str) -> list[tuple[int, str]]:
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup.find_all(_SKIP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[tuple[int, str]] = []
    title = soup.find("title")
    has_h1 = root.find("h1") is not None if isinstance(root, Tag) else False
    if title is not None and not has_h1 and title.get_text(strip=True):
        blocks.append((1, _clean(title.get_text(" "))))
    assert isinstance(root, Tag)
    for tag in root.find_all([*_HEADINGS, *_BLOCKS]):
        if tag.name in _BLOCKS and tag.find_parent(_BLOCKS) is not None:
            continue  # read with the block around it
        if tag.name == "tr":
            cells = [_clean(c.get_text(" ")) for c in tag.find_all(["th", "td"])]
            words = " | ".join(c for c in cells if c)
        else:
            words = _clean(tag.get_text(" "))
        if words:
            level = int(tag.name[1]) if tag.name in _HEADINGS else 0
            blocks.append((level, f"- {words}" if tag.name == "li" else words))
    return blocks


def _clean(text: str) -> str:
    return re.sub(r"\s+([.,;:!?)])", r"\1", re.sub(r"\s+", " ", text)).strip()
