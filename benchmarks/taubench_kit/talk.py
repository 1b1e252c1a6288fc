"""The customer's side of the talk that reads no particular wish: its stock answers, how it
hears a bot turn (the questions it asks, a yes-or-no, whether there is anything else, a turn
told apart from the last one without its apologies) and its answer to a free question."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from .instruction import first_person, sentences, wanted_sentences
from .text import ORDER_ID, tokens

END = "No, that's all, thanks."
UNSURE = "I'm not sure."
PERSON_PLEASE = "I'd like to talk to a person, please."

ANYTHING_ELSE = re.compile(
    r"\banything else\b|\bsomething else\b|\bany other\b|\belse (?:can|could) I\b", re.I
)
SUGGESTION = re.compile(
    r"\byou can (?:[^.;]*? or )?(?P<what>(?:change|modify) (?:its|the) items)(?: instead)?\b", re.I
)
GOAL_ITEMS = re.compile(r"\bexchange|\bmodify|\bchange\b", re.I)
_APOLOGY = re.compile(
    r"\bsorry\b|\bfrustrat|\bannoying\b|\basked about this\b|\bI understand\b", re.I
)


def questions(bot_text: str) -> list[str]:
    """The questions a bot text asks, each up to its question mark."""
    return re.findall(r"[^.!?\n]*\?", bot_text)


def last_question(bot_text: str) -> str:
    """The last question a bot text asks, or nothing."""
    asked = questions(bot_text)
    return asked[-1].strip() if asked else ""


def is_confirmation(choices: list[str]) -> bool:
    lowered = {c.strip().lower() for c in choices}
    return bool(lowered) and lowered <= {"yes", "no", "yes, go ahead", "no, thanks"}


def turn_key(bot_text: str, choices: list[str]) -> str:
    """A bot turn without its apologies, with its choices."""
    kept = [s for s in sentences(bot_text) if not _APOLOGY.search(s)]
    return " ".join(kept) + " | " + " | ".join(choices)


def free_answer(question: str, instruction: str) -> str:
    """The instruction's sentence (in the first person) most related to a free question."""
    said = [first_person(s) for s in wanted_sentences(instruction)]
    if not said:
        return UNSURE
    if re.search(r"\border (?:number|id)\b", question, re.I):
        with_id = [s for s in said if ORDER_ID.search(s)]
        if with_id:
            return with_id[0]
    scored = [
        (fuzz.token_set_ratio(question, s) + 50 * len(tokens(question) & tokens(s)), s)
        for s in said
    ]
    score, best = max(scored, key=lambda t: t[0])
    return best if score >= 40 else UNSURE
