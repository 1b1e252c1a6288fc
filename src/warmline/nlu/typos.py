"""Keyboard typos, for training intent models that read misspelled messages as well as clean
ones, and for measuring how much typos cost.

``add_typos`` gives about ``rate`` of the words (letters only, two or more) one slip, chosen
uniformly: a neighbouring key instead of the right one, a letter dropped, a neighbouring key
typed as well, or two letters swapped. ``typo_set`` is seeded, so a set is the same every time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_OFFSETS = (0.0, 0.25, 0.75)
_POS = {ch: (r, c + _OFFSETS[r]) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
NEIGHBOURS = {
    a: [b for b, (rb, xb) in _POS.items() if b != a and abs(ra - rb) <= 1 and abs(xa - xb) <= 1.0]
    for a, (ra, xa) in _POS.items()
}
_WORD = re.compile(r"[A-Za-z]{2,}")


def _neighbour(ch: str, rng: np.random.Generator) -> str:
    options = NEIGHBOURS.get(ch.lower())
    if not options:
        return ch
    out = options[int(rng.integers(len(options)))]
    return out.upper() if ch.isupper() else out


def typo_word(word: str, rng: np.random.Generator) -> str:
    op = int(rng.integers(4))
    i = int(rng.integers(len(word)))
    if op == 0:  # neighbouring-key substitution
        return word[:i] + _neighbour(word[i], rng) + word[i + 1 :]
    if op == 1:  # deletion
        return word[:i] + word[i + 1 :]
    if op == 2:  # insertion of a key next to the one typed
        return word[: i + 1] + _neighbour(word[i], rng) + word[i + 1 :]
    i = min(i, len(word) - 2)  # transposition of two neighbouring letters
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def add_typos(text: str, rate: float, rng: np.random.Generator) -> str:
    return _WORD.sub(
        lambda m: typo_word(m.group(0), rng) if rng.random() < rate else m.group(0), text
    )


def typo_set(texts: Sequence[str], rate: float, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [add_typos(t, rate, rng) for t in texts]
