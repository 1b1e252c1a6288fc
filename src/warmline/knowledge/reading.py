"""Reading documents into sections: Markdown (with optional YAML front matter), HTML, plain
text and PDF. A section is the text under one heading, with the path of headings above it,
the document's title first (``("Baggage", "Checked bags", "Allowance")``), and the anchor of
its heading on the help page (``allowance``)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from warmline.knowledge.slugs import Slugger

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
SUFFIXES |= {".txt": "text", ".text": "text", ".pdf": "pdf"}
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


class DocumentError(ValueError):
    """A document that cannot be read (not UTF-8, bad front matter, unreadable PDF)."""


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    anchor: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """One document read: its id (the path in its folder), title, kind, sections in order, and
    its front matter (``url`` there overrides the citation link)."""

    doc_id: str
    title: str
    kind: str
    sections: tuple[Section, ...]
    meta: dict[str, Any] = field(default_factory=dict)


def kind_of(doc_id: str) -> str | None:
    """``markdown``, ``html``, ``text`` or ``pdf`` by the file's suffix; None: not read."""
    return SUFFIXES.get(PurePosixPath(doc_id).suffix.lower())


def read_document(doc_id: str, data: bytes) -> Document:
    """Read the bytes of ``doc_id`` by its suffix. Raises ``DocumentError``."""
    kind = kind_of(doc_id)
    if kind == "pdf":
        return _from_blocks(doc_id, "pdf", {}, [(0, p) for p in _pdf_paragraphs(data)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{doc_id}: not valid UTF-8 (byte {exc.start})") from None
    if kind == "markdown":
        meta, body = front_matter(doc_id, text)
        return _from_blocks(doc_id, kind, meta, markdown_blocks(body))
    if kind == "html":
        from warmline.knowledge.html import html_blocks

        return _from_blocks(doc_id, kind, {}, html_blocks(text))
    if kind == "text":
        return _from_blocks(doc_id, kind, {}, [(0, p) for p in _paragraphs(text)])
    raise DocumentError(f"{doc_id}: not a document warmline reads ({', '.join(SUFFIXES)})")


def front_matter(doc_id: str, text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (``---`` ... ``---`` at the top) and the text after it."""
    match = _FRONT.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise DocumentError(f"{doc_id}: front matter is not YAML: {exc}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(f"{doc_id}: front matter must be a mapping")
    return meta, text[match.end() :]


_MD = MarkdownIt("commonmark").enable("table")


def markdown_blocks(text: str) -> list[tuple[int, str]]:
    """The document as ``(level, text)`` blocks: a heading (level 1-6) or a paragraph (level
    0); a list is one paragraph, an item a line ``- item``; a table row a line of cells."""
    blocks: list[tuple[int, str]] = []
    tokens = _MD.parse(text)
    heading = 0
    lines: list[str] | None = None  # the open list or table, one line per item or row
    depth = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open", "table_open"):
            depth += 1
            lines = [] if lines is None else lines
        elif token.type in ("bullet_list_close", "ordered_list_close", "table_close"):
            depth -= 1
            if depth == 0 and lines is not None:
                blocks.append((0, "\n".join(lines)))
                lines = None
        elif token.type == "heading_open":
            heading = int(token.tag[1])
        elif token.type == "tr_open" and lines is not None:
            lines.append(" | ".join(_row_cells(tokens, index)))
        elif token.type in ("inline", "fence", "code_block"):
            _add_text(blocks, lines, token, heading, tokens[index - 1] if index else None)
            heading = 0
    return blocks


def _row_cells(tokens: list[Token], start: int) -> list[str]:
    cells = []
    for token in tokens[start + 1 :]:
        if token.type == "tr_close":
            break
        if token.type == "inline":
            cells.append(plain_text(token))
    return cells


def _add_text(
    blocks: list[tuple[int, str]],
    lines: list[str] | None,
    token: Token,
    heading: int,
    before: Token | None,
) -> None:
    if token.type == "inline" and before is not None and before.type in ("th_open", "td_open"):
        return  # read with its row
    text = plain_text(token) if token.type == "inline" else token.content.strip()
    if not text:
        return
    if heading:
        blocks.append((heading, text))
    elif lines is not None:
        prefix = "- " if token.level >= 2 and before and before.type == "paragraph_open" else ""
        if lines and not prefix:
            lines[-1] += " " + text
        else:
            lines.append(prefix + text)
    else:
        blocks.append((0, text))


def plain_text(token: Token) -> str:
    """An inline token's text without its markup (links keep their words)."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _paragraphs(text: str) -> list[str]:
    return [
        re.sub(r"[ \t]*\n[ \t]*", "\n", p).strip() for p in re.split(r"\n\s*\n", text) if p.strip()
    ]


def _pdf_paragraphs(data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, OSError) as exc:
        raise DocumentError(f"cannot read the PDF: {exc}") from None
    return [p for page in pages for p in _paragraphs(page)]


def _from_blocks(
    doc_id: str, kind: str, meta: dict[str, Any], blocks: list[tuple[int, str]]
) -> Document:
    """Sections from blocks: the title is the front matter's, else the first level-1 heading,
    else the file name; each heading opens a section under the headings of lower level."""
    title = str(meta.get("title") or "").strip()
    if not title:
        first = next((text for level, text in blocks if level == 1), None)
        title = first or PurePosixPath(doc_id).stem.replace("-", " ").replace("_", " ").title()
    slugger = Slugger()
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    anchor, paragraphs = "", []  # the open section
    for level, text in blocks:
        if level == 0:
            paragraphs.append(text)
            continue
        _close(sections, (title, *[t for _, t in stack]), anchor, paragraphs)
        if level == 1 and text == title and not stack:
            slugger.slug(text)  # every heading takes its slug in order, as on the help page
            anchor, paragraphs = "", []
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
        anchor, paragraphs = slugger.slug(text), []
    _close(sections, (title, *[t for _, t in stack]), anchor, paragraphs)
    return Document(doc_id, title, kind, tuple(sections), meta)


def _close(
    sections: list[Section], path: tuple[str, ...], anchor: str, paragraphs: list[str]
) -> None:
    if paragraphs:
        sections.append(Section(path, anchor, tuple(paragraphs)))
