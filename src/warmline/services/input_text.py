"""Text from a client, checked once at the boundary: a string that cannot be stored as UTF-8 (a
lone surrogate such as ``"\\ud800"``, which JSON can carry) or that holds a control character
(NUL, which PostgreSQL cannot store in text, and every other C0 or C1 control but tab, line
feed and carriage return) is refused, so one such message can never make a conversation's log
unreadable or a database refuse a write.

``api/limits.py`` applies the same rule to every request body and path before any route runs;
the services apply it again to each text they record, whoever calls them."""

from __future__ import annotations

import re

from warmline.errors import InvalidText, UndecodableInput

ALLOWED_CONTROLS = "\t\n\r"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def bad_character(text: str) -> tuple[int, str] | None:
    """The position and kind (``surrogate`` or ``control``) of the first character ``text``
    may not hold; None when it is clean."""
    surrogate = _SURROGATE.search(text)
    control = _CONTROL.search(text)
    found = [(m.start(), kind) for m, kind in ((surrogate, "surrogate"), (control, "control")) if m]
    return min(found) if found else None


def clean_text(text: str, what: str = "the message") -> str:
    """``text`` unchanged; ``UndecodableInput`` (400) for a character UTF-8 cannot hold,
    ``InvalidText`` (422) for a control character other than tab, line feed, carriage return."""
    problem = bad_character(text)
    if problem is None:
        return text
    position, kind = problem
    if kind == "surrogate":
        raise UndecodableInput(
            f"{what} holds a character that is not valid Unicode (position {position})"
        )
    raise InvalidText(f"{what} holds a control character (position {position})")


def encodable(text: str, what: str = "the message") -> str:
    """The services' check of every text they record: ``clean_text``."""
    return clean_text(text, what)
