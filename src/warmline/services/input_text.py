"""Text from a client, checked once at the service boundary: a string that cannot be stored as
UTF-8 (a lone surrogate such as ``"\\ud800"``, which JSON can carry) is refused, so one such
message can never make a conversation's log unreadable."""

from __future__ import annotations

from warmline.errors import UndecodableInput


def encodable(text: str, what: str = "the message") -> str:
    """``text`` unchanged, or ``UndecodableInput`` when it holds characters UTF-8 cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UndecodableInput(
            f"{what} holds a character that is not valid Unicode (position {exc.start})"
        ) from None
    return text
