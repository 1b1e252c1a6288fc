"""Personal data: found in free text (``pii.py``) and masked before it is stored, shown,
exported or logged (``events.py`` for the event log, ``logs.py`` for log records)."""

from warmline.privacy.pii import Found, MaskResult, find_pii, mask, mask_contact, mask_text

__all__ = ["Found", "MaskResult", "find_pii", "mask", "mask_contact", "mask_text"]
