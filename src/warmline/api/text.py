"""``CleanText``: a ``str`` field type for request bodies that refuses what
``services/input_text.py`` refuses (a lone surrogate, NUL or another control character but tab,
line feed and carriage return), as a 422 naming the field. ``api/limits.py`` already refuses
such text in any body before validation; the type says so in the schema and guards models
built in other ways."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from warmline.services.input_text import bad_character


def _clean(text: str) -> str:
    found = bad_character(text)
    if found is not None:
        position, kind = found
        what = "an invalid Unicode" if kind == "surrogate" else "a control"
        raise ValueError(f"holds {what} character at position {position}")
    return text


CleanText = Annotated[str, AfterValidator(_clean)]
