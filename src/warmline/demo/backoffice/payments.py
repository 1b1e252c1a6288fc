"""Payment-method labels and the dry-run plumbing every write route shares.

``payment_label`` names a stored payment method the way a confirmation reads it to a customer
("Visa ending 7447", "PayPal", "gift card", "travel certificate"). ``write_target`` picks the
store a write applies to: the real one, or a copy-on-access copy for ``?dry_run=true``; ``write_response``
builds the body both answer with: the record, its ``summary`` and, for a dry run,
``"dry_run": true``.
"""

from __future__ import annotations

from typing import Any

from warmline.demo.backoffice.store import BackOfficeStore, Record

_SOURCES = {
    "paypal": "PayPal",
    "gift_card": "gift card",
    "certificate": "travel certificate",
    "credit_card": "credit card",
}


def payment_label(method: Record | None, method_id: str = "") -> str:
    """A customer-readable name of one payment method (its id when the method is unknown)."""
    if not method:
        return method_id or "unknown payment method"
    source = str(method.get("source", ""))
    if source == "credit_card":
        brand = str(method.get("brand", "card")).strip()
        brand = brand[:1].upper() + brand[1:]
        last_four = method.get("last_four")
        return f"{brand} ending {last_four}" if last_four else brand
    return _SOURCES.get(source, source.replace("_", " ") or method_id)


def payment_ref(methods: Record, method_id: str) -> Record:
    """``{"payment_method_id", "label"}`` of one method of a profile."""
    return {
        "payment_method_id": method_id,
        "label": payment_label(methods.get(method_id), method_id),
    }


def write_target(store: BackOfficeStore, dry_run: bool) -> BackOfficeStore:
    """The store a write applies to: a private copy-on-access copy when it is a dry run."""
    return store.dry_copy() if dry_run else store


def write_response(record: Record, summary: Record, dry_run: bool) -> Record:
    """The body of a write: the record as it is (or would be) after it, plus the summary."""
    body: dict[str, Any] = {**record, "summary": summary}
    if dry_run:
        body["dry_run"] = True
    return body


def money(amount: float) -> float:
    """An amount rounded to cents for a summary (the records keep tau-bench's arithmetic)."""
    return round(float(amount), 2)
