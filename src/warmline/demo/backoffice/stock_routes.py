"""Retail stock and holds over REST (``stock.py`` keeps them).

``GET /retail/stock?item_ids=a,b`` (or ``/retail/stock/{item_id}``) reads the figures;
``POST /retail/holds`` sets units aside (201, or 409 ``out_of_stock``), ``GET`` and ``DELETE
/retail/holds/{hold_id}`` read and release one; ``PUT /_admin/stock/{item_id}`` sets a count,
as another channel's sale or a delivery would.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from warmline.demo.backoffice.store import BackOfficeStore, Record, RecordNotFound, StoreDep

router = APIRouter(tags=["retail stock"])

MAX_HOLD_S = 3600.0
DEFAULT_HOLD_S = 600.0


class HoldBody(BaseModel):
    item_ids: list[str] = Field(min_length=1, max_length=50, description="one unit per id")
    ttl_s: float = Field(DEFAULT_HOLD_S, gt=0, le=MAX_HOLD_S, description="seconds it lasts")
    replaces: str | None = Field(
        None, max_length=64, description="an earlier hold of the same proposal, released first"
    )


class CountBody(BaseModel):
    stock: int = Field(ge=0, le=1_000_000)


@router.get("/retail/stock")
async def read_stock(
    store: StoreDep, item_ids: str = Query(min_length=1, max_length=2000)
) -> Record:
    """The figures of the listed variants (comma-separated ids), with the book's ``seq``."""
    ids = [i.strip() for i in item_ids.split(",") if i.strip()]
    figures = [store.stock.figure(i) for i in dict.fromkeys(ids)]
    return {"stock": figures, "seq": store.stock.seq}


@router.get("/retail/stock/{item_id}")
async def read_one(item_id: str, store: StoreDep) -> Record:
    return store.stock.figure(item_id)


@router.post("/retail/holds", status_code=201)
async def place_hold(body: HoldBody, store: StoreDep) -> Record:
    """Hold one unit of each listed variant, all or none (409 ``out_of_stock``)."""
    hold = store.stock.place(body.item_ids, body.ttl_s, body.replaces)
    return _hold_view(store, hold.hold_id)


@router.get("/retail/holds/{hold_id}")
async def read_hold(hold_id: str, store: StoreDep) -> Record:
    return _hold_view(store, hold_id)


@router.delete("/retail/holds/{hold_id}")
async def release_hold(hold_id: str, store: StoreDep) -> Record:
    """Let a hold's units go; releasing one no longer live changes nothing."""
    return {"hold_id": hold_id, "released": store.stock.release(hold_id)}


@router.put("/_admin/stock/{item_id}", tags=["ops"])
async def set_stock(item_id: str, body: CountBody, store: StoreDep) -> Record:
    store.stock.set_count(item_id, body.stock)
    return store.stock.figure(item_id)


def _hold_view(store: BackOfficeStore, hold_id: str) -> Record:
    hold = store.stock.hold(hold_id)
    if hold is None:
        raise RecordNotFound(f"There is no live hold {hold_id}.")
    return {
        "hold_id": hold.hold_id,
        "item_ids": sorted(hold.items.elements()),
        "expires_in_s": round(store.stock.expires_in(hold), 1),
    }
