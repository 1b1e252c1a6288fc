"""Answers from the demo help centres, measured on the knowledge question set
(benchmarks/knowledge/questions.yaml): how many answerable questions are answered correctly
(every ``must_contain`` fact in the answer and the citation a gold document), how many
unanswerable ones the bot abstains on, how many answers cite a passage that does not support
them, and the time the knowledge stage adds to a turn::

    .venv/bin/python benchmarks/knowledge_answers.py                 # dev and test, no turns
    .venv/bin/python benchmarks/knowledge_answers.py --turns         # also whole turns, timed
    .venv/bin/python benchmarks/knowledge_answers.py --split dev --sweep   # tune on dev only
    .venv/bin/python benchmarks/knowledge_answers.py --split train  # the training split

The pipeline is the product's: the packs' knowledge bases (``services/knowledge.py``, SQLite in
memory), the search, the extractive answer and its support check (``knowledge/answer.py``)
and the decision (``policy/knowledge.py``: answered when the turn is worded as a question, the
answerability score (``knowledge/answerability.py``) reaches the pack's
``knowledge.min_support`` and the answer is supported). ``--turns`` builds the whole runtime
(both demo packs, the reference back office in-process) and posts each question as a new
conversation's first message, with and without the knowledge stage, timing
``post_message``; it also reports how the whole turn answered (a confident intent answers by
its template first, so this count differs from the pipeline's). Thresholds are tuned on the
dev split only (``--sweep``); figures are reported for dev and test separately. The training
split (``benchmarks/knowledge/train.yaml``: what ``scripts/train_answerability.py`` fits the
answerability model on) is read with ``--split train``; ``--split all`` is every item.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from warmline.domain.pack import KnowledgeSpec
from warmline.domain.pack_loader import load_pack
from warmline.knowledge.answer import ground
from warmline.knowledge.support import check_answer
from warmline.nlu.embeddings import load_encoder
from warmline.policy.knowledge import asks
from warmline.services.knowledge import KnowledgeBase, KnowledgeSource
from warmline.services.packs import resolve_pack_path
from warmline.storage.database import create_engine, session_factory
from warmline.storage.knowledge import KnowledgeRepository
from warmline.storage.migrate import upgrade

QUESTIONS = Path(__file__).parent / "knowledge" / "questions.yaml"
TRAIN = Path(__file__).parent / "knowledge" / "train.yaml"
PACKS = ("airline", "retail")
K = 5


@dataclass
class Outcome:
    """One question's result through the pipeline."""

    item: dict[str, Any]
    answered: bool
    correct: bool
    unsupported_citation: bool
    retrieval: float
    coverage: float
    search_ms: float
    answer_ms: float
    text: str = ""
    cited: str = ""


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, split: str) -> list[Outcome]:
        return [o for o in self.outcomes if split == "all" or o.item["split"] == split]


def facts_in(text: str, facts: list[str]) -> bool:
    flat = " ".join(text.lower().split())
    return all(" ".join(f.lower().split()) in flat for f in facts)


async def open_base() -> tuple[KnowledgeBase, dict[str, KnowledgeSpec]]:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    base = KnowledgeBase(KnowledgeRepository(session_factory(engine)), load_encoder())
    sources, specs = [], {}
    for name in PACKS:
        path = resolve_pack_path(name)
        pack = load_pack(path)
        source = KnowledgeSource.of(pack, path)
        assert source is not None and pack.knowledge is not None, f"{name} has no knowledge"
        sources.append(source)
        specs[name] = pack.knowledge
    await base.open(sources)
    return base, specs


async def run_pipeline(base: KnowledgeBase, items: list[dict[str, Any]]) -> list[Any]:
    """Each question's passages and grounding, with the time of each part (ms)."""
    out = []
    for item in items:
        started = time.perf_counter()
        passages = await base.search(item["pack"], item["question"], k=K)
        searched = time.perf_counter()
        grounding = ground(item["question"], passages)
        done = time.perf_counter()
        out.append((item, passages, grounding, (searched - started) * 1e3, (done - searched) * 1e3))
    return out


def judge(runs: list[Any], min_support: float) -> Tally:
    tally = Tally()
    for item, passages, grounding, search_ms, answer_ms in runs:
        extractive = grounding.extractive
        answered = (
            asks(item["question"])  # a request is the intents' to settle (policy/knowledge.py)
            and extractive is not None
            and extractive.supported
            and grounding.retrieval >= min_support
        )
        text = extractive.text if extractive is not None and answered else ""
        cited = extractive.cited[0] if extractive is not None and extractive.cited else None
        gold = {g["doc"] for g in item.get("gold", [])}
        correct = bool(
            answered
            and item.get("answerable", True)
            and facts_in(text, item["answer"]["must_contain"])
            and cited is not None
            and cited.doc in gold
        )
        unsupported = False
        if answered and cited is not None:
            source = [p for p in passages if p.chunk_id == cited.chunk]
            unsupported = not check_answer(text, source, [0]).supported
        tally.outcomes.append(
            Outcome(
                item,
                answered,
                correct,
                unsupported,
                grounding.retrieval,
                grounding.coverage,
                search_ms,
                answer_ms,
                text,
                cited.doc if cited else "",
            )
        )
    return tally


