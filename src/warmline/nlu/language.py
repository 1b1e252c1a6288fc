"""Language identification (langid.py, its model ships inside the package), restricted to a
set of common languages so short service messages are not read as exotic ones.

A text is called foreign only when langid is nearly certain, the text has a few words, and
few of them are words the pack's own examples use: "cancel my bag" must not be mistaken for
Italian, nor an English request full of product names ("exchange the Patio Umbrella, olefin,
manual tilt") for one. A switch of language is refused unless all three agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CANDIDATES = (
    "en",
    "es",
    "fr",
    "de",
    "it",
    "pt",
    "nl",
    "pl",
    "tr",
    "ru",
    "ar",
    "zh",
    "ja",
    "ko",
    "hi",
    "vi",
    "id",
    "sv",
    "da",
    "no",
    "fi",
    "cs",
    "ro",
    "uk",
    "el",
    "he",
    "th",
)
MIN_WORDS = 3
MIN_PROBABILITY = 0.99
MAX_KNOWN_SHARE = 0.25
"""A text more than this share of whose words the pack's examples use is in the pack's
language, whatever langid says: its other words are names (products, places, brands)."""
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)  # letters only: no codes, ids or numbers


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    probability: float
    decisive: bool


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier


def words_of(text: str) -> list[str]:
    """The words of a text in lower case, letters only."""
    return [w.lower() for w in _WORD.findall(text)]


class LanguageDetector:
    def __init__(self, supported: list[str], known: Iterable[str] = ()) -> None:
        """``known``: words of the supported languages the pack uses (its examples, its
        values), evidence that a text is in one of them."""
        self.supported = [s.split("-")[0].lower() for s in supported]
        self.known = frozenset(w.lower() for w in known)
        _identifier()  # load langid's model now (once per process), not on a customer's turn

    def detect(self, text: str) -> LanguageGuess:
        """The most likely language; ``decisive`` when it is sure enough to act on."""
        words = words_of(text)
        if not words:
            return LanguageGuess(self.supported[0], 0.0, False)
        language, probability = _identifier().classify(text)
        known = _known_share(words, self.known)
        decisive = (
            len(words) >= MIN_WORDS and probability >= MIN_PROBABILITY and known <= MAX_KNOWN_SHARE
        )
        return LanguageGuess(str(language), float(probability), decisive)

    def decide(self, text: str) -> LanguageGuess:
        """``detect``'s guess when it may be decisive; else, without running langid (whose
        guess would be acted on nowhere), a guess that is not: too few words, or too many the
        pack uses. Most turns are the latter."""
        words = words_of(text)
        if len(words) < MIN_WORDS or _known_share(words, self.known) > MAX_KNOWN_SHARE:
            return LanguageGuess(self.supported[0], 0.0, False)
        return self.detect(text)

    def unsupported(self, guess: LanguageGuess) -> bool:
        return guess.decisive and guess.language not in self.supported


def _known_share(words: list[str], known: frozenset[str]) -> float:
    """The share of ``words`` (at least one) that are in ``known``."""
    return sum(w in known for w in words) / len(words)
