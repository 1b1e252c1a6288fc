"""Not sure between two requests, a known customer's records rule out what cannot be meant
before a question is asked: only a pending order can be cancelled, only a delivered one returned
(``policy/clarify.py``; the guide evaluates each offered request's first question,
``services/turn/guide.py``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.test_guided import CUSTOMER, _pack_data, order, started, with_offers
from warmline.domain.conversation import Offer
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import EntityMention, IntentScore, Understanding
from warmline.policy.decide import decide
from warmline.policy.guided import candidate_key

CANCEL = candidate_key("cancel_order", "order_id")
RETURN = candidate_key("return_items", "order_id")


@pytest.fixture
def pack() -> DomainPack:
    """The mini shop, with a cancellation whose order is asked first like the return's."""
    data: dict[str, Any] = _pack_data()
    cancel = copy.deepcopy(data["actions"]["return_items"])
    cancel["parameters"] = {"order_id": cancel["parameters"]["order_id"]}
    cancel["records"] = {}
    cancel["request"] = {"method": "POST", "path": "/orders/{order_id}/cancel"}
    data["actions"]["cancel_order"] = cancel
    data["intents"]["cancel_order"] = {
        "action": "cancel_order",
        "label": "cancel an order",
        "examples": ["cancel my order", "I don't want it anymore", "stop my order"],
    }
    data["intents"]["return_items"]["label"] = "return items"
    return DomainPack.model_validate(data)


def unsure(text: str, *entities: EntityMention) -> Understanding:
    ranking = [
        IntentScore(intent="cancel_order", probability=0.5),
        IntentScore(intent="return_items", probability=0.3),
    ]
    return Understanding(text=text, ranking=ranking, zone="clarify", entities=list(entities))


def test_no_pending_order_rules_the_cancellation_out_of_the_question(
    pack: DomainPack,
) -> None:
    state = with_offers(started(), **{CANCEL: Offer(), RETURN: Offer(("#W1",), ("#W1",))})
    d = decide(state, unsure("please take back my order"), CUSTOMER, pack)
    assert (d.kind, d.missing) == ("clarify", None)
    assert "return items" in d.choices and "cancel an order" not in d.choices
    reason = next(r for r in d.reasons if r.code == "account_rules_out")
    assert "cancel_order" in reason.detail and reason.values["probability"] == 0.5


def test_the_order_named_rules_out_what_it_cannot_be(pack: DomainPack) -> None:
    """A pending order beside it does not make the delivered W1 one to cancel."""
    offers = {CANCEL: Offer(("#W2",), ("#W2",)), RETURN: Offer(("#W1",), ("#W1",))}
    state = with_offers(started(), **offers)
    d = decide(state, unsure("please take back W1", order("W1")), CUSTOMER, pack)
    assert "cancel an order" not in d.choices and "return items" in d.choices
    assert "account_rules_out" in d.reason_codes()


def test_when_both_fit_the_customer_is_asked(pack: DomainPack) -> None:
    offers = {CANCEL: Offer(("#W2",), ("#W2",)), RETURN: Offer(("#W1",), ("#W1",))}
    d = decide(with_offers(started(), **offers), unsure("take it back"), CUSTOMER, pack)
    assert (d.kind, d.missing) == ("clarify", None)
    assert d.choices[:2] == ["cancel an order", "return items"]
    assert "account_rules_out" not in d.reason_codes()


def test_a_guest_is_never_ruled_out_by_records(pack: DomainPack) -> None:
    state = with_offers(started(), **{CANCEL: Offer(), RETURN: Offer(("#W1",), ("#W1",))})
    d = decide(state, unsure("please take back my order"), None, pack)
    assert "account_rules_out" not in d.reason_codes()
