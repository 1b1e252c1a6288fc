"""Retail endpoints and the write rules of the retail policy (tau-bench ``policy.md``).

Order ids look like ``#W1234567``; paths accept them URL-encoded (``%23W1234567``) or without
the ``#``. Every refusal raises ``RuleViolation(rule, reason)``; rule ids are listed in ``RULES``.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from warmline.demo.backoffice.store import (
    BackOfficeStore,
    Record,
    RecordNotFound,
    RuleViolation,
    StoreDep,
)

router = APIRouter(prefix="/retail", tags=["retail"])

RULES: dict[str, str] = {
    "order_not_pending": "only a 'pending' order can be cancelled or have its items, address"
    " or payment method changed",
    "order_not_delivered": "only a 'delivered' order can be returned or exchanged",
    "item_not_in_order": "every item id must be in the order (as many times as listed)",
    "refund_method_not_allowed": "refunds go to the original payment method or a gift card",
    "product_mismatch": "an item can only be swapped for a variant of the same product",
    "item_unavailable": "the new variant is not available",
    "payment_method_unknown": "the payment method is not in the customer's profile",
    "insufficient_balance": "the gift card balance does not cover the amount to pay",
    "payment_not_single": "the payment method of an order paid in one payment only can change",
    "same_payment_method": "the new payment method must differ from the current one",
    "out_of_stock": "no unit of the new variant is free (the count less the units held),"
    " unless the write names a live hold of it",
}


class CancelBody(BaseModel):
    reason: Literal["no longer needed", "ordered by mistake"]


class ReturnBody(BaseModel):
    item_ids: list[str] = Field(min_length=1, max_length=50)
    payment_method_id: str = Field(min_length=1)


class ExchangeBody(BaseModel):
    item_ids: list[str] = Field(min_length=1, max_length=50)
    new_item_ids: list[str] = Field(min_length=1, max_length=50)
    payment_method_id: str = Field(min_length=1)
    hold_id: str | None = Field(
        None,
        max_length=64,
        description="a live hold (POST /retail/holds) of the new items, converted by the write;"
        " without one (or empty) the units come from what is free",
    )

    @model_validator(mode="after")
    def _same_length(self) -> ExchangeBody:
        if len(self.item_ids) != len(self.new_item_ids):
            raise ValueError("item_ids and new_item_ids must have the same length")
        return self


class PaymentBody(BaseModel):
    payment_method_id: str = Field(min_length=1)


class Address(BaseModel):
    address1: str = Field(min_length=1, max_length=200)
    address2: str = Field("", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=1, max_length=100)
    zip: str = Field(min_length=1, max_length=20)


# --- rules ---------------------------------------------------------------------------------

_INSTEAD = {
    "delivered": " you can return or exchange its items instead.",
    "processed": " it is already being prepared for shipping.",
    "pending (item modified)": " its items were already changed once, which locks it.",
    "cancelled": " it was cancelled.",
}


def require_pending(order: Record, action: str) -> None:
    """Refuse a change to an order whose status is not exactly 'pending'."""
    status = order["status"]
    if status != "pending":
        instead = _INSTEAD.get(status, " only pending orders can be changed.")
        raise RuleViolation(
            "order_not_pending",
            f"Order {order['order_id']} is {status}, so it can't be {action};{instead}",
        )


def require_delivered(order: Record, action: str) -> None:
    """Refuse a return or exchange of an order whose status is not 'delivered'."""
    status = order["status"]
    if status != "delivered":
        instead = (
            " you can cancel it or change its items instead."
            if status == "pending"
            else " only delivered orders can be returned or exchanged."
        )
        raise RuleViolation(
            "order_not_delivered",
            f"Order {order['order_id']} is {status}, so its items can't be {action};{instead}",
        )


def require_items(order: Record, item_ids: list[str]) -> None:
    """Refuse item ids the order does not hold, or holds fewer times than listed (an order
    can hold the same item twice, and tau-bench's tools take it once per copy)."""
    have = Counter(item["item_id"] for item in order["items"])
    missing = Counter(item_ids) - have
    if not missing:
        return
    item_id = next(iter(missing))
    if not have[item_id]:
        raise RuleViolation(
            "item_not_in_order",
            f"Order {order['order_id']} does not contain item {item_id}; please check the"
            " items of the order.",
        )
    held, asked = have[item_id], Counter(item_ids)[item_id]
    name = item_in(order, item_id)["name"]
    copies = "1 copy" if held == 1 else f"{held} copies"
    raise RuleViolation(
        "item_not_in_order",
        f"Order {order['order_id']} holds {copies} of the {name} (item {item_id}), not"
        f" {asked}; no more than {held} can be returned or changed.",
    )


def profile_methods(store: BackOfficeStore, order: Record) -> Record:
    methods: Record = store.retail_user(order["user_id"])["payment_methods"]
    return methods


def payment_method(store: BackOfficeStore, order: Record, method_id: str) -> Record:
    method: Record | None = profile_methods(store, order).get(method_id)
    if method is None:
        raise RuleViolation(
            "payment_method_unknown",
            f"The payment method {method_id} is not on the customer's profile; please pick one"
            " of the saved payment methods.",
        )
    return method


def require_balance(method: Record, amount: float, what: str) -> None:
    if method["source"] == "gift_card" and method["balance"] < amount:
        raise RuleViolation(
            "insufficient_balance",
            f"The gift card balance of ${method['balance']:.2f} does not cover {what} of"
            f" ${amount:.2f}; please pick another payment method.",
        )


def item_in(order: Record, item_id: str) -> Record:
    item: Record = next(i for i in order["items"] if i["item_id"] == item_id)
    return item


def new_variant(store: BackOfficeStore, old: Record, new_id: str) -> Record:
    """The variant ``new_id`` of the old item's product, checked by the policy's rules.

    Like tau-bench's tools, a pair that keeps the same item is allowed (its summary line says
    ``"unchanged": true``): the gold calls of tau-bench tasks list kept items that way.
    """
    variant: Record | None = store.product(old["product_id"])["variants"].get(new_id)
    if variant is None:
        raise RuleViolation(
            "product_mismatch",
            f"Item {new_id} is not an option of the same product ({old['name']}); an item can"
            " only be swapped for another option of the same product.",
        )
    if not variant["available"]:
        raise RuleViolation(
            "item_unavailable",
            f"Item {new_id} ({old['name']}) is not available now; please pick another option.",
        )
    return variant


def item_view(item: Record) -> Record:
    return {k: item[k] for k in ("item_id", "name", "options", "price") if k in item}


# --- reads ---------------------------------------------------------------------------------


@router.get("/users")
async def find_user(
    store: StoreDep,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    zip: str | None = None,
) -> Record:
    """Authenticate a customer: the user id for an email, or for first + last name + zip."""
    for user_id, user in store.retail_users.items():
        if email is not None and user["email"].lower() == email.strip().lower():
            return {"user_id": user_id}
        if (
            email is None
            and first_name is not None
            and last_name is not None
            and zip is not None
            and user["name"]["first_name"].lower() == first_name.strip().lower()
            and user["name"]["last_name"].lower() == last_name.strip().lower()
            and user["address"]["zip"] == zip.strip()
        ):
            return {"user_id": user_id}
    raise RecordNotFound("No customer matches those details.")


@router.get("/users/{user_id}")
async def get_user(user_id: str, store: StoreDep) -> Record:
    return {"user_id": user_id, **store.retail_user(user_id)}


@router.get("/users/{user_id}/orders")
async def user_orders(user_id: str, store: StoreDep) -> Record:
    """The customer's orders as a person knows them: each one's id, status and item names."""
    user = store.retail_user(user_id)
    orders = []
    for order_id in user.get("orders", []):
        try:
            order = store.order(order_id)
        except RecordNotFound:
            continue
        names = [item["name"] for item in order.get("items", [])]
        orders.append({"order_id": order["order_id"], "status": order["status"], "items": names})
    return {"user_id": user_id, "orders": orders}


@router.get("/orders/{order_id}")
async def get_order(order_id: str, store: StoreDep) -> Record:
    return store.order(order_id)


@router.get("/orders/{order_id}/options")
async def order_options(order_id: str, store: StoreDep) -> Record:
    """Each item of the order with every variant of its product, to offer other options."""
    order = store.order(order_id)
    items = []
    for item in order["items"]:
        product = store.product(item["product_id"])
        variants = [
            {
                "item_id": vid,
                "options": v["options"],
                "price": v["price"],
                "available": v["available"],
                "stock": store.stock.free(vid),
                "current": vid == item["item_id"],
            }
            for vid, v in product["variants"].items()
        ]
        items.append({**item_view(item), "product_id": item["product_id"], "variants": variants})
    return {"order_id": order["order_id"], "status": order["status"], "items": items}


@router.get("/products")
async def list_products(store: StoreDep) -> Record:
    return {"products": {p["name"]: pid for pid, p in store.products.items()}}


@router.get("/products/{product_id}")
async def get_product(product_id: str, store: StoreDep) -> Record:
    return store.product(product_id)
