"""``CleanText``: a ``str`` field type for request bodies that refuses what
``services/input_text.py`` refuses (a lone surrogate, NUL or another control character but tab,
line feed and carriage return), as a 422 naming the field. ``api/limits.py`` already refuses
such text in any body before validation; the type says so in the schema and guards models
built in other ways."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

from warmline.services.input_text import bad_character


def _clean(text: str) -> str:
    found = bad_character(text)
    if found is not None:
        position, kind = found
        what = "an invalid Unicode" if kind == "surrogate" else "a control"
        raise ValueError(f"holds {what} character at position {position}")
    return text


# Lone surrogates (refused too, 400) are left out of the patterns: JSON-schema tools that compile
# patterns as ECMA or Rust regular expressions cannot express them.
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
CLEAN_PATTERN = rf"^{_ALLOWED}*$"
"""What ``CleanText`` accepts, as the OpenAPI document states it (a JSON-schema pattern)."""
_NOT_BLANK = r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_SPACE = r"[^\S\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # white space that is not a control
MESSAGE_PATTERN = rf"^{_SPACE}*{_NOT_BLANK}{_ALLOWED}*$"
"""A customer message: clean text with at least one character that is not white space."""

CleanText = Annotated[
    str, AfterValidator(_clean), Field(json_schema_extra={"pattern": CLEAN_PATTERN})
]


PathText = Annotated[str, Path(pattern=CLEAN_PATTERN)]
"""A path parameter (a conversation id, an agent's name) as the OpenAPI document states it: no
control character (``api/limits.py`` refuses one in any path before routing)."""
