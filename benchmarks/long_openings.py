"""Intent accuracy of the demo packs on long, descriptive first messages (a few sentences of
context around the request): the scenarios "<pack> opening N" of
``tests/scenarios/long_openings.yaml``.

An opening counts as read right when the engine is confident of the intent its request
sentence asks for; ``top-1`` also counts a right intent the engine was not sure enough of (it
would have asked a clarifying question offering it)::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/long_openings.py [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.domain.pack_loader import load_pack  # noqa: E402
from warmline.nlu import engine as engine_module  # noqa: E402
from warmline.nlu.embeddings import load_encoder  # noqa: E402
from warmline.nlu.engine import NluEngine  # noqa: E402

OPENINGS = REPO / "tests" / "scenarios" / "long_openings.yaml"
PACKS = REPO / "src" / "warmline" / "demo" / "packs"


def _openings(suite: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The text and expected intent of each scenario named "<pack> opening N ...", by pack."""
    found: dict[str, list[dict[str, str]]] = {}
    for scenario in suite["scenarios"]:
        turns = scenario["turns"]
        intent = turns[0].get("expect", {}).get("intent")
        pack = scenario.get("pack", suite["pack"])
        if not scenario["name"].startswith(f"{pack} opening ") or intent is None:
            continue
        found.setdefault(pack, []).append({"text": turns[0]["customer"], "intent": intent})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="one line per opening")
    parser.add_argument(
        "--timing", type=int, default=0, help="rounds of timing, with and without sentences"
    )
    parser.add_argument("--cache", type=Path, default=REPO / "var" / "models")
    args = parser.parse_args()
    openings = _openings(yaml.safe_load(OPENINGS.read_text("utf-8")))
    encoder = load_encoder()
    total = right = top1 = 0
    for name, items in openings.items():
        engine = NluEngine.train(load_pack(PACKS / f"{name}.yaml"), encoder, cache_dir=args.cache)
        pack_right = pack_top1 = 0
        for item in items:
            understood = engine.understand(item["text"])
            ok = understood.zone == "confident" and understood.intent == item["intent"]
            first = understood.intent == item["intent"] and understood.zone != "out_of_scope"
            pack_right += ok
            pack_top1 += first
            if args.verbose:
                mark = "ok " if ok else ("~  " if first else "NO ")
                print(
                    f"{mark}{name:8} want {item['intent']:22} got {understood.intent or '-':22} "
                    f"{understood.confidence:.2f} {understood.zone:12} {understood.context or ''}"
                )
        print(f"{name}: {pack_right}/{len(items)} confident and right, {pack_top1} top-1")
        if args.timing:
            _timing(engine, [item["text"] for item in items], args.timing)
        total, right, top1 = total + len(items), right + pack_right, top1 + pack_top1
    print(f"all: {right}/{total} confident and right ({right / total:.0%}), {top1} top-1")


def _timing(engine: NluEngine, texts: list[str], rounds: int) -> None:
    """Median milliseconds to understand an opening, with the sentence reading and without it
    (``read_request`` made to find nothing), the rounds interleaved."""
    real = engine_module.read_request
    times: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(rounds):
        for mode in ("with", "without"):
            engine_module.read_request = real if mode == "with" else (lambda *a, **k: None)
            for text in texts:
                start = time.perf_counter()
                engine.understand(text)
                times[mode].append((time.perf_counter() - start) * 1000)
    engine_module.read_request = real
    with_ms, without_ms = (statistics.median(times[m]) for m in ("with", "without"))
    print(f"  per opening: {with_ms:.2f} ms with sentence reading, {without_ms:.2f} ms without")


if __name__ == "__main__":
    main()
