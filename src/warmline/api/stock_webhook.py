"""``POST /api/stock/events``: the back office's stock change events, by webhook.

Only the back office may post here: the body must carry ``X-Stock-Signature: sha256=<hex>``,
the HMAC-SHA256 of the exact body under ``WARMLINE_STOCK_WEBHOOK_SECRET`` (generated and kept
when unset, ``settings.py``); anything else is refused with 403 before the body is read as an
event. A valid event updates the stock view (``services/stock.py``); one older than the figure
held is acknowledged and dropped (``"taken": false``).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from warmline.api.deps import RuntimeDep
from warmline.api.problems import documented
from warmline.errors import Forbidden

router = APIRouter(tags=["stock"])

SIGNATURE_HEADER = "x-stock-signature"


class StockEvent(BaseModel):
    """One change of a variant's stock, as the back office sends it."""

    type: str = Field("stock.changed", max_length=40)
    seq: int = Field(ge=0)
    item_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field("", max_length=64)
    stock: int = Field(0, ge=0)
    held: int = Field(0, ge=0)
    free: int
    epoch: str = Field("", max_length=64)
    at: str = Field("", max_length=64)


class Taken(BaseModel):
    taken: bool = Field(description="false: older than the figure held, dropped")


def signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the body's HMAC-SHA256 under ``secret`` (constant time)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return bool(secret) and header is not None and hmac.compare_digest(expected, header)


@router.post(
    "/api/stock/events",
    responses=documented({403: "signature missing or wrong", 422: "not a stock event"}),
)
async def stock_event(request: Request, runtime: RuntimeDep) -> Taken:
    body = await request.body()
    secret = runtime.settings.stock_webhook_secret
    if not signed(secret, body, request.headers.get(SIGNATURE_HEADER)):
        raise Forbidden("the stock event's X-Stock-Signature is missing or wrong")
    try:
        event = StockEvent.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    return Taken(taken=runtime.stock.heard(event.model_dump()))
