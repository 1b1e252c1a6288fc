"""The knowledge question set (benchmarks/knowledge/questions.yaml) against the demo help
centres (src/warmline/demo/knowledge/): its counts and splits, that every gold document and
section exists, and that every key fact of an answer is written in each of its gold sections,
so that the gold is really gold. Also the help centres themselves: the licensed policy and at
least 25 articles per brand, each a title, an intro line and sections."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "src" / "warmline" / "demo" / "knowledge"
QUESTIONS = ROOT / "benchmarks" / "knowledge" / "questions.yaml"
PACKS = ("airline", "retail")
KINDS = {"near_miss", "off_topic", "other_brand"}

Sections = dict[str, str]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().lower()


def sections_of(markdown: str) -> Sections:
    """A document's sections by heading, normalised: the title holds the intro (the text
    before the first ``##``), each ``##`` section its own text and its ``###`` subsections.
    The heading is part of the text, as it is of what the index reads."""
    parts: dict[str, list[str]] = {}
    current = ""
    for line in markdown.splitlines():
        if line.startswith("# ") and not parts:
            current = line[2:].strip()
            parts[current] = [current]
        elif line.startswith("## "):
            current = line[3:].strip()
            parts[current] = [current]
        elif current:
            parts[current].append(line)
    return {heading: normalise(" ".join(lines)) for heading, lines in parts.items()}


def load_corpus(pack: str) -> dict[str, Sections]:
    return {p.stem: sections_of(p.read_text()) for p in sorted((CORPUS / pack).glob("*.md"))}


def gold_problems(item: dict[str, Any], corpus: dict[str, Sections]) -> list[str]:
    """What is wrong with an answerable item's gold: a missing document or section, a key fact
    a gold section does not contain, no gold, no fact, a section named twice."""
    problems: list[str] = []
    gold = item.get("gold") or []
    facts = (item.get("answer") or {}).get("must_contain") or []
    if not gold:
        problems.append(f"{item['id']}: no gold")
    if not facts:
        problems.append(f"{item['id']}: no must_contain")
    refs = [(g["doc"], g["section"]) for g in gold]
    if len(set(refs)) != len(refs):
        problems.append(f"{item['id']}: a gold section is named twice")
    for doc, section in refs:
        text = corpus.get(doc, {}).get(section)
        if text is None:
            problems.append(f"{item['id']}: no section {doc!r} / {section!r}")
            continue
        problems.extend(
            f"{item['id']}: {fact!r} is not in {doc} / {section}"
            for fact in facts
            if normalise(str(fact)) not in text
        )
    return problems


@pytest.fixture(scope="module")
def questions() -> list[dict[str, Any]]:
    data = yaml.safe_load(QUESTIONS.read_text())
    assert data["version"] == 1
    items: list[dict[str, Any]] = data["questions"]
    return items


@pytest.fixture(scope="module")
def corpora() -> dict[str, dict[str, Sections]]:
    return {pack: load_corpus(pack) for pack in PACKS}


def answerable(item: dict[str, Any]) -> bool:
    return bool(item.get("answerable", True))


def test_counts_per_brand_and_kind(questions: list[dict[str, Any]]) -> None:
    yes = [q for q in questions if answerable(q)]
    no = [q for q in questions if not answerable(q)]
    assert len(yes) >= 150
    assert len(no) >= 75
    for pack in PACKS:
        assert sum(q["pack"] == pack for q in yes) >= 75, pack
        unanswerable = [q for q in no if q["pack"] == pack]
        assert len(unanswerable) >= 37, pack
        near = sum(q["kind"] == "near_miss" for q in unanswerable)
        assert near * 2 >= len(unanswerable), pack
    assert {q["kind"] for q in no} == KINDS


def test_items_are_well_formed(questions: list[dict[str, Any]]) -> None:
    ids = Counter(q["id"] for q in questions)
    assert [i for i, n in ids.items() if n > 1] == []
    texts = Counter(normalise(q["question"]) for q in questions)
    assert [t for t, n in texts.items() if n > 1 and t] == []
    for q in questions:
        assert q["pack"] in PACKS, q["id"]
        assert q["split"] in ("dev", "test"), q["id"]
        assert q["question"].strip(), q["id"]
        if answerable(q):
            assert "kind" not in q, q["id"]
        else:
            assert q["kind"] in KINDS, q["id"]
            assert "gold" not in q and "answer" not in q, q["id"]


def test_near_miss_topics_are_articles(
    questions: list[dict[str, Any]], corpora: dict[str, dict[str, Sections]]
) -> None:
    for q in questions:
        if q.get("kind") == "near_miss":
            assert q.get("topic") in corpora[q["pack"]], q["id"]


def test_splits_are_about_forty_percent_dev(questions: list[dict[str, Any]]) -> None:
    for pack in PACKS:
        for group in (True, False):
            items = [q for q in questions if q["pack"] == pack and answerable(q) is group]
            dev = sum(q["split"] == "dev" for q in items)
            assert 0.35 <= dev / len(items) <= 0.45, (pack, group, dev, len(items))


def test_gold_exists_and_holds_every_fact(
    questions: list[dict[str, Any]], corpora: dict[str, dict[str, Sections]]
) -> None:
    problems = [
        problem
        for q in questions
        if answerable(q)
        for problem in gold_problems(q, corpora[q["pack"]])
    ]
    assert problems == []


def test_the_gold_check_catches_a_fact_the_section_lacks(
    corpora: dict[str, dict[str, Sections]],
) -> None:
    item = {
        "id": "probe",
        "gold": [{"doc": "extra-bags-and-fees", "section": "Price of an extra checked bag"}],
        "answer": {"must_contain": ["$50", "$75"]},
    }
    assert gold_problems(item, corpora["airline"]) == [
        "probe: '$75' is not in extra-bags-and-fees / Price of an extra checked bag"
    ]
    item["gold"] = [{"doc": "extra-bags-and-fees", "section": "No such section"}]
    assert gold_problems(item, corpora["airline"]) == [
        "probe: no section 'extra-bags-and-fees' / 'No such section'"
    ]


def test_questions_do_not_copy_the_articles(
    questions: list[dict[str, Any]], corpora: dict[str, dict[str, Sections]]
) -> None:
    """No question repeats a run of eight words of its brand's documents."""
    for pack in PACKS:
        words = " ".join(" ".join(s.values()) for s in corpora[pack].values())
        text = " " + re.sub(r"[^a-z0-9$' ]+", " ", words) + " "
        text = re.sub(r"\s+", " ", text)
        copied = []
        for q in questions:
            if q["pack"] != pack:
                continue
            tokens = re.sub(r"[^a-z0-9$' ]+", " ", normalise(q["question"])).split()
            runs = [" ".join(tokens[i : i + 8]) for i in range(len(tokens) - 7)]
            copied += [(q["id"], r) for r in runs if f" {r} " in text]
        assert copied == []


