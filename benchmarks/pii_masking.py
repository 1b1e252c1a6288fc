"""Personal-data masking: what share of each kind the recognisers catch on the generated
corpus of ``tests/test_pii_corpus.py`` (a larger draw of it), and the CPU time of
``mask_text`` per message, with and without personal data in it.

    python benchmarks/pii_masking.py [--per-kind 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_pii_corpus import corpus, rates

from warmline.privacy import mask_text

PLAIN = [
    "where is my reservation 4WQ150?",
    "I need to cancel my bag",
    "hello",
    "This is the THIRD time I ask!!! Cancel reservation 4WQ150, change of plan",
    "Hi, can I change my booking ABC123 to next Friday? It's urgent!",
]


def per_message_us(texts: list[str], repeats: int = 5) -> float:
    """The median over ``repeats`` runs of the mean CPU time of one ``mask_text`` call."""
    runs = []
    for _ in range(repeats):
        start = time.process_time()
        for text in texts:
            mask_text(text)
        runs.append((time.process_time() - start) / len(texts) * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=2000)
    args = parser.parse_args()
    messages = corpus(args.per_kind)
    found, missed = rates(messages)
    print(f"{len(messages)} messages, {args.per_kind} of each kind")
    for kind, share in found.items():
        print(f"  {kind:6} masked {share:.2%}  missed {len(missed.get(kind, []))}")
        for text in missed.get(kind, [])[:5]:
            print(f"           {text!r}")
    with_data = [m.text for m in messages[:: max(1, len(messages) // 1000)]]
    print(f"mask_text with personal data: {per_message_us(with_data):.1f} us per message")
    print(f"mask_text without: {per_message_us(PLAIN * 200):.1f} us per message")


if __name__ == "__main__":
    main()
