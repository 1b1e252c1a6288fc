"""Knowledge retrieval: recall and latency of ``services/knowledge.py`` (docs/knowledge.md).

tau2-bench banking (documents no one here wrote): the 698 documents are written as Markdown
files (``# title`` then the content) and ingested by the real pipeline (chunking, embedding,
SQLite), each task's customer instructions (``user_scenario.instructions``) are the query, and
the chunks' ranking is read as a ranking of documents (each document at its best chunk).
recall@k is the share of a task's ``required_documents`` among the first k documents, averaged
over the tasks; BM25 alone, embeddings alone and the fusions side by side. The fusion is chosen
on the dev split (tasks with an even number) and reported on the test split (odd).

The demo question set (``benchmarks/knowledge/questions.yaml``, when present): recall@3 of the
gold document (and section) over the answerable questions, on the demo packs' documents; and
the search's latency p50/p95 (the query's embedding given, as the turn gives it, and not).

    .venv/bin/python benchmarks/knowledge_retrieval.py --tau2 ../shared/datasets/tau2_banking_knowledge
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from warmline.knowledge.cache import EmbeddingCache  # noqa: E402
from warmline.knowledge.fusion import Fusion  # noqa: E402
from warmline.knowledge.index import DENSE, KEYWORD, VectorIndex  # noqa: E402
from warmline.knowledge.passage import Passage  # noqa: E402
from warmline.knowledge.vectors import sentence_part  # noqa: E402
from warmline.nlu.embeddings import EncoderConfig, load_encoder  # noqa: E402
from warmline.services.knowledge import FUSION, KnowledgeBase, KnowledgeSource  # noqa: E402
from warmline.storage.database import create_engine, session_factory  # noqa: E402
from warmline.storage.knowledge import KnowledgeRepository  # noqa: E402
from warmline.storage.migrate import upgrade  # noqa: E402

CACHE: EmbeddingCache | None = None  # --cache: chunk embeddings kept between runs
DEPTH = 100  # chunks each ranking contributes before documents are counted
FUSIONS = {
    **{f"rrf k={k}": Fusion("rrf", rrf_k=k) for k in (5, 10, 20, 30, 60, 100)},
    **{
        f"weighted dense={w}": Fusion("weighted", weights={DENSE: w, KEYWORD: 1 - w})
        for w in (0.3, 0.5, 0.7)
    },
    **{
        f"rrf k=60 dense={w}": Fusion("rrf", rrf_k=60, weights={DENSE: w, KEYWORD: 1 - w})
        for w in (0.3, 0.7)
    },
}


async def knowledge_base(folder: Path, pack: str, max_words: int) -> tuple[KnowledgeBase, float]:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    encoder = load_encoder(EncoderConfig(precision="int8"))
    kb = KnowledgeBase(
        KnowledgeRepository(session_factory(engine)), encoder, max_words=max_words, cache=CACHE
    )
    started = time.perf_counter()
    await kb.open([KnowledgeSource(pack, folder, None, ("**/*.md",))])
    return kb, time.perf_counter() - started


def documents_in(kb: KnowledgeBase, pack: str, ranking: Sequence[tuple[int, float]]) -> list[str]:
    seen: dict[str, None] = {}
    for key, _score in ranking:
        seen.setdefault(kb.chunk(pack, key).doc_id, None)
    return list(seen)


def recall(found: list[str], gold: set[str], k: int) -> float:
    return len(gold & set(found[:k])) / len(gold)


def tau2_tasks(folder: Path) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads((folder / "tasks.json").read_text("utf-8"))
    return [t for t in tasks if t["required_documents"]]


def write_tau2(folder: Path, target: Path) -> None:
    for line in (folder / "documents.jsonl").read_text("utf-8").splitlines():
        doc = json.loads(line)
        text = f"# {doc['title']}\n\n{doc['content']}\n"
        (target / f"{doc['id']}.md").write_text(text, "utf-8")


async def tau2(args: argparse.Namespace) -> dict[str, Any]:
    tasks = tau2_tasks(args.tau2)
    with tempfile.TemporaryDirectory() as tmp:
        write_tau2(args.tau2, Path(tmp))
        kb, ingest_s = await knowledge_base(Path(tmp), "banking", args.max_words)
    index = kb.index_of("banking")
    assert index is not None
    queries = [t["user_scenario"]["instructions"] for t in tasks]
    vectors = sentence_part(kb.encoder.encode(queries), kb.dimension)
    rankings = [index.rankings(q, v, DEPTH) for q, v in zip(queries, vectors, strict=True)]
    methods: dict[str, list[list[str]]] = {
        "bm25": [documents_in(kb, "banking", r[KEYWORD]) for r in rankings],
        "dense": [documents_in(kb, "banking", r[DENSE]) for r in rankings],
    }
    for name, fusion in FUSIONS.items():
        fused = [[(f.key, f.score) for f in fusion.fuse(r)] for r in rankings]
        methods[name] = [documents_in(kb, "banking", f) for f in fused]
    splits = {
        "dev": [i for i, t in enumerate(tasks) if int(t["id"].split("_")[-1]) % 2 == 0],
        "test": [i for i, t in enumerate(tasks) if int(t["id"].split("_")[-1]) % 2 == 1],
        "all": list(range(len(tasks))),
    }
    table: dict[str, dict[str, float]] = {}
    for name, found in methods.items():
        row = {}
        for split, members in splits.items():
            for k in (5, 10):
                gold = [set(tasks[i]["required_documents"]) for i in members]
                row[f"{split}@{k}"] = statistics.fmean(
                    recall(found[i], g, k) for i, g in zip(members, gold, strict=True)
                )
        table[name] = row
    fused_names = list(FUSIONS)
    chosen = max(fused_names, key=lambda n: table[n]["dev@5"] + table[n]["dev@10"])
    graph = VectorIndex(index.vectors.dimension, exact_limit=0)
    chunks = kb.chunks_of("banking")
    graph.add([c.key for c in chunks], np.vstack([c.embedding for c in chunks]))
    graph.build()
    overlap = [
        len({k for k, _ in graph.search(v, 10)} & {k for k, _ in index.vectors.search(v, 10)}) / 10
        for v in vectors
    ]
    return {
        "tasks": len(tasks),
        "dev": len(splits["dev"]),
        "test": len(splits["test"]),
        "chunks": len(index.keywords),
        "ingest_s": round(ingest_s, 1),
        "max_words": args.max_words,
        "chosen_on_dev": chosen,
        "hnsw_recall@10_of_exact": round(statistics.fmean(overlap), 3),
        "recall": {n: {k: round(v, 3) for k, v in row.items()} for n, row in table.items()},
    }


def scale(n: int, dimension: int = 384, queries: int = 200) -> dict[str, float]:
    """Exact search and the HNSW graph over ``n`` synthetic unit vectors in 2,000 clusters
    (embeddings of real documents cluster by topic): build time, query latency, and the share
    of the exact top 10 the graph finds."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, dimension)).astype(np.float32)
    data = centres[rng.integers(0, 2000, n)] + 0.6 * rng.standard_normal((n, dimension)).astype(
        np.float32
    )
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    probes = data[rng.choice(n, queries, replace=False)] + 0.05 * rng.standard_normal(
        (queries, dimension)
    ).astype(np.float32)
    out: dict[str, float] = {"vectors": n}
    found = {}
    for name, limit in (("exact", n), ("hnsw", 0)):
        index = VectorIndex(dimension, exact_limit=limit)
        index.add(list(range(n)), data)
        started = time.perf_counter()
        index.build()
        out[f"{name} build s"] = round(time.perf_counter() - started, 2)
        times, found[name] = [], []
        for probe in probes:
            started = time.perf_counter()
            found[name].append({k for k, _ in index.search(probe, 10)})
            times.append((time.perf_counter() - started) * 1000)
        out[f"{name} p50 ms"] = round(float(np.percentile(times, 50)), 3)
        out[f"{name} p95 ms"] = round(float(np.percentile(times, 95)), 3)
    hits = [len(a & b) / 10 for a, b in zip(found["hnsw"], found["exact"], strict=True)]
    out["hnsw recall@10 of exact"] = round(statistics.fmean(hits), 3)
    return out


