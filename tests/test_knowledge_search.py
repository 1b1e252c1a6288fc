"""Hybrid retrieval over a small help centre: BM25 finds the rare keyword, the embeddings find
the paraphrase that shares no word with its passage, and the fusion keeps both; on SQLite and
on PostgreSQL (the same code: the vectors are stored as bytes and indexed in memory)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import empty_postgres
from warmline.knowledge.fusion import Fusion
from warmline.knowledge.index import DENSE, KEYWORD, VectorIndex
from warmline.nlu.embeddings import Encoder
from warmline.services.knowledge import KnowledgeBase, KnowledgeSource
from warmline.storage.database import create_engine, session_factory
from warmline.storage.knowledge import KnowledgeRepository
from warmline.storage.migrate import upgrade

CORPUS = {
    "pets.md": "# Travelling with pets\n\n## In the cabin\n\n"
    "Small cats and dogs may travel in the cabin inside a carrier under the seat.\n",
    "chargers.md": "# Power and chargers\n\n## Adapters\n\n"
    "Seats in rows 1 to 9 have a ZX-48 socket; bring your own plug for other rows.\n",
    "refunds.md": "# Refunds\n\n## Timing\n\nA refund reaches your card within seven business days.\n",
    "baggage.md": "# Baggage\n\n## Allowance\n\nEconomy passengers check one bag of up to 23 kg.\n",
    "meals.md": "# Meals\n\n## On board\n\nHot meals are served on flights longer than three hours.\n",
    "seats.md": "# Seats\n\n## Choosing a seat\n\nYou can choose a seat when you book or at check-in.\n",
}


async def _knowledge(url: str, folder: Path, encoder: Encoder) -> KnowledgeBase:
    for name, text in CORPUS.items():
        (folder / name).write_text(text)
    engine = create_engine(url)
    await upgrade(engine)
    knowledge = KnowledgeBase(KnowledgeRepository(session_factory(engine)), encoder)
    await knowledge.open([KnowledgeSource("airline", folder)])
    knowledge.engine = engine  # type: ignore[attr-defined]  # disposed by the fixture
    return knowledge


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def knowledge(
    request: pytest.FixtureRequest, tmp_path: Path, encoder: Encoder
) -> AsyncIterator[KnowledgeBase]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
        engine = create_engine(url)
        await empty_postgres(engine)
        await engine.dispose()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'warmline.db'}"
    folder = tmp_path / "docs"
    folder.mkdir()
    built = await _knowledge(url, folder, encoder)
    yield built
    await built.engine.dispose()  # type: ignore[attr-defined]


def _ranking(knowledge: KnowledgeBase, which: str, query: str) -> list[str]:
    index = knowledge.index_of("airline")
    assert index is not None
    vector = knowledge.encoder.encode([query])[0][: knowledge.dimension]
    vector = vector / np.linalg.norm(vector)
    ranking = index.rankings(query, vector, 10)[which]
    return [knowledge.chunk("airline", key).doc_id for key, _score in ranking]


async def test_bm25_finds_the_keyword_and_the_embeddings_the_paraphrase(
    knowledge: KnowledgeBase,
) -> None:
    assert _ranking(knowledge, KEYWORD, "ZX-48")[:1] == ["chargers"]
    assert (
        _ranking(knowledge, KEYWORD, "is my kitten permitted on the plane") == []
    )  # no word shared
    assert _ranking(knowledge, DENSE, "is my kitten permitted on the plane")[0] == "pets"


async def test_the_fusion_finds_both(knowledge: KnowledgeBase) -> None:
    passages = await knowledge.search(
        "airline", "is my kitten permitted on the plane? and the ZX-48", k=3
    )
    found = [p.doc_id for p in passages]
    assert {"pets", "chargers"} <= set(found)
    chargers = passages[found.index("chargers")]
    assert chargers.ranks[KEYWORD] == 1
    pets = passages[found.index("pets")]
    assert pets.ranks.get(DENSE, 99) <= 2
    assert passages == sorted(passages, key=lambda p: -p.score)


async def test_a_passage_carries_its_section_and_citation_link(knowledge: KnowledgeBase) -> None:
    [passage] = await knowledge.search("airline", "how long does a refund take", k=1)
    assert passage.doc_id == "refunds" and passage.chunk_id == "refunds#0"
    assert passage.title == "Refunds" and passage.section_path == ("Refunds", "Timing")
    assert passage.url == "/help/airline/refunds#timing"
    assert passage.text == "A refund reaches your card within seven business days."
    assert set(passage.ranks) == {KEYWORD, DENSE} and passage.score > 0


async def test_a_passage_carries_its_cosine_with_the_question(knowledge: KnowledgeBase) -> None:
    """Each passage carries the cosine of the question's embedding with its chunk's (what the
    answer's choice and the answerability score read): the dense ranking's own order."""
    query = "is my kitten permitted on the plane"
    passages = await knowledge.search("airline", query, k=6)
    vector = knowledge.encoder.encode([query])[0][: knowledge.dimension]
    vector = vector / np.linalg.norm(vector)
    for passage in passages:
        [key] = [
            c.key
            for c in knowledge.chunks_of("airline")
            if f"{c.doc_id}#{c.position}" == passage.chunk_id
        ]
        expected = float(np.dot(knowledge.chunk("airline", key).embedding, vector))
        assert passage.cosine == pytest.approx(expected, abs=1e-3)
    by_cosine = sorted(passages, key=lambda p: -(p.cosine or 0.0))
    assert by_cosine[0].doc_id == "pets" and by_cosine[0].ranks[DENSE] == 1


async def test_the_query_embedding_the_turn_computed_is_used_as_given(
    knowledge: KnowledgeBase,
) -> None:
    query = "is my kitten permitted on the plane"
    given = knowledge.encoder.encode([query])[0]  # the NLU's whole embedding
    assert [p.chunk_id for p in await knowledge.search("airline", query, 3, given)] == [
        p.chunk_id for p in await knowledge.search("airline", query, 3)
    ]
    assert await knowledge.search("airline", "   ", 3) == []
    assert await knowledge.search("retail", query, 3) == []  # a pack without documents


async def test_citations_follow_the_pack_url_base(tmp_path: Path, encoder: Encoder) -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    (tmp_path / "refunds.md").write_text(CORPUS["refunds.md"])
    own = tmp_path / "own.md"
    own.write_text("---\nurl: https://example.com/own-page\n---\n# Own\n\n## Part\n\nText here.\n")
    knowledge = KnowledgeBase(KnowledgeRepository(session_factory(engine)), encoder)
    source = KnowledgeSource("airline", tmp_path, "https://help.example.com/air/", ("*.md",))
    await knowledge.open([source])
    [refund] = await knowledge.search("airline", "refund timing", 1)
    assert refund.url == "https://help.example.com/air/refunds#timing"
    [mine] = await knowledge.search("airline", "text here part", 1)
    assert mine.url == "https://example.com/own-page#part"
    await engine.dispose()


def test_rrf_and_weighted_fusion() -> None:
    rankings = {KEYWORD: [(1, 9.0), (2, 3.0)], DENSE: [(2, 0.9), (3, 0.8)]}
    rrf = Fusion("rrf", rrf_k=60).fuse(rankings)
    assert [f.key for f in rrf] == [2, 1, 3]
    assert rrf[0].ranks == {KEYWORD: 2, DENSE: 1}
    assert rrf[0].score == pytest.approx(1 / 62 + 1 / 61)
    weighted = Fusion("weighted", weights={KEYWORD: 0.5, DENSE: 0.5}).fuse(rankings)
    assert [f.key for f in weighted] == [1, 2, 3]  # normalised: 1 -> 0.5, 2 -> 0.5, 3 -> 0
    assert weighted[0].score == pytest.approx(0.5) and weighted[-1].score == pytest.approx(0.0)


def test_the_vector_index_is_exact_then_a_graph_and_follows_removals() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, graph = VectorIndex(16), VectorIndex(16, exact_limit=100)
    for index in (exact, graph):
        index.add(list(range(300)), vectors)
    assert not exact.approximate and graph.approximate
    for probe in (0, 17, 250):
        assert exact.search(vectors[probe], 1)[0][0] == probe
        assert graph.search(vectors[probe], 1)[0][0] == probe
        assert exact.search(vectors[probe], 1)[0][1] == pytest.approx(1.0, abs=1e-5)
    for index in (exact, graph):
        index.remove([17])
        assert 17 not in {key for key, _ in index.search(vectors[17], 5)}
        assert len(index) == 299


@pytest.mark.postgres
async def test_workers_starting_together_ingest_one_after_the_other(
    postgres_database: str, tmp_path: Path, encoder: Encoder
) -> None:
    """Every worker ingests at start: on PostgreSQL the pack's advisory lock serialises them,
    and the second keeps what the first stored (no duplicate, no constraint error)."""
    engine = create_engine(postgres_database)
    await empty_postgres(engine)
    await upgrade(engine)
    for name, text in CORPUS.items():
        (tmp_path / name).write_text(text)
    workers = [
        KnowledgeBase(
            KnowledgeRepository(session_factory(create_engine(postgres_database))), encoder
        )
        for _ in range(3)
    ]
    source = KnowledgeSource("airline", tmp_path)
    reports = await asyncio.gather(*(w.open([source]) for w in workers))
    assert all(r[0].chunks == len(CORPUS) for r in reports)
    stored = await KnowledgeRepository(session_factory(engine)).chunks("airline")
    assert len(stored) == len(CORPUS)
    keys = {c.key for c in stored}
    for worker in workers:
        assert {c.key for c in worker.chunks_of("airline")} == keys
        [passage] = await worker.search("airline", "ZX-48", 1)
        assert passage.doc_id == "chargers"
    await engine.dispose()
