"""Knowledge ingestion: documents read into sections, chunks keep their section paths, only
what changed is re-read, removed files leave the database, a malformed pack section is named
by file, line and field (docs/knowledge.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from warmline.domain.pack_loader import parse_pack
from warmline.errors import ConfigurationError, PackError
from warmline.knowledge.cache import EmbeddingCache
from warmline.knowledge.chunking import chunk_document
from warmline.knowledge.reading import DocumentError, read_document
from warmline.nlu.embeddings import Encoder
from warmline.services.knowledge import KnowledgeBase, KnowledgeSource
from warmline.storage.database import create_engine, session_factory
from warmline.storage.knowledge import KnowledgeRepository
from warmline.storage.migrate import upgrade

BAGGAGE = """---
title: Baggage
---
# Baggage

Everything about bags.

## Checked bags

### Allowance

Economy passengers check one bag of up to 23 kg. Business passengers check two.

- Gold members: one more bag
- Silver members: no extra bag

## Pets

Small cats and dogs travel in the cabin in a carrier.
"""


def test_sections_keep_their_heading_paths_and_anchors() -> None:
    document = read_document("baggage.md", BAGGAGE.encode())
    assert document.title == "Baggage"
    paths = [(s.path, s.anchor) for s in document.sections]
    assert paths == [
        (("Baggage",), ""),
        (("Baggage", "Checked bags", "Allowance"), "allowance"),
        (("Baggage", "Pets"), "pets"),
    ]
    allowance = document.sections[1]
    assert allowance.paragraphs[1] == "- Gold members: one more bag\n- Silver members: no extra bag"


def test_chunks_stay_in_their_section_and_under_the_word_limit() -> None:
    long = " ".join(f"Sentence number {i} says something about refunds." for i in range(80))
    text = f"# Refunds\n\n## Timing\n\n{long}\n\n## Cards\n\nCards take five days.\n"
    chunks = chunk_document(read_document("refunds.md", text.encode()), max_words=100)
    timing = [c for c in chunks if c.section_path == ("Refunds", "Timing")]
    assert len(timing) >= 5 and all(len(c.text.split()) <= 100 for c in chunks)
    assert all(c.anchor == "timing" for c in timing)
    assert " ".join(c.text for c in timing).split() == long.split()  # nothing lost, in order
    assert (
        chunks[-1].section_path == ("Refunds", "Cards")
        and chunks[-1].text == "Cards take five days."
    )
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[0].indexed_text().startswith("Refunds > Timing\n")


def test_html_and_text_documents_are_read_into_sections() -> None:
    html = (
        "<html><head><title>Refunds</title><script>alert(1)</script></head><body>"
        "<nav>Home | Help</nav><h2>How long</h2><p>Seven <b>days</b>.</p>"
        "<ul><li>Cards</li><li>PayPal</li></ul></body></html>"
    )
    document = read_document("refunds.html", html.encode())
    assert document.title == "Refunds"
    assert document.sections[0].path == ("Refunds", "How long")
    assert document.sections[0].paragraphs == ("Seven days.", "- Cards", "- PayPal")
    text = read_document("notes.txt", b"First paragraph\ncontinues.\n\nSecond one.")
    assert text.title == "Notes" and text.sections[0].paragraphs == (
        "First paragraph\ncontinues.",
        "Second one.",
    )


class CountingEncoder(Encoder):
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.texts = 0

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def name(self) -> str:
        return self.inner.name

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return self.inner.encode(texts)


@pytest.fixture
async def repository() -> AsyncIterator[KnowledgeRepository]:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    yield KnowledgeRepository(session_factory(engine))
    await engine.dispose()


async def test_reingest_reads_only_what_changed_and_drops_removed_files(
    tmp_path: Path, encoder: Encoder, repository: KnowledgeRepository
) -> None:
    (tmp_path / "baggage.md").write_text(BAGGAGE)
    (tmp_path / "refunds.md").write_text("# Refunds\n\nRefunds take 7 days.\n")
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "pets.html").write_text("<h1>Pets</h1><p>Cats fly in the cabin.</p>")
    counting = CountingEncoder(encoder)
    knowledge = KnowledgeBase(repository, counting)
    source = KnowledgeSource("airline", tmp_path, None, ("**/*.md", "**/*.html"))
    first = (await knowledge.open([source]))[0]
    assert first.added == ["baggage.md", "faq/pets.html", "refunds.md"] and first.chunks == 5

    embedded = counting.texts
    again = await knowledge.ingest("airline")
    assert again.unchanged == ["baggage.md", "faq/pets.html", "refunds.md"]
    assert not (again.added or again.changed or again.removed)
    assert counting.texts == embedded  # nothing embedded again

    (tmp_path / "refunds.md").write_text("# Refunds\n\nRefunds now take 3 days.\n")
    (tmp_path / "baggage.md").unlink()
    changed = await knowledge.ingest("airline")
    assert changed.changed == ["refunds.md"] and changed.removed == ["baggage.md"]
    assert changed.unchanged == ["faq/pets.html"] and changed.chunks == 2
    assert counting.texts == embedded + 1  # only the changed document's one chunk
    stored = await repository.documents("airline")
    assert sorted(stored) == ["faq/pets.html", "refunds.md"]
    assert {c.doc_id for c in await repository.chunks("airline")} == {"faq/pets", "refunds"}
    found = await knowledge.search("airline", "how many days until my refund", k=5)
    assert found[0].doc_id == "refunds" and "3 days" in found[0].text
    assert all(p.doc_id != "baggage" for p in found)  # the index followed the removal


async def test_a_fresh_database_reads_known_documents_from_the_embedding_cache(
    tmp_path: Path, encoder: Encoder, repository: KnowledgeRepository
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "baggage.md").write_text(BAGGAGE)
    cache = EmbeddingCache(tmp_path / "cache")
    source = KnowledgeSource("airline", docs, None, ("*.md",))
    first = CountingEncoder(encoder)
    await KnowledgeBase(repository, first, cache=cache).open([source])
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    second = CountingEncoder(encoder)
    other = KnowledgeBase(KnowledgeRepository(session_factory(engine)), second, cache=cache)
    report = (await other.open([source]))[0]
    assert report.added == ["baggage.md"] and first.texts == 3 and second.texts == 0
    [passage] = await other.search("airline", "can my cat come in the cabin", k=1)
    assert passage.section_path == ("Baggage", "Pets")
    await engine.dispose()


async def test_a_missing_folder_or_an_unreadable_document_is_a_clear_error(
    tmp_path: Path, encoder: Encoder, repository: KnowledgeRepository
) -> None:
    knowledge = KnowledgeBase(repository, encoder)
    with pytest.raises(ConfigurationError, match=r"pack airline: knowledge.folder .* not a folder"):
        await knowledge.open([KnowledgeSource("airline", tmp_path / "nope")])
    (tmp_path / "bad.md").write_bytes(b"# Bad\n\n\xff\xfe not UTF-8")
    with pytest.raises(ConfigurationError, match=r"bad.md: not valid UTF-8"):
        await knowledge.open([KnowledgeSource("airline", tmp_path)])
    (tmp_path / "bad.md").write_text("# A\n")
    (tmp_path / "bad.html").write_text("<h1>B</h1>")
    source = KnowledgeSource("airline", tmp_path, None, ("*.md", "*.html"))
    with pytest.raises(ConfigurationError, match=r"bad.html and bad.md have one id"):
        await knowledge.open([source])


PACK = """pack: mini
persona:
  name: Ava
  company: Mini Air
  greeting: Hi, I'm Ava, a virtual assistant. Ask for a person any time.
