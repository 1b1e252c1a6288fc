"""Language identification (langid.py, its model ships inside the package), restricted to a
set of common languages so short service messages are not read as exotic ones.

A text is called foreign only when langid is nearly certain and the text has a few words:
"cancel my bag" must not be mistaken for Italian.
"""

from __future__ import annotations

import re
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
_WORD = re.compile(r"\w+", re.UNICODE)


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


class LanguageDetector:
    def __init__(self, supported: list[str]) -> None:
        self.supported = [s.split("-")[0].lower() for s in supported]
        _identifier()  # load langid's model now (once per process), not on a customer's turn

    def detect(self, text: str) -> LanguageGuess:
        """The most likely language; ``decisive`` when it is sure enough to act on."""
        words = _WORD.findall(text)
        if not words:
            return LanguageGuess(self.supported[0], 0.0, False)
        language, probability = _identifier().classify(text)
        decisive = len(words) >= MIN_WORDS and probability >= MIN_PROBABILITY
        return LanguageGuess(str(language), float(probability), decisive)

    def unsupported(self, guess: LanguageGuess) -> bool:
        return guess.decisive and guess.language not in self.supported