def figures(outcomes: list[Outcome]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.item.get("answerable", True)]
    unanswerable = [o for o in outcomes if not o.item.get("answerable", True)]
    kinds: dict[str, list[Outcome]] = {}
    for o in unanswerable:
        kinds.setdefault(o.item["kind"], []).append(o)
    added = [o.search_ms + o.answer_ms for o in outcomes]
    words = [len(o.text.split()) for o in outcomes if o.answered] or [0, 0]
    return {
        "answerable": len(answerable),
        "correct": sum(o.correct for o in answerable) / max(1, len(answerable)),
        "answered": sum(o.answered for o in answerable) / max(1, len(answerable)),
        "unanswerable": len(unanswerable),
        "abstained": sum(not o.answered for o in unanswerable) / max(1, len(unanswerable)),
        "abstained_by_kind": {
            k: f"{sum(not o.answered for o in v)}/{len(v)}" for k, v in sorted(kinds.items())
        },
        "unsupported_citations": sum(o.unsupported_citation for o in outcomes),
        "words_p50": statistics.median(words),
        "words_p90": statistics.quantiles(words, n=10)[-1],
        "search_p50_ms": statistics.median(o.search_ms for o in outcomes),
        "answer_p50_ms": statistics.median(o.answer_ms for o in outcomes),
        "added_p50_ms": statistics.median(added),
        "added_p90_ms": statistics.quantiles(added, n=10)[-1],
    }


def table(rows: dict[str, dict[str, Any]]) -> str:
    keys = [
        ("answerable", "answerable questions", "{}"),
        ("correct", "answered correctly (facts + gold citation)", "{:.3f}"),
        ("answered", "answered at all", "{:.3f}"),
        ("unanswerable", "unanswerable questions", "{}"),
        ("abstained", "abstained", "{:.3f}"),
        ("abstained_by_kind", "abstained, by kind", "{}"),
        ("unsupported_citations", "answers citing a passage that does not support them", "{}"),
        ("words_p50", "answer length p50 (words)", "{:.0f}"),
        ("words_p90", "answer length p90 (words)", "{:.0f}"),
        ("search_p50_ms", "retrieval p50 (ms)", "{:.1f}"),
        ("answer_p50_ms", "extraction + support check p50 (ms)", "{:.2f}"),
        ("added_p50_ms", "knowledge stage p50 (ms)", "{:.1f}"),
        ("added_p90_ms", "knowledge stage p90 (ms)", "{:.1f}"),
    ]
    splits = list(rows)
    lines = ["| figure | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    for key, label, fmt in keys:
        cells = [fmt.format(rows[s][key]) for s in splits]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sweep(runs: list[Any]) -> str:
    """Correct and abstention rates over thresholds (of the splits asked: never tune on test)."""
    lines = ["| min_support | correct | abstained |", "|---|---|---|"]
    for step in range(40, 100, 5):
        found = figures(judge(runs, step / 100).outcomes)
        lines.append(f"| {step / 100:.2f} | {found['correct']:.3f} | {found['abstained']:.3f} |")
    return "\n".join(lines)


def mistakes(tally: Tally, split: str, limit: int) -> str:
    out = []
    for o in tally.of(split):
        wrong = (o.item.get("answerable", True) and not o.correct) or (
            not o.item.get("answerable", True) and o.answered
        )
        if wrong and len(out) < limit:
            out.append(
                f"- {o.item['id']} r={o.retrieval:.2f} c={o.coverage:.2f} cited={o.cited}: "
                f"{o.item['question'][:80]!r} -> {' '.join(o.text.split())[:100]!r}"
            )
    return "\n".join(out)


def load_items() -> list[dict[str, Any]]:
    """The question set's dev and test items, then the training split's (``TRAIN``:
    ``--train``, or ``benchmarks/knowledge/train.yaml``)."""
    items: list[dict[str, Any]] = []
    for path in (QUESTIONS, TRAIN):
        items += yaml.safe_load(path.read_text("utf-8"))["questions"]
    return items


async def main(args: argparse.Namespace) -> None:
    global TRAIN
    TRAIN = args.train
    items = load_items()
    base, specs = await open_base()
    await run_pipeline(base, items[:5])  # warm: the first search loads what it needs
    runs = await run_pipeline(base, items)
    minimum = args.min_support
    if minimum is None:
        minimum = specs["airline"].min_support
    tally = judge(runs, minimum)
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    print(f"min_support {minimum}; {len(items)} questions; k={K}\n")
    print(table({s: figures(tally.of(s)) for s in splits}))
    if args.sweep:
        chosen = [r for r in runs if args.split == "all" or r[0]["split"] in splits]
        print(f"\nsweep on {', '.join(splits)}\n\n" + sweep(chosen))
    if args.mistakes:
        print(f"\nmistakes ({splits[0]})\n" + mistakes(tally, splits[0], args.mistakes))
    if args.turns:
        from knowledge_turns import turn_figures  # beside this script

        print("\n" + await turn_figures(items, splits))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "test", "train", "all", "both"], default="both")
    parser.add_argument("--min-support", type=float, default=None)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--mistakes", type=int, default=0)
    parser.add_argument("--turns", action="store_true")
    parser.add_argument("--train", type=Path, default=TRAIN, help="the training split's file")
    asyncio.run(main(parser.parse_args()))
