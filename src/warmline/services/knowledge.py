"""The knowledge base: each pack's documents ingested into the database (only what changed:
a content hash per file), their chunks indexed in memory (BM25 and the encoder's embeddings,
fused), and searched for passages with their citation links (docs/knowledge.md)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import numpy as np
from numpy.typing import NDArray

from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import load_pack
from warmline.errors import ConfigurationError, NotFound
from warmline.knowledge.cache import EmbeddingCache as EmbeddingCache
from warmline.knowledge.chunking import MAX_WORDS, chunk_document
from warmline.knowledge.fusion import Fusion
from warmline.knowledge.index import HybridIndex
from warmline.knowledge.passage import Passage
from warmline.knowledge.reading import DocumentError, kind_of, read_document
from warmline.knowledge.rendering import markdown_of, render_markdown
from warmline.knowledge.vectors import sentence_dimension, sentence_part
from warmline.nlu.embeddings import Encoder
from warmline.services.packs import resolve_pack_path
from warmline.settings import Settings
from warmline.storage.database import create_engine, session_factory
from warmline.storage.knowledge import ChunkRecord, DocumentRecord, KnowledgeRepository
from warmline.storage.migrate import upgrade
from warmline.types import Clock, SystemClock

log = logging.getLogger("warmline.knowledge")

FUSION = Fusion("rrf", rrf_k=5.0)
"""The fusion searches use: reciprocal rank with k = 5, chosen on the dev splits (the demo
questions' section@3, ties broken by the tau2 banking tasks' recall@5 + @10; docs/knowledge.md,
benchmarks/knowledge_retrieval.py)."""


class DocumentNotFound(NotFound):
    code = "document_not_found"


@dataclass(frozen=True)
class KnowledgeSource:
    """Where a pack's documents are: the folder (resolved), the citation base, the globs."""

    pack: str
    folder: Path
    url: str | None = None
    include: tuple[str, ...] = ("**/*.md",)

    @classmethod
    def of(cls, pack: DomainPack, pack_file: Path) -> KnowledgeSource | None:
        if pack.knowledge is None:
            return None
        folder = (pack_file.parent / pack.knowledge.folder).resolve()
        return cls(pack.pack, folder, pack.knowledge.url, tuple(pack.knowledge.include))

    def files(self) -> dict[str, Path]:
        """The documents by their path in the folder (``faq/refunds.md``), sorted."""
        if not self.folder.is_dir():
            raise ConfigurationError(
                f"pack {self.pack}: knowledge.folder {self.folder} is not a folder"
            )
        found: dict[str, Path] = {}
        for pattern in self.include:
            for path in self.folder.glob(pattern):
                if path.is_file() and kind_of(path.name) is not None:
                    found[path.relative_to(self.folder).as_posix()] = path
        ids: dict[str, str] = {}
        for name in sorted(found):
            other = ids.setdefault(doc_id_of(name), name)
            if other != name:
                raise ConfigurationError(
                    f"pack {self.pack}: knowledge documents {other} and {name} have one id "
                    f"({doc_id_of(name)}); rename one"
                )
        return dict(sorted(found.items()))


@dataclass(frozen=True)
class HelpPage:
    """A document as its help page shows it: the title, the article as safe HTML (raw HTML
    in the source escaped, every heading with its anchor) and its sections (level, heading,
    anchor) for the page's contents."""

    pack: str
    doc_id: str
    title: str
    html: str
    sections: list[tuple[int, str, str]]


@dataclass
class IngestReport:
    """What one ingest did to a pack's documents, by path."""

    pack: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0


def doc_id_of(path: str) -> str:
    """A document's id: its path in the folder without the suffix (``faq/refunds``)."""
    return str(PurePosixPath(path).with_suffix(""))


