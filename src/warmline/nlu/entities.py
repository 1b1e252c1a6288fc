"""Entity extraction linked to a pack's ontology: typed patterns, typed values and synonyms,
typo-tolerant.

Ontology values match on their name and synonyms; words of six letters or more also match
with small misspellings (rapidfuzz ratio). Pattern entities match case-insensitively and are
normalised as the pack says (for example upper-cased reservation codes); a pattern with a group
named ``value`` gives that group as the value, and the whole match as its span, so that the
words it needs around a value ("back on 2024-05-26") tell which value it is and keep a shorter
mention inside it from being read as another entity. Date and amount
entities are typed values (``values.py``): "next Friday" becomes an ISO date relative to the
turn's time, "$25.50" becomes ``25.50 USD``. An address entity is a complete postal address
(``address.py``), its value the JSON object of its fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from rapidfuzz import fuzz, process

from warmline.domain.pack import Entity
from warmline.domain.understanding import EntityMention
from warmline.nlu.address import read_address
from warmline.nlu.values import DateFinder, Prefer, find_amounts

_WORD = re.compile(r"[\w']+")
FUZZY_MIN_LENGTH = 6
FUZZY_MIN_RATIO = 85.0
MATCHED_WORDS = 20_000  # words whose ontology matches are kept, then forgotten all at once


@dataclass(frozen=True)
class _Phrase:
    entity: str
    value: str
    words: tuple[str, ...]


class EntityExtractor:
    def __init__(self, entities: dict[str, Entity]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str], str]] = []
        self._phrases: list[_Phrase] = []
        self._dates: list[tuple[str, Prefer]] = []
        self._amounts: list[tuple[str, str]] = []
        self._addresses: list[str] = []
        for name, spec in entities.items():
            if spec.kind == "address":
                self._addresses.append(name)
            elif spec.kind == "date":
                self._dates.append((name, spec.prefer))
            elif spec.kind == "amount":
                self._amounts.append((name, spec.currency))
            if spec.kind == "pattern" and spec.pattern:
                self._patterns.append(
                    (name, re.compile(spec.pattern, re.IGNORECASE), spec.normalize)
                )
            for value, detail in spec.values.items():
                # in the pack's order (the value, its synonyms, its label), so that among
                # phrases of one length the first declared wins in every process
                forms = [value.replace("_", " "), *detail.synonyms]
                if detail.label:
                    forms.append(detail.label)
                for form in dict.fromkeys(forms):
                    words = tuple(w.lower() for w in _WORD.findall(form))
                    if words:
                        self._phrases.append(_Phrase(name, value, words))
        # Longest phrases first, so "checked bag" wins over "bag".
        self._phrases.sort(key=lambda p: -len(p.words))
        self._vocabulary = {w for p in self._phrases for w in p.words}
        # the phrases (their places in that order) each first word starts: a turn tries only
        # those whose first word it has
        self._starting: dict[str, list[int]] = {}
        for place, phrase in enumerate(self._phrases):
            self._starting.setdefault(phrase.words[0], []).append(place)
        self._matched: dict[str, dict[str, float]] = {}  # _word_matches, per word seen
        # the choices a misspelt word is compared with, computed once: words long enough
        self._fuzzy_choices = sorted(w for w in self._vocabulary if len(w) >= FUZZY_MIN_LENGTH)
        self._date_finder = DateFinder() if self._dates else None

    def extract(self, text: str, now: datetime | None = None) -> list[EntityMention]:
        """Every entity in ``text``; relative dates ("tomorrow") are read against ``now``."""
        mentions: list[EntityMention] = []
        for name, pattern, normalize in self._patterns:
            for match in pattern.finditer(text):
                raw = match.group(0)
                if "value" in pattern.groupindex and match.group("value") is not None:
                    raw = match.group("value")  # the words around it only say what it is
                value = (
                    raw.upper()
                    if normalize == "upper"
                    else raw.lower()
                    if normalize == "lower"
                    else raw
                )
                mentions.append(
                    EntityMention(
                        entity=name, value=value, text=raw, start=match.start(), end=match.end()
                    )
                )
        mentions.extend(self._typed(text, now or datetime.now(UTC)))
        mentions.extend(self._ontology(text))
        return _outside_longer(mentions)

    def _typed(self, text: str, now: datetime) -> list[EntityMention]:
        found: list[EntityMention] = []
        if self._date_finder is not None:
            for name, prefer in self._dates:
                for hit in self._date_finder.find(text, now, prefer):
                    found.append(
                        EntityMention(
                            entity=name,
                            value=hit.value,
                            text=hit.text,
                            start=hit.start,
                            end=hit.end,
                        )
                    )
        for name, currency in self._amounts:
            for hit in find_amounts(text, currency):
                found.append(
                    EntityMention(
                        entity=name, value=hit.value, text=hit.text, start=hit.start, end=hit.end
                    )
                )
        for name in self._addresses:
            address = read_address(text)
            if address is not None:
                found.append(EntityMention(entity=name, value=json.dumps(address), text=text))
        return found

    def _ontology(self, text: str) -> list[EntityMention]:
        tokens = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
        matches = [self._word_matches(word) for word, _, _ in tokens]
        starts: dict[str, list[int]] = {}
        for i, found_here in enumerate(matches):
            for word in found_here:
                starts.setdefault(word, []).append(i)
        taken: set[int] = set()
        found: list[EntityMention] = []
        seen: set[tuple[str, str]] = set()
        places = sorted({p for word in starts for p in self._starting.get(word, ())})
        for phrase in (self._phrases[p] for p in places):
            size = len(phrase.words)
            for i in starts.get(phrase.words[0], ()):
                window = range(i, i + size)
                if i + size > len(tokens) or any(j in taken for j in window):
                    continue
                score = _phrase_score(phrase.words, matches[i : i + size])
                if score is None:
                    continue
                taken.update(window)
                start, end = tokens[i][1], tokens[i + size - 1][2]
                key = (phrase.entity, phrase.value)
                if key in seen:
                    continue
                seen.add(key)
                found.append(
                    EntityMention(
                        entity=phrase.entity,
                        value=phrase.value,
                        text=text[start:end],
                        start=start,
                        end=end,
                        score=score,
                    )
                )
        return found

    def _word_matches(self, got: str) -> dict[str, float]:
        """The ontology's words that ``got`` stands for, with how well: 1.0 for the word itself
        or its plural or singular, the rapidfuzz ratio (>= ``FUZZY_MIN_RATIO``) for a
        misspelling of a word of ``FUZZY_MIN_LENGTH`` letters or more. Kept per word (the
        ontology does not change): customers reuse few words. Read only."""
        found = self._matched.get(got)
        if found is None:
            if len(self._matched) >= MATCHED_WORDS:
                self._matched.clear()
            found = self._matched[got] = self._match(got)
        return found

    def _match(self, got: str) -> dict[str, float]:
        exact = (got, got + "s", got[:-1] if got.endswith("s") else got)
        found = {w: 1.0 for w in exact if w in self._vocabulary}
        for word, ratio, _ in process.extract_iter(
            got, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO
        ):
            found.setdefault(word, ratio / 100.0)
        return found


def _phrase_score(words: tuple[str, ...], matches: list[dict[str, float]]) -> float | None:
    """The mean match of the phrase's words against consecutive tokens, or None."""
    total = 0.0
    for want, found in zip(words, matches, strict=True):
        score = found.get(want)
        if score is None:
            return None
        total += score
    return total / len(words)


def _outside_longer(mentions: list[EntityMention]) -> list[EntityMention]:
    """The mentions not inside a longer one of another entity: "Mia" in the name "Mia Li" is
    no airport, "li3818" in "mia.li3818@example.com" no reservation code."""
    placed = [m for m in mentions if m.start >= 0 and m.end > m.start]

    def inside(m: EntityMention) -> bool:
        return any(
            o.entity != m.entity
            and o.start <= m.start
            and m.end <= o.end
            and o.end - o.start > m.end - m.start
            for o in placed
        )

    return [m for m in mentions if m.start < 0 or not inside(m)]
