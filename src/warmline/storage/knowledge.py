"""The knowledge tables and repository (Alembic revision 0009): each pack's documents (path,
content hash, title, citation link, the encoder that embedded them, when ingested, the text the
help page renders) and their chunks (position, section path and anchor, text, and the
embedding as float32 bytes, so SQLite and PostgreSQL store it alike). A document is replaced
whole, chunks and all, in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def lock_key(pack: str) -> int:
    """The pack's ingest lock key: 64 bits of a keyed hash of its name, as a signed bigint."""
    digest = hashlib.blake2b(pack.encode("utf-8"), digest_size=8, person=b"warmline-know").digest()
    return int.from_bytes(digest, "big", signed=True)


class KnowledgeDocumentRow(Base):
    __tablename__ = "knowledge_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pack: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    doc_id: Mapped[str] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(64))
    encoder: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("pack", "path", name="uq_knowledge_documents_pack_path"),
        Index("ix_knowledge_documents_pack_doc", "pack", "doc_id"),
    )


class KnowledgeChunkRow(Base):
    __tablename__ = "knowledge_chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("knowledge_documents.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    section_path: Mapped[list[str]] = mapped_column(JSON)
    anchor: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_knowledge_chunks_document", "document_id", "position"),)


@dataclass(frozen=True)
class DocumentRecord:
    """A document as ingested; ``body`` is the Markdown the help page renders."""

    path: str
    doc_id: str
    content_hash: str
    encoder: str
    title: str
    url: str | None
    kind: str
    body: str
    ingested_at: datetime
    chunks: int = 0


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk to store (``key`` 0) or stored (``key`` its id), with its document's fields."""

    key: int
    doc_id: str
    title: str
    url: str | None
    position: int
    section_path: tuple[str, ...]
    anchor: str
    text: str
    embedding: NDArray[np.float32]


def _record(row: KnowledgeDocumentRow, chunks: int = 0) -> DocumentRecord:
    return DocumentRecord(
        row.path,
        row.doc_id,
        row.content_hash,
        row.encoder,
        row.title,
        row.url,
        row.kind,
        row.body,
        row.ingested_at,
        chunks,
    )


class KnowledgeRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def documents(self, pack: str) -> dict[str, DocumentRecord]:
        """The pack's documents by path, each with its number of chunks."""
        count = (
            select(func.count(KnowledgeChunkRow.id))
            .where(KnowledgeChunkRow.document_id == KnowledgeDocumentRow.id)
            .scalar_subquery()
        )
        query = select(KnowledgeDocumentRow, count).where(KnowledgeDocumentRow.pack == pack)
        with map_storage_errors("read the knowledge documents"):
            async with self._sessions() as session:
                rows = (await session.execute(query)).all()
        return {row.path: _record(row, int(n or 0)) for row, n in rows}

    async def document(self, pack: str, doc_id: str) -> DocumentRecord | None:
        query = select(KnowledgeDocumentRow).where(
            KnowledgeDocumentRow.pack == pack, KnowledgeDocumentRow.doc_id == doc_id
        )
        with map_storage_errors("read a knowledge document"):
            async with self._sessions() as session:
                row = (await session.execute(query.order_by(KnowledgeDocumentRow.id))).scalars()
                first = row.first()
        return _record(first) if first is not None else None

    async def packs(self) -> dict[str, tuple[int, int]]:
        """Each pack with documents: how many documents and chunks."""
        query = (
            select(
                KnowledgeDocumentRow.pack,
                func.count(func.distinct(KnowledgeDocumentRow.id)),
                func.count(KnowledgeChunkRow.id),
            )
            .outerjoin(KnowledgeChunkRow, KnowledgeChunkRow.document_id == KnowledgeDocumentRow.id)
            .group_by(KnowledgeDocumentRow.pack)
        )
        with map_storage_errors("count the knowledge documents"):
            async with self._sessions() as session:
                rows = (await session.execute(query)).all()
        return {pack: (int(docs), int(chunks)) for pack, docs, chunks in rows}

    async def store(
        self,
        pack: str,
        removed: list[str],
        documents: list[tuple[DocumentRecord, list[ChunkRecord]]],
    ) -> tuple[list[int], list[list[int]]]:
        """In one transaction: delete the documents at ``removed`` and store ``documents`` (each
        in place of any of its path), chunks and all. Returns the ids of the chunks deleted and,
        per document, of its chunks stored, in order.

        On PostgreSQL the pack's advisory lock is held for the transaction, so workers starting
        together ingest one after the other; a document another worker stored meanwhile with
        the same content and encoder is kept, and its chunks' ids returned."""
        with map_storage_errors("store knowledge documents"):
            async with self._sessions() as session, session.begin():
                if session.get_bind().dialect.name == "postgresql":
                    await session.execute(_LOCK, {"key": lock_key(pack)})
                kept = await self._kept(session, pack, documents)
                fresh = [(d, c) for d, c in documents if d.path not in kept]
                paths = removed + [document.path for document, _chunks in fresh]
                gone = await self._delete(session, pack, paths)
                ids = iter(await self._insert(session, pack, fresh))
                keys = [
                    kept[d.path] if d.path in kept else [next(ids) for _ in chunks]
                    for d, chunks in documents
                ]
                return gone, keys

    async def _kept(
        self,
        session: AsyncSession,
        pack: str,
        documents: list[tuple[DocumentRecord, list[ChunkRecord]]],
    ) -> dict[str, list[int]]:
        """The documents already stored as they would be (same content, same encoder), by
        path, with their chunks' ids in order."""
        wanted = {d.path: (d.content_hash, d.encoder) for d, _chunks in documents}
        if not wanted:
            return {}
        query = (
            select(KnowledgeDocumentRow.path, KnowledgeChunkRow.id)
            .outerjoin(KnowledgeChunkRow, KnowledgeChunkRow.document_id == KnowledgeDocumentRow.id)
            .where(KnowledgeDocumentRow.pack == pack, KnowledgeDocumentRow.path.in_(wanted))
            .where(
                tuple_(KnowledgeDocumentRow.content_hash, KnowledgeDocumentRow.encoder).in_(
                    list(set(wanted.values()))
                )
            )
            .order_by(KnowledgeDocumentRow.path, KnowledgeChunkRow.position)
        )
        kept: dict[str, list[int]] = {}
        for path, chunk_id in (await session.execute(query)).all():
            if wanted.get(path) is not None:
                kept.setdefault(path, []).extend([chunk_id] if chunk_id is not None else [])
        return kept

    async def _insert(
        self,
        session: AsyncSession,
        pack: str,
        documents: list[tuple[DocumentRecord, list[ChunkRecord]]],
    ) -> list[int]:
        """Insert the documents and their chunks; the chunks' ids, in order."""
        rows = [_document_row(pack, document) for document, _chunks in documents]
        session.add_all(rows)
        await session.flush()
        values = [
            _chunk_values(row.id, chunk)
            for row, (_document, chunks) in zip(rows, documents, strict=True)
            for chunk in chunks
        ]
        if not values:
            return []
        statement = insert(KnowledgeChunkRow).returning(  # one multi-row INSERT ... RETURNING
            KnowledgeChunkRow.id, sort_by_parameter_order=True
        )
        return list((await session.execute(statement, values)).scalars())

    async def _delete(self, session: AsyncSession, pack: str, paths: list[str]) -> list[int]:
        ids = select(KnowledgeDocumentRow.id).where(
            KnowledgeDocumentRow.pack == pack, KnowledgeDocumentRow.path.in_(paths)
        )
        doc_ids = list((await session.execute(ids)).scalars())
        if not doc_ids:
            return []
        chunk_ids = select(KnowledgeChunkRow.id).where(KnowledgeChunkRow.document_id.in_(doc_ids))
        removed = list((await session.execute(chunk_ids)).scalars())
        await session.execute(
            delete(KnowledgeChunkRow).where(KnowledgeChunkRow.document_id.in_(doc_ids))
        )
        await session.execute(
            delete(KnowledgeDocumentRow).where(KnowledgeDocumentRow.id.in_(doc_ids))
        )
        return removed

    async def chunks(self, pack: str) -> list[ChunkRecord]:
        """Every stored chunk of the pack, by document and position."""
        query = (
            select(KnowledgeChunkRow, KnowledgeDocumentRow)
            .join(KnowledgeDocumentRow, KnowledgeChunkRow.document_id == KnowledgeDocumentRow.id)
            .where(KnowledgeDocumentRow.pack == pack)
            .order_by(KnowledgeDocumentRow.path, KnowledgeChunkRow.position)
        )
        with map_storage_errors("read the knowledge chunks"):
            async with self._sessions() as session:
                rows = (await session.execute(query)).all()
        return [_chunk(chunk, doc) for chunk, doc in rows]


def _document_row(pack: str, document: DocumentRecord) -> KnowledgeDocumentRow:
    return KnowledgeDocumentRow(
        pack=pack,
        path=document.path,
        doc_id=document.doc_id,
        content_hash=document.content_hash,
        encoder=document.encoder,
        title=document.title,
        url=document.url,
        kind=document.kind,
        body=document.body,
        ingested_at=document.ingested_at,
    )


def _chunk_values(document_id: int, chunk: ChunkRecord) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "position": chunk.position,
        "section_path": list(chunk.section_path),
        "anchor": chunk.anchor,
        "text": chunk.text,
        "embedding": np.asarray(chunk.embedding, dtype="<f4").tobytes(),
    }


def _chunk(row: KnowledgeChunkRow, doc: KnowledgeDocumentRow) -> ChunkRecord:
    vector: Any = np.frombuffer(row.embedding, dtype="<f4").astype(np.float32)
    return ChunkRecord(
        row.id,
        doc.doc_id,
        doc.title,
        doc.url,
        row.position,
        tuple(row.section_path),
        row.anchor,
        row.text,
        vector,
    )
