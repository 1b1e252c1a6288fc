"""Chunks sized for the encoder: a section's paragraphs packed into chunks of at most
``max_words`` words, split at paragraph boundaries, a paragraph too long at sentence
boundaries, a sentence too long at words. A chunk never spans two sections, so its section
path is exact; ``overlap`` repeats that many of the previous chunk's last sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from warmline.knowledge.reading import Document, Section

MAX_WORDS = 200
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


@dataclass(frozen=True)
class Chunk:
    """One chunk: its position in the document (0-based), the section it is in, its text."""

    position: int
    section_path: tuple[str, ...]
    anchor: str
    text: str

    def indexed_text(self) -> str:
        """What the indexes read: the section path, then the text (headings carry meaning
        a chunk's sentences often leave out: "Allowance" under "Checked bags")."""
        return " > ".join(self.section_path) + "\n" + self.text


def chunk_document(document: Document, max_words: int = MAX_WORDS, overlap: int = 0) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in document.sections:
        for text in _pack(_pieces(section, max_words), max_words, overlap):
            chunks.append(Chunk(len(chunks), section.path, section.anchor, text))
    return chunks


def _pieces(section: Section, max_words: int) -> list[tuple[str, bool]]:
    """The section's paragraphs, those too long cut into sentences (and sentences too long
    into runs of words); each with whether a new paragraph starts there."""
    pieces: list[tuple[str, bool]] = []
    for paragraph in section.paragraphs:
        if _words(paragraph) <= max_words:
            pieces.append((paragraph, True))
            continue
        first = True
        for sentence in _SENTENCE.split(paragraph):
            for part in _cut(sentence.strip(), max_words):
                pieces.append((part, first))
                first = False
    return pieces


def _cut(sentence: str, max_words: int) -> list[str]:
    words = sentence.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]


def _pack(pieces: list[tuple[str, bool]], max_words: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current: list[tuple[str, bool]] = []
    size = 0
    for text, starts in pieces:
        words = _words(text)
        if current and size + words > max_words:
            chunks.append(_join(current))
            current = [p for p in current[-overlap:] if not p[1]] if overlap else []
            size = sum(_words(p[0]) for p in current)
            if size + words > max_words:
                current, size = [], 0
        current.append((text, starts))
        size += words
    if current:
        chunks.append(_join(current))
    return chunks


def _join(pieces: list[tuple[str, bool]]) -> str:
    text = ""
    for piece, starts in pieces:
        text += ("\n\n" if starts else " ") + piece if text else piece
    return text


def _words(text: str) -> int:
    return len(text.split())