class KnowledgeBase:
    """Every pack's knowledge: ingest, index, search, and the documents for the help page."""

    def __init__(
        self,
        repository: KnowledgeRepository,
        encoder: Encoder,
        *,
        fusion: Fusion = FUSION,
        max_words: int = MAX_WORDS,
        clock: Clock | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.cache = cache
        self.dimension = sentence_dimension(encoder)
        self.embedding_name = f"{encoder.name}:{self.dimension}"  # stored: a change re-embeds
        self.repository = repository
        self.encoder = encoder
        self.fusion = fusion
        self.max_words = max_words
        self.clock = clock or SystemClock()
        self.sources: dict[str, KnowledgeSource] = {}
        self._indexes: dict[str, HybridIndex] = {}
        self._chunks: dict[str, dict[int, ChunkRecord]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def packs(self) -> list[str]:
        """The packs that have a knowledge folder."""
        return sorted(self.sources)

    async def open(
        self, sources: Iterable[KnowledgeSource], ingest: bool = True
    ) -> list[IngestReport]:
        """Ingest each source (cheap when nothing changed) and build its indexes; without
        ``ingest``, build them from what is stored."""
        reports = []
        for source in sources:
            self.sources[source.pack] = source
            if ingest:
                reports.append(await self.ingest(source.pack))
            else:
                await self._follow(source.pack, [], [])
        return reports

    async def ingest(self, pack: str) -> IngestReport:
        """Bring the stored documents of ``pack`` in step with its folder, in one transaction:
        new and changed files read, chunked and embedded, removed files deleted; then the
        indexes follow."""
        source = self.sources.get(pack)
        if source is None:
            raise NotFound(f"pack '{pack}' has no knowledge folder")
        async with self._locks.setdefault(pack, asyncio.Lock()):
            files = await asyncio.to_thread(source.files)
            stored = await self.repository.documents(pack)
            report = IngestReport(pack, removed=[path for path in stored if path not in files])
            documents: list[tuple[DocumentRecord, list[ChunkRecord]]] = []
            for path, file in files.items():
                data = await asyncio.to_thread(file.read_bytes)
                digest = hashlib.sha256(data).hexdigest()
                old = stored.get(path)
                if old and old.content_hash == digest and old.encoder == self.embedding_name:
                    report.unchanged.append(path)
                    continue
                (report.changed if old else report.added).append(path)
                documents.append(await self._read(pack, path, data, digest))
            added: list[ChunkRecord] = []
            dropped: list[int] = []
            if documents or report.removed:
                dropped, keys = await self.repository.store(pack, report.removed, documents)
                for (_document, chunks), ids in zip(documents, keys, strict=True):
                    added += [replace(c, key=k) for c, k in zip(chunks, ids, strict=True)]
            await self._follow(pack, dropped, added)
            report.chunks = len(self._chunks[pack])
            return report

    async def _read(
        self, pack: str, path: str, data: bytes, digest: str
    ) -> tuple[DocumentRecord, list[ChunkRecord]]:
        """Read, chunk and embed one file: its record and its chunks (not stored yet)."""
        try:
            document = await asyncio.to_thread(read_document, path, data)
        except DocumentError as exc:
            raise ConfigurationError(f"pack {pack}: knowledge document {exc}") from None
        chunks = chunk_document(document, self.max_words)
        vectors = await self._embed(digest, [chunk.indexed_text() for chunk in chunks])
        url = document.meta.get("url")
        record = DocumentRecord(
            path,
            doc_id_of(path),
            digest,
            self.embedding_name,
            document.title,
            str(url) if url else None,
            document.kind,
            markdown_of(document, data),
            self.clock.now(),
        )
        records = [
            ChunkRecord(
                0,
                record.doc_id,
                record.title,
                record.url,
                chunk.position,
                chunk.section_path,
                chunk.anchor,
                chunk.text,
                vectors[i],
            )
            for i, chunk in enumerate(chunks)
        ]
        return record, records

    async def _embed(self, digest: str, texts: list[str]) -> NDArray[np.float32]:
        """The texts' embeddings: from the cache when this document was embedded before."""
        key = (digest, self.embedding_name, self.max_words, len(texts))
        vectors = self.cache.get(*key) if self.cache else None
        if vectors is None or vectors.shape != (len(texts), self.dimension):
            encoded = await asyncio.to_thread(self.encoder.encode, texts)
            vectors = sentence_part(encoded, self.dimension)
            if self.cache:
                self.cache.put(vectors, *key)
        return vectors

    async def _follow(self, pack: str, dropped: list[int], added: list[ChunkRecord]) -> None:
        """Keep the pack's indexes in step: the first time read every stored chunk, then
        remove and add the vectors that changed; BM25 is rebuilt over all chunks."""
        index = self._indexes.get(pack)
        if index is None:
            chunks = {c.key: c for c in await self.repository.chunks(pack)}
            index = HybridIndex(self.dimension, self.fusion)
            index.vectors.add(list(chunks), _matrix(chunks.values(), self.dimension))
            self._indexes[pack], self._chunks[pack] = index, chunks
        elif dropped or added:
            chunks = self._chunks[pack]
            index.vectors.remove([key for key in dropped if key in chunks])
            for key in dropped:
                chunks.pop(key, None)
            chunks.update({c.key: c for c in added})
            index.vectors.add([c.key for c in added], _matrix(added, self.dimension))
        else:
            return
        await asyncio.to_thread(
            index.rebuild_keywords,
            list(self._chunks[pack]),
            [_indexed_text(c) for c in self._chunks[pack].values()],
        )

    def index_of(self, pack: str) -> HybridIndex | None:
        """The pack's indexes (None: no knowledge), for measuring rankings on their own."""
        return self._indexes.get(pack)

    def chunks_of(self, pack: str) -> list[ChunkRecord]:
        """Every indexed chunk of ``pack``."""
        return list(self._chunks.get(pack, {}).values())

    def chunk(self, pack: str, key: int) -> ChunkRecord:
        """One indexed chunk of ``pack`` by its key."""
        return self._chunks[pack][key]

    async def search(
        self, pack: str, query: str, k: int = 5, embedding: NDArray[np.float32] | None = None
    ) -> list[Passage]:
        """The ``k`` passages of ``pack``'s documents that best answer ``query``, best first;
        ``embedding``: the query's embedding if already computed (by the same encoder). A pack
        without knowledge has none."""
        index = self._indexes.get(pack)
        if index is None or not query.strip():
            return []
        if embedding is None:
            embedding = (await asyncio.to_thread(self.encoder.encode, [query]))[0]
        vector = sentence_part(np.asarray(embedding).reshape(-1), self.dimension)
        chunks = self._chunks[pack]
        return [
            self._passage(pack, chunks[hit.key], hit.score, hit.ranks, vector)
            for hit in index.search(query, vector, k)
        ]

    def _passage(
        self,
        pack: str,
        chunk: ChunkRecord,
        score: float,
        ranks: dict[str, int],
        vector: NDArray[np.float32],
    ) -> Passage:
        """A chunk as a passage, with the cosine of its embedding and the question's."""
        return Passage(
            chunk.doc_id,
            f"{chunk.doc_id}#{chunk.position}",
            chunk.title,
            chunk.section_path,
            chunk.text,
            self.link(pack, chunk.doc_id, chunk.anchor, chunk.url),
            score,
            dict(ranks),
            round(float(np.dot(chunk.embedding, vector)), 4),
        )

    def link(self, pack: str, doc_id: str, anchor: str, url: str | None = None) -> str:
        """A section's citation link: the document's own ``url``, else the pack's base + the
        document's id, else warmline's help page; the section's anchor after ``#``."""
        base = self.sources[pack].url if pack in self.sources else None
        if url:
            page = url
        elif base:
            page = base.rstrip("/") + "/" + quote(doc_id)
        else:
            page = f"/help/{quote(pack)}/{quote(doc_id)}"
        return f"{page}#{anchor}" if anchor else page

    async def page(self, pack: str, doc_id: str) -> HelpPage:
        """The help page of one ingested document (``DocumentNotFound`` when there is none)."""
        document = await self.document(pack, doc_id)
        html, sections = await asyncio.to_thread(render_markdown, document.body)
        return HelpPage(pack, doc_id, document.title, html, sections)

    async def document(self, pack: str, doc_id: str) -> DocumentRecord:
        """One ingested document of ``pack`` (``DocumentNotFound`` when there is none)."""
        found = await self.repository.document(pack, doc_id) if pack in self.sources else None
        if found is None:
            raise DocumentNotFound(f"no such document in the help centre of '{pack}'")
        return found


def _indexed_text(chunk: ChunkRecord) -> str:
    return " > ".join(chunk.section_path) + "\n" + chunk.text


def _matrix(chunks: Iterable[ChunkRecord], dimension: int) -> NDArray[np.float32]:
    rows = [c.embedding for c in chunks]
    if not rows:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(rows), dtype=np.float32)


def sources_of(pack_sources: Iterable[str]) -> list[KnowledgeSource]:
    """The knowledge sources of the configured packs (names or YAML paths) that declare one."""
    found: dict[str, KnowledgeSource] = {}
    for name in pack_sources:
        file = resolve_pack_path(name)
        source = KnowledgeSource.of(load_pack(file), file)
        if source is not None:
            found.setdefault(source.pack, source)
    return list(found.values())


@asynccontextmanager
async def open_knowledge_base(
    settings: Settings, ingest: bool = False
) -> AsyncIterator[KnowledgeBase]:
    """The knowledge of the configured packs on the configured database (migrated first),
    for the command line: indexed from what is stored, or ingested first."""
    from warmline.services.runtime import load_configured_encoder  # runtime imports this

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        encoder = await load_configured_encoder(settings)
        cache = EmbeddingCache(settings.model_dir / "knowledge")
        knowledge = KnowledgeBase(
            KnowledgeRepository(session_factory(engine)), encoder, cache=cache
        )
        await knowledge.open(sources_of(settings.packs), ingest=ingest)
        yield knowledge
    finally:
        await engine.dispose()