def matches(passage: Passage, gold: list[dict[str, str]], section: bool) -> bool:
    for item in gold:
        if passage.doc_id != item["doc"]:
            continue
        if not section or not item.get("section") or item["section"] in passage.section_path:
            return True
    return False


async def timings(
    kb: KnowledgeBase, questions: list[dict[str, Any]], vectors: Any, repeat: int
) -> dict[str, float]:
    """Search latency over the questions: with the turn's embedding given, and encoding."""
    given, encoded = [], []
    for _ in range(repeat):
        for q, v in zip(questions, vectors, strict=True):
            t = time.perf_counter()
            await kb.search(q["pack"], q["question"], 5, v)
            given.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            await kb.search(q["pack"], q["question"], 5)
            encoded.append((time.perf_counter() - t) * 1000)
    return {
        "embedding given p50": round(float(np.percentile(given, 50)), 2),
        "embedding given p95": round(float(np.percentile(given, 95)), 2),
        "query encoded p50": round(float(np.percentile(encoded, 50)), 2),
        "query encoded p95": round(float(np.percentile(encoded, 95)), 2),
        "searches": len(given),
    }


async def demo(args: argparse.Namespace) -> dict[str, Any]:
    data = yaml.safe_load(args.questions.read_text("utf-8"))
    questions = [q for q in data["questions"] if q.get("gold")]
    folder = ROOT / "src/warmline/demo/knowledge"
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    encoder = load_encoder(EncoderConfig(precision="int8"))
    kb = KnowledgeBase(
        KnowledgeRepository(session_factory(engine)), encoder, max_words=args.max_words
    )
    packs = sorted({q["pack"] for q in questions})
    started = time.perf_counter()
    await kb.open([KnowledgeSource(p, folder / p, None, ("**/*.md",)) for p in packs])
    ingest_s = time.perf_counter() - started
    vectors = encoder.encode([q["question"] for q in questions])
    found = {}
    for name, fusion in {"fused": kb.fusion, **FUSIONS}.items():
        kb.fusion = fusion
        for pack in packs:
            kb.index_of(pack).fusion = fusion  # type: ignore[union-attr]
        results = [
            await kb.search(q["pack"], q["question"], 3, v)
            for q, v in zip(questions, vectors, strict=True)
        ]
        found[name] = results
    kb.fusion = FUSION
    for pack in packs:
        kb.index_of(pack).fusion = FUSION  # type: ignore[union-attr]
    rows: dict[str, dict[str, float]] = {}
    for name, results in found.items():
        row = {}
        for split in ("dev", "test", "all"):
            members = [
                i for i, q in enumerate(questions) if split == "all" or q.get("split") == split
            ]
            if not members:
                continue
            for level in ("doc", "section"):
                hits = [
                    any(matches(p, questions[i]["gold"], level == "section") for p in results[i])
                    for i in members
                ]
                row[f"{split} {level}@3"] = round(statistics.fmean(hits), 3)
        rows[name] = row
    latency = await timings(kb, questions, vectors, args.repeat)
    return {
        "questions": len(questions),
        "chunks": {p: len(kb.chunks_of(p)) for p in packs},
        "ingest_s": round(ingest_s, 1),
        "recall": rows,
        "latency_ms": latency,
    }