@pytest.mark.parametrize("pack", PACKS)
def test_help_centre_articles(pack: str) -> None:
    folder = CORPUS / pack
    licence = (folder / "LICENSE").read_text()
    assert "MIT License" in licence and "Sierra" in licence
    policy = (folder / "policy.md").read_text()
    assert "MIT" in policy and "Sierra" in policy and "LICENSE" in policy
    articles = [p for p in sorted(folder.glob("*.md")) if p.stem != "policy"]
    assert len(articles) >= 25
    for path in articles:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        assert lines[0].startswith("# "), path.name
        assert not lines[1].startswith("#"), f"{path.name}: no intro line"
        headings = [line for line in lines if line.startswith("## ")]
        assert len(headings) >= 2, path.name
        assert len(set(headings)) == len(headings), f"{path.name}: a section heading twice"
        assert sum(line.startswith("# ") for line in lines) == 1, path.name


TRAIN = ROOT / "benchmarks" / "knowledge" / "train.yaml"


@pytest.fixture(scope="module")
def training() -> list[dict[str, Any]]:
    data = yaml.safe_load(TRAIN.read_text())
    assert data["version"] == 1
    items: list[dict[str, Any]] = data["questions"]
    return items


def test_the_training_split_is_its_own_and_large_enough(
    training: list[dict[str, Any]], questions: list[dict[str, Any]]
) -> None:
    """The training split (what the answerability model is fitted on) shares no id and no
    question with the dev and test items, and holds at least 120 answerable and 80
    unanswerable questions over both brands, half of the unanswerable ones near misses."""
    assert {q["split"] for q in training} == {"train"}
    assert not {q["id"] for q in training} & {q["id"] for q in questions}
    texts = Counter(normalise(q["question"]) for q in [*training, *questions])
    assert [t for t, n in texts.items() if n > 1] == []
    yes = [q for q in training if answerable(q)]
    no = [q for q in training if not answerable(q)]
    assert len(yes) >= 120 and len(no) >= 80
    assert sum(q["kind"] == "near_miss" for q in no) * 2 >= len(no)
    for pack in PACKS:
        assert sum(q["pack"] == pack for q in yes) >= 50, pack
        assert sum(q["pack"] == pack for q in no) >= 35, pack
    for q in no:
        assert q["kind"] in KINDS and "gold" not in q, q["id"]


def test_the_training_gold_holds_every_fact(
    training: list[dict[str, Any]], corpora: dict[str, dict[str, Sections]]
) -> None:
    problems = [
        problem
        for q in training
        if answerable(q)
        for problem in gold_problems(q, corpora[q["pack"]])
    ]
    assert problems == []
    for q in training:
        if q.get("kind") == "near_miss":
            assert q.get("topic") in corpora[q["pack"]], q["id"]


def test_training_questions_do_not_copy_the_articles(
    training: list[dict[str, Any]], corpora: dict[str, dict[str, Sections]]
) -> None:
    test_questions_do_not_copy_the_articles(training, corpora)