intents: {{}}
knowledge:
{knowledge}
"""


@pytest.mark.parametrize(
    ("knowledge", "field", "line"),
    [
        ("  url: help.example.com", "knowledge.url", 8),
        ("  folder: docs\n  include: ['/etc/*']", "knowledge.include", 9),
        ("  folder: docs\n  colour: blue", "knowledge.colour", 9),
        ("  url: https://help.example.com", "knowledge.folder", 7),
    ],
)
def test_a_malformed_knowledge_section_names_file_line_and_field(
    knowledge: str, field: str, line: int
) -> None:
    with pytest.raises(PackError) as caught:
        parse_pack(PACK.format(knowledge=knowledge), "mini.yaml")
    issues = [i for i in caught.value.issues if i.field == field]
    assert issues, caught.value.issues
    assert issues[0].file == "mini.yaml" and issues[0].line == line


def test_a_pack_knowledge_section_resolves_its_folder_beside_the_pack(tmp_path: Path) -> None:
    pack = parse_pack(PACK.format(knowledge="  folder: ../docs\n  url: https://help.example.com/"))
    source = KnowledgeSource.of(pack, tmp_path / "packs" / "mini.yaml")
    assert source is not None and source.folder == (tmp_path / "docs").resolve()
    assert source.url == "https://help.example.com/" and "**/*.md" in source.include


def test_a_pdf_is_read_into_paragraphs() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Refund policy")
    pdf.ln(8)
    pdf.multi_cell(0, 8, "Refunds reach your card within seven business days.")
    document = read_document("policy/refunds.pdf", bytes(pdf.output()))
    assert document.kind == "pdf" and document.title == "Refunds"
    text = " ".join(p for s in document.sections for p in s.paragraphs)
    assert "Refunds reach your card within seven business days." in text
    with pytest.raises(DocumentError):
        read_document("broken.pdf", b"%PDF-1.4 not really")