def choose(tau2: dict[str, dict[str, float]], demo: dict[str, dict[str, float]]) -> str:
    """The fusion best on the demo questions' dev split (section@3), ties broken by the tau2
    tasks' dev recall@5 + @10: never a test split."""
    names = [n for n in FUSIONS if n in demo and n in tau2]
    return max(
        names, key=lambda n: (demo[n]["dev section@3"], tau2[n]["dev@5"] + tau2[n]["dev@10"])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tau2", type=Path, default=ROOT.parent / "shared/datasets/tau2_banking_knowledge"
    )
    parser.add_argument("--max-words", type=int, default=200)
    parser.add_argument("--skip-tau2", action="store_true")
    parser.add_argument(
        "--questions", type=Path, default=ROOT / "benchmarks/knowledge/questions.yaml"
    )
    parser.add_argument("--repeat", type=int, default=3, help="latency: passes over the questions")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    parser.add_argument("--cache", type=Path, help="keep chunk embeddings here between runs")
    parser.add_argument("--scale", type=int, default=0, help="also time exact vs HNSW at N vectors")
    args = parser.parse_args()
    global CACHE
    CACHE = EmbeddingCache(args.cache) if args.cache else None
    result: dict[str, Any] = {}
    if not args.skip_tau2:
        result["tau2_banking"] = asyncio.run(tau2(args))
        print(json.dumps(result["tau2_banking"], indent=2), flush=True)
    if args.scale:
        result["scale"] = scale(args.scale)
        print(json.dumps(result["scale"], indent=2), flush=True)
    if args.questions.is_file():
        result["demo"] = asyncio.run(demo(args))
        print(json.dumps(result["demo"], indent=2), flush=True)
    if "tau2_banking" in result and "demo" in result:
        result["chosen"] = choose(result["tau2_banking"]["recall"], result["demo"]["recall"])
        print(json.dumps({"chosen on the dev splits": result["chosen"]}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2), "utf-8")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
