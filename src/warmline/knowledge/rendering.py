"""Documents as help pages: the Markdown a document is shown by (a Markdown file's own text,
others' sections written as Markdown), rendered to HTML with an ``id`` on every heading (the
section anchors citations link to). Raw HTML in Markdown is escaped, not passed through, and
links other than http(s), mailto and relative ones are dropped (markdown-it's link check)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from warmline.knowledge.reading import Document, front_matter, plain_text
from warmline.knowledge.slugs import Slugger


def markdown_of(document: Document, data: bytes) -> str:
    """The Markdown the help page renders for ``document`` (read from ``data``)."""
    if document.kind == "markdown":
        return front_matter(document.doc_id, data.decode("utf-8-sig"))[1]
    lines = [f"# {_escape(document.title)}", ""]
    shown: tuple[str, ...] = (document.title,)
    for section in document.sections:
        for depth, heading in enumerate(section.path):
            if depth < len(shown) and shown[depth] == heading:
                continue
            lines += [f"{'#' * min(depth + 1, 6)} {_escape(heading)}", ""]
        shown = section.path
        for paragraph in section.paragraphs:
            lines += [_escape(paragraph).replace("\n", "  \n"), ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Text that Markdown shows as written: its markup characters escaped (a line opening
    with "- " stays a list item)."""
    return "".join("\\" + char if char in _MARKUP else char for char in text)


_MARKUP = frozenset("\\`*_{}[]<>()#+!|~")


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """``text`` as HTML, and its headings (level, text, anchor) in order; the first level-1
    heading is left out of the HTML (the page shows the title itself)."""
    tokens = _MD.parse(text)
    slugger = Slugger()
    headings: list[tuple[int, str, str]] = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open":
                child.attrSet("href", _help_link(str(child.attrGet("href") or "")))
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        words = plain_text(tokens[index + 1])
        anchor = slugger.slug(words)
        token.attrSet("id", anchor)
        headings.append((int(token.tag[1]), words, anchor))
    if headings and headings[0][0] == 1:
        tokens = _without_first_h1(tokens)
    return _MD.renderer.render(tokens, _MD.options, {}), headings


_SUFFIX = re.compile(r"\.(md|markdown|html?|txt|pdf)(?=$|#)", re.I)


def _help_link(href: str) -> str:
    """A relative link to another document (``refunds.md#timing``) as its help page's
    (``refunds#timing``); other links as they are."""
    if not href or href.startswith(("/", "#")) or re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
        return href
    return _SUFFIX.sub("", href, count=1)


def _without_first_h1(tokens: list[Token]) -> list[Token]:
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[:index] + tokens[index + 3 :]
    return tokens
