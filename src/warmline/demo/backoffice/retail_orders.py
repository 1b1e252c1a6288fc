"""Retail writes, each with the effect of tau-bench's tool of the same purpose on the data.

Every route takes ``?dry_run=true``: the rules run and the answer is the same, on a deep copy,
plus ``"dry_run": true``. Every answer is the order (or user) after the write plus a
``summary`` a confirmation can list.
"""

from __future__ import annotations

from fastapi import APIRouter

from warmline.demo.backoffice.payments import (
    money,
    payment_ref,
    write_response,
    write_target,
)
from warmline.demo.backoffice.retail import (
    Address,
    CancelBody,
    ExchangeBody,
    PaymentBody,
    ReturnBody,
    item_in,
    item_view,
    new_variant,
    payment_method,
    profile_methods,
    require_balance,
    require_delivered,
    require_items,
    require_pending,
)
from warmline.demo.backoffice.store import BackOfficeStore, Record, RuleViolation, StoreDep

router = APIRouter(prefix="/retail", tags=["retail"])


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: str, body: CancelBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``cancel_pending_order``: every payment is refunded, gift cards at once."""
    store = write_target(store, dry_run)
    order = store.order(order_id)
    require_pending(order, "cancelled")
    methods = profile_methods(store, order)
    refunds = []
    for payment in order["payment_history"]:
        method_id = payment["payment_method_id"]
        refunds.append(
            {
                "transaction_type": "refund",
                "amount": payment["amount"],
                "payment_method_id": method_id,
            }
        )
        if "gift_card" in method_id:
            method = methods[method_id]
            method["balance"] = round(method["balance"] + payment["amount"], 2)
    order["status"] = "cancelled"
    order["cancel_reason"] = body.reason
    order["payment_history"].extend(refunds)
    summary = {
        "action": "cancel_order",
        "order_id": order["order_id"],
        "reason": body.reason,
        "items": [item_view(i) for i in order["items"]],
        "refund_total": money(sum(r["amount"] for r in refunds)),
        "refunds": [
            {**payment_ref(methods, r["payment_method_id"]), "amount": money(r["amount"])}
            for r in refunds
        ],
    }
    return write_response(order, summary, dry_run)


@router.post("/orders/{order_id}/return")
async def return_items(
    order_id: str, body: ReturnBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``return_delivered_order_items``."""
    store = write_target(store, dry_run)
    order = store.order(order_id)
    require_delivered(order, "returned")
    payment_method(store, order, body.payment_method_id)
    original = order["payment_history"][0]["payment_method_id"]
    if "gift_card" not in body.payment_method_id and body.payment_method_id != original:
        raise RuleViolation(
            "refund_method_not_allowed",
            "A refund can only go to the original payment method or to a gift card;"
            " please pick one of those.",
        )
    require_items(order, body.item_ids)
    order["status"] = "return requested"
    order["return_items"] = sorted(body.item_ids)
    order["return_payment_method_id"] = body.payment_method_id
    items = [item_view(item_in(order, i)) for i in body.item_ids]
    summary = {
        "action": "return_items",
        "order_id": order["order_id"],
        "items": items,
        "refund_total": money(sum(i["price"] for i in items)),
        "refund_to": payment_ref(profile_methods(store, order), body.payment_method_id),
    }
    return write_response(order, summary, dry_run)


def _swaps(store: BackOfficeStore, order: Record, body: ExchangeBody) -> tuple[list[Record], float]:
    """The checked old -> new swaps and tau-bench's (unrounded) price difference."""
    require_items(order, body.item_ids)
    swaps: list[Record] = []
    difference: float = 0
    for old_id, new_id in zip(body.item_ids, body.new_item_ids, strict=True):
        old = item_in(order, old_id)
        variant = new_variant(store, old, new_id)
        difference += variant["price"] - old["price"]
        swaps.append(
            {
                "old": item_view(old),
                "new": {"item_id": new_id, "name": old["name"], "options": variant["options"]}
                | {"price": variant["price"]},
                "price_difference": money(variant["price"] - old["price"]),
                "unchanged": new_id == old_id,
            }
        )
    return swaps, difference


def _swap_summary(
    action: str, order: Record, swaps: list[Record], diff: float, pay: Record
) -> Record:
    return {
        "action": action,
        "order_id": order["order_id"],
        "items": swaps,
        "price_difference": money(diff),
        "payment": pay,
    }


