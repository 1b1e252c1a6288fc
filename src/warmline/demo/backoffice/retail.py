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
    "order_not_pending": "only a 'pending' order can be cancelled or have its address changed",
    "order_not_delivered": "only a 'delivered' order can be returned or exchanged",
    "item_not_in_order": "every item id must be in the order (as many times as listed)",
    "refund_method_not_allowed": "refunds go to the original payment method or a gift card",
    "product_mismatch": "an item can only be exchanged for a variant of the same product",
    "same_item": "an exchange must pick a different option",
    "item_unavailable": "the new variant is not available",
    "payment_method_unknown": "the payment method is not in the customer's profile",
    "insufficient_balance": "the gift card balance does not cover the price difference",
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

    @model_validator(mode="after")
    def _same_length(self) -> ExchangeBody:
        if len(self.item_ids) != len(self.new_item_ids):
            raise ValueError("item_ids and new_item_ids must have the same length")
        return self


class Address(BaseModel):
    address1: str = Field(min_length=1, max_length=200)
    address2: str = Field("", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=1, max_length=100)
    zip: str = Field(min_length=1, max_length=20)


# --- rules ---------------------------------------------------------------------------------


def _require_status(order: Record, status: str, rule: str, action: str) -> None:
    if order["status"] != status:
        raise RuleViolation(
            rule,
            f"Only {status} orders can be {action}; order {order['order_id']} is"
            f" {order['status']}.",
        )


def _require_items(order: Record, item_ids: list[str]) -> None:
    have = Counter(item["item_id"] for item in order["items"])
    missing = Counter(item_ids) - have
    if missing:
        raise RuleViolation(
            "item_not_in_order",
            f"Order {order['order_id']} does not contain item {next(iter(missing))}.",
        )


def _payment_method(store: BackOfficeStore, order: Record, method_id: str) -> Record:
    method: Record | None = store.retail_user(order["user_id"])["payment_methods"].get(method_id)
    if method is None:
        raise RuleViolation(
            "payment_method_unknown", "That payment method is not on the customer's profile."
        )
    return method


def _original_method(order: Record) -> str:
    payments = [p for p in order["payment_history"] if p["transaction_type"] == "payment"]
    return str(payments[0]["payment_method_id"]) if payments else ""


def _price(order: Record, item_id: str) -> float:
    return float(next(i["price"] for i in order["items"] if i["item_id"] == item_id))


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
    return store.retail_user(user_id)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, store: StoreDep) -> Record:
    return store.order(order_id)


@router.get("/products")
async def list_products(store: StoreDep) -> Record:
    return {"products": {p["name"]: pid for pid, p in store.products.items()}}


@router.get("/products/{product_id}")
async def get_product(product_id: str, store: StoreDep) -> Record:
    return store.product(product_id)


# --- writes --------------------------------------------------------------------------------


@router.post("/orders/{order_id}/cancel")
async def cancel_order(order_id: str, body: CancelBody, store: StoreDep) -> Record:
    order = store.order(order_id)
    _require_status(order, "pending", "order_not_pending", "cancelled")
    methods = store.retail_user(order["user_id"])["payment_methods"]
    refunds = []
    for payment in order["payment_history"]:
        if payment["transaction_type"] != "payment":
            continue
        refunds.append({**payment, "transaction_type": "refund"})
        method = methods.get(payment["payment_method_id"], {})
        if method.get("source") == "gift_card":  # gift cards are refunded at once
            method["balance"] = round(method["balance"] + payment["amount"], 2)
    order["payment_history"].extend(refunds)
    order["status"] = "cancelled"
    order["cancel_reason"] = body.reason
    return order


@router.post("/orders/{order_id}/return")
async def return_items(order_id: str, body: ReturnBody, store: StoreDep) -> Record:
    order = store.order(order_id)
    _require_status(order, "delivered", "order_not_delivered", "returned")
    _require_items(order, body.item_ids)
    method = _payment_method(store, order, body.payment_method_id)
    if body.payment_method_id != _original_method(order) and method["source"] != "gift_card":
        raise RuleViolation(
            "refund_method_not_allowed",
            "A refund can only go to the original payment method or to one of your gift cards.",
        )
    order["status"] = "return requested"
    order["return_items"] = sorted(body.item_ids)
    order["return_payment_method_id"] = body.payment_method_id
    return order


@router.post("/orders/{order_id}/exchange")
async def exchange_items(order_id: str, body: ExchangeBody, store: StoreDep) -> Record:
    order = store.order(order_id)
    _require_status(order, "delivered", "order_not_delivered", "exchanged")
    _require_items(order, body.item_ids)
    difference = 0.0
    for old_id, new_id in zip(body.item_ids, body.new_item_ids, strict=True):
        old = next(i for i in order["items"] if i["item_id"] == old_id)
        variant = store.product(old["product_id"])["variants"].get(new_id)
        if variant is None:
            raise RuleViolation(
                "product_mismatch",
                f"Item {new_id} is not an option of the same product ({old['name']}).",
            )
        if new_id == old_id:
            raise RuleViolation("same_item", f"Item {new_id} is the option already ordered.")
        if not variant["available"]:
            raise RuleViolation("item_unavailable", f"Item {new_id} is not available now.")
        difference += variant["price"] - _price(order, old_id)
    difference = round(difference, 2)
    method = _payment_method(store, order, body.payment_method_id)
    if method["source"] == "gift_card" and difference > method["balance"]:
        raise RuleViolation(
            "insufficient_balance",
            f"The gift card balance of ${method['balance']} does not cover ${difference}.",
        )
    order["status"] = "exchange requested"
    order["exchange_items"] = sorted(body.item_ids)
    order["exchange_new_items"] = sorted(body.new_item_ids)
    order["exchange_payment_method_id"] = body.payment_method_id
    order["exchange_price_difference"] = difference
    return order


@router.put("/orders/{order_id}/address")
async def update_order_address(order_id: str, body: Address, store: StoreDep) -> Record:
    order = store.order(order_id)
    _require_status(order, "pending", "order_not_pending", "given a new address")
    order["address"] = body.model_dump()
    return order


@router.put("/users/{user_id}/address")
async def update_user_address(user_id: str, body: Address, store: StoreDep) -> Record:
    user = store.retail_user(user_id)
    user["address"] = body.model_dump()
    return user