@router.post("/orders/{order_id}/exchange")
async def exchange_items(
    order_id: str, body: ExchangeBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``exchange_delivered_order_items``: the difference is settled later."""
    store = write_target(store, dry_run)
    order = store.order(order_id)
    require_delivered(order, "exchanged")
    swaps, difference = _swaps(store, order, body)
    difference = round(difference, 2)
    method = payment_method(store, order, body.payment_method_id)
    require_balance(method, difference, "the price difference")
    # every new item ships a unit, a new one of the same option too
    units = store.stock.take(body.new_item_ids, body.hold_id or None, commit=not dry_run)
    order["status"] = "exchange requested"
    order["exchange_items"] = sorted(body.item_ids)
    order["exchange_new_items"] = sorted(body.new_item_ids)
    order["exchange_payment_method_id"] = body.payment_method_id
    order["exchange_price_difference"] = difference
    pay = payment_ref(profile_methods(store, order), body.payment_method_id)
    summary = _swap_summary("exchange_items", order, swaps, difference, pay)
    return write_response(order, {**summary, "units_from": units}, dry_run)


@router.post("/orders/{order_id}/items")
async def modify_items(
    order_id: str, body: ExchangeBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``modify_pending_order_items``: charged or refunded now; locks the order."""
    store = write_target(store, dry_run)
    order = store.order(order_id)
    require_pending(order, "changed")
    swaps, difference = _swaps(store, order, body)
    method = payment_method(store, order, body.payment_method_id)
    require_balance(method, difference, "the price difference")
    changed = [new for old, new in zip(body.item_ids, body.new_item_ids, strict=True) if new != old]
    units = store.stock.take(changed, body.hold_id or None, commit=not dry_run)
    order["payment_history"].append(
        {
            "transaction_type": "payment" if difference > 0 else "refund",
            "amount": abs(difference),
            "payment_method_id": body.payment_method_id,
        }
    )
    if method["source"] == "gift_card":
        method["balance"] = round(method["balance"] - difference, 2)
    products = store.products
    for old_id, new_id in zip(body.item_ids, body.new_item_ids, strict=True):
        item = item_in(order, old_id)
        variant = products[item["product_id"]]["variants"][new_id]
        item["item_id"] = new_id
        item["price"] = variant["price"]
        item["options"] = variant["options"]
    order["status"] = "pending (item modified)"
    pay = payment_ref(profile_methods(store, order), body.payment_method_id)
    summary = _swap_summary("modify_items", order, swaps, difference, pay)
    return write_response(order, {**summary, "units_from": units}, dry_run)


@router.post("/orders/{order_id}/payment")
async def modify_payment(
    order_id: str, body: PaymentBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``modify_pending_order_payment``: pay with the new method, refund the old."""
    store = write_target(store, dry_run)
    order = store.order(order_id)
    require_pending(order, "given a new payment method")
    method = payment_method(store, order, body.payment_method_id)
    history = order["payment_history"]
    if len(history) != 1 or history[0]["transaction_type"] != "payment":
        raise RuleViolation(
            "payment_not_single",
            f"Order {order['order_id']} was not paid in one single payment, so its payment"
            " method can't be changed here.",
        )
    old_id, amount = history[0]["payment_method_id"], history[0]["amount"]
    if old_id == body.payment_method_id:
        raise RuleViolation(
            "same_payment_method",
            "The order is already paid with that payment method; please pick a different one.",
        )
    require_balance(method, amount, "the order total")
    history.extend(
        [
            {
                "transaction_type": "payment",
                "amount": amount,
                "payment_method_id": body.payment_method_id,
            },
            {"transaction_type": "refund", "amount": amount, "payment_method_id": old_id},
        ]
    )
    methods = profile_methods(store, order)
    if method["source"] == "gift_card":
        method["balance"] = round(method["balance"] - amount, 2)
    if "gift_card" in old_id:
        methods[old_id]["balance"] = round(methods[old_id]["balance"] + amount, 2)
    summary = {
        "action": "modify_payment",
        "order_id": order["order_id"],
        "amount": money(amount),
        "from": payment_ref(methods, old_id),
        "to": payment_ref(methods, body.payment_method_id),
    }
    return write_response(order, summary, dry_run)


@router.put("/orders/{order_id}/address")
async def update_order_address(
    order_id: str, body: Address, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``modify_pending_order_address``."""
    store = write_target(store, dry_run)
    order = store.order(order_id)
    require_pending(order, "sent to another address")
    summary = {
        "action": "modify_order_address",
        "order_id": order["order_id"],
        "old_address": order["address"],
        "address": body.model_dump(),
    }
    order["address"] = body.model_dump()
    return write_response(order, summary, dry_run)


@router.put("/users/{user_id}/address")
async def update_user_address(
    user_id: str, body: Address, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``modify_user_address``."""
    store = write_target(store, dry_run)
    user = store.retail_user(user_id)
    summary = {
        "action": "modify_user_address",
        "user_id": user_id,
        "old_address": user["address"],
        "address": body.model_dump(),
    }
    user["address"] = body.model_dump()
    return write_response({"user_id": user_id, **user}, summary, dry_run)
