"""The shipped demo packs (airline, retail): they load, they are complete, their entities match
what customers type, their templates render on back-office records, and a broken copy is
reported with file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from warmline.demo.backoffice.app import create_app as create_backoffice
from warmline.domain import pack as schema
from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import load_pack
from warmline.errors import PackError
from warmline.nlu.entities import EntityExtractor
from warmline.services.responder import Responder

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "src" / "warmline" / "demo" / "packs"
NAMES = ("airline", "retail")
# Unweighted logistic regression learns each intent's prior from its share of examples, so no
# intent may carry more than MAX_RATIO times the examples of the sparsest one.
MIN_EXAMPLES, MAX_EXAMPLES, MAX_RATIO = 12, 45, 3.5

# Records as the reference back office returns them (copied from the demo data).
RESERVATION: dict[str, Any] = {
    "reservation_id": "4WQ150",
    "user_id": "chen_jackson_3290",
    "origin": "DFW",
    "destination": "LAX",
    "flight_type": "round_trip",
    "cabin": "business",
    "flights": [
        {
            "origin": "DFW",
            "destination": "LAX",
            "flight_number": "HAT170",
            "date": "2024-05-22",
            "price": 883,
        },
        {
            "origin": "LAX",
            "destination": "DFW",
            "flight_number": "HAT022",
            "date": "2024-05-26",
            "price": 779,
        },
    ],
    "passengers": [
        {"first_name": "Chen", "last_name": "Jackson", "dob": "1956-07-07"},
        {"first_name": "Raj", "last_name": "Smith", "dob": "1967-04-01"},
        {"first_name": "Fatima", "last_name": "Martin", "dob": "1970-01-20"},
    ],
    "payment_history": [{"payment_id": "gift_card_3576581", "amount": 4986}],
    "created_at": "2024-05-02T03:10:19",
    "total_baggages": 5,
    "nonfree_baggages": 0,
    "insurance": "no",
}
FLIGHT: dict[str, Any] = {
    "flight_number": "HAT002",
    "origin": "LGA",
    "destination": "PHX",
    "scheduled_departure_time_est": "21:00:00",
    "scheduled_arrival_time_est": "01:30:00",
    "dates": {
        "2024-05-13": {
            "status": "landed",
            "actual_departure_time_est": "2024-05-13T21:05:00",
            "actual_arrival_time_est": "2024-05-14T01:20:00",
        },
        "2024-05-14": {"status": "cancelled"},
        "2024-05-15": {
            "status": "delayed",
            "estimated_departure_time_est": "2024-05-15T22:59:00",
            "estimated_arrival_time_est": "2024-05-16T03:29:00",
        },
        "2024-05-16": {
            "status": "available",
            "available_seats": {"basic_economy": 9, "economy": 4, "business": 2},
            "prices": {"basic_economy": 60, "economy": 120, "business": 400},
        },
    },
}
AIRLINE_USER: dict[str, Any] = {
    "name": {"first_name": "Chen", "last_name": "Jackson"},
    "email": "chen.jackson9941@example.com",
    "membership": "gold",
    "reservations": ["4WQ150"],
    "payment_methods": {"gift_card_3576581": {"source": "gift_card", "id": "gift_card_3576581"}},
}
ORDER: dict[str, Any] = {
    "order_id": "#W2611340",
    "user_id": "james_li_5688",
    "address": {
        "address1": "215 River Road",
        "address2": "Suite 991",
        "city": "New York",
        "country": "USA",
        "state": "NY",
        "zip": "10083",
    },
    "items": [
        {
            "name": "Water Bottle",
            "product_id": "8310926033",
            "item_id": "6469567736",
            "price": 47.84,
            "options": {"capacity": "1000ml", "material": "glass", "color": "blue"},
        },
        {
            "name": "Office Chair",
            "product_id": "4794339885",
            "item_id": "8426249116",
            "price": 488.81,
            "options": {"material": "fabric", "color": "black"},
        },
    ],
    "fulfillments": [{"tracking_id": ["357962501027"], "item_ids": ["6469567736", "8426249116"]}],
    "status": "pending",
    "payment_history": [
        {"transaction_type": "payment", "amount": 536.65, "payment_method_id": "gift_card_1725971"}
    ],
}
PRODUCT: dict[str, Any] = {
    "name": "T-Shirt",
    "product_id": "9523456873",
    "variants": {
        "9612497925": {
            "item_id": "9612497925",
            "available": True,
            "price": 50.88,
            "options": {"color": "blue", "size": "M"},
        },
        "8124970213": {
            "item_id": "8124970213",
            "available": False,
            "price": 49.67,
            "options": {"color": "purple", "size": "XL"},
        },
    },
}
RETAIL_USER: dict[str, Any] = {
    "name": {"first_name": "James", "last_name": "Li"},
    "email": "james.li@example.com",
    "orders": ["#W2611340", "#W3638028"],
    "payment_methods": {},
}


def _path(name: str) -> Path:
    return PACKS / f"{name}.yaml"


@pytest.fixture(scope="module", params=NAMES)
def pack(request: pytest.FixtureRequest) -> DomainPack:
    return load_pack(_path(request.param))


def test_both_packs_load() -> None:
    airline, retail = (load_pack(_path(n)) for n in NAMES)
    assert (airline.pack, retail.pack) == ("airline", "retail")
    assert "human_agent" in airline.intents and "human_agent" in retail.intents


def test_every_pack_intent_has_enough_varied_examples(pack: DomainPack) -> None:
    for name, intent in pack.intents.items():
        if intent.builtin:
            continue
        assert MIN_EXAMPLES <= len(intent.examples) <= MAX_EXAMPLES, name
        assert len({e.lower() for e in intent.examples}) == len(intent.examples), name
    counts = [len(i.examples) for i in pack.intents.values() if not i.builtin]
    assert max(counts) <= MAX_RATIO * min(counts), counts
    seen: dict[str, str] = {}
    for name, intent in pack.intents.items():
        for example in intent.examples:
            other = seen.setdefault(example.lower(), name)
            assert other == name, f"'{example}' is an example of both {other} and {name}"


def test_intent_labels_are_unique_so_clarify_choices_resolve(pack: DomainPack) -> None:
    labels = [pack.intent_label(name) for name in pack.intents]
    assert len(labels) == len(set(labels))


def test_every_destructive_action_has_confirm_wording_and_a_preview(pack: DomainPack) -> None:
    destructive = {n: a for n, a in pack.actions.items() if a.risk == "destructive"}
    assert destructive
    for name, action in destructive.items():
        assert action.confirm and "yes" in action.confirm, name
        preview = action.preview_request()  # a GET read, or the write itself as a dry run
        assert preview is not None, name
        assert preview.method == "GET" or preview.path.endswith("dry_run=true"), name
        assert action.failure, name


def test_airline_cancel_reservation_is_blocked_by_a_bag_mention() -> None:
    pack = load_pack(_path("airline"))
    guard = pack.intents["cancel_reservation"].not_with_entities
    assert "baggage" in guard
    bag = pack.entities["baggage"]
    synonyms = {s.lower() for value in bag.values.values() for s in value.synonyms}
    assert {"bag", "luggage", "suitcase"} <= synonyms
    extractor = EntityExtractor(pack.entities)
    assert pack.intents["remove_bag"].response == "remove_bag"
    for text in (
        "I need to cancel my bag",
        "remove a checked bag",
        "I don't need the extra luggage anymore",
    ):
        assert any(m.entity == "baggage" for m in extractor.extract(text)), text
        assert text in pack.intents["remove_bag"].examples


@pytest.mark.parametrize(
    ("name", "text", "entity", "value"),
    [
        ("airline", "where is my reservation 4WQ150?", "reservation_id", "4WQ150"),
        ("airline", "look up 4wq150", "reservation_id", "4WQ150"),
        ("airline", "my booking is VAAOXJ", "reservation_id", "VAAOXJ"),
        ("airline", "is hat170 on time on 2024-05-22", "flight_number", "HAT170"),
        ("airline", "is hat170 on time on 2024-05-22", "flight_date", "2024-05-22"),
        ("airline", "I'm chen_jackson_3290", "user_id", "chen_jackson_3290"),
        ("airline", "cancel it, my plans changed", "cancellation_reason", "change_of_plan"),
        ("airline", "the flight was cancelled", "cancellation_reason", "airline_cancelled_flight"),
        ("airline", "I want to upgrade to business class", "cabin", "business"),
        ("retail", "where is my order #W2378156?", "order_id", "W2378156"),
        ("retail", "cancel w2611340", "order_id", "W2611340"),
        ("retail", "I ordered it by mistake", "order_cancel_reason", "ordered by mistake"),
        ("retail", "do you have the office chair in blue", "product", "4794339885"),
        ("retail", "is product 9523456873 in stock", "product", "9523456873"),
    ],
)
def test_entities_match_what_customers_type(name: str, text: str, entity: str, value: str) -> None:
    extractor = EntityExtractor(load_pack(_path(name)).entities)
    assert (entity, value) in {(m.entity, m.value) for m in extractor.extract(text)}


@pytest.mark.parametrize(
    "text",
    [
        "flight HAT170",
        "I WANT TO CANCEL MY FLIGHT",
        "please cancel",
        "call 555-1234",
        "chen_jackson_3290",
        "booking ref vaaoxj",
    ],
)
def test_reservation_code_pattern_does_not_take_ordinary_words(text: str) -> None:
    extractor = EntityExtractor(load_pack(_path("airline")).entities)
    assert not [m for m in extractor.extract(text) if m.entity == "reservation_id"]


def test_no_plain_value_lost_to_a_yaml_comment() -> None:
    """An unquoted ``#W2378156`` after a space starts a YAML comment and silently cuts the text."""
    for name in NAMES:
        text = _path(name).read_text("utf-8")
        lines = text.splitlines()
        stack = [yaml.compose(text)]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                stack.extend(v for pair in node.value for v in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.ScalarNode) and node.style is None:
                mark = node.end_mark
                rest = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
                assert not re.match(r"\s+#", rest), f"{name}.yaml:{mark.line + 1}: quote it"


def _render_all(
    pack: DomainPack,
    records: dict[str, dict[str, Any]],
    params: dict[str, dict[str, str]],
    customer: dict[str, Any],
    unworded_failure: frozenset[str] = frozenset(),
) -> dict[str, str]:
    responder = Responder(pack)
    out: dict[str, str] = {}
    for name, action in pack.actions.items():
        p = params[name]
        out[action.success] = responder.render(
            action.success, params=p, result=records[name], customer=customer
        )
        if action.confirm:
            out[f"confirm:{name}"] = responder.render(
                f"confirm:{name}", params=p, record=records[name], customer=customer
            )
        if action.failure and name not in unworded_failure:
            out[action.failure] = responder.render(
                action.failure, params=p, reason="The back office said no.", customer=customer
            )
    for intent in pack.intents.values():
        if intent.response:
            for who in (customer, {}):
                out[intent.response] = responder.render(intent.response, params={}, customer=who)
    return out


_PAX = [
    {"first_name": "Daiki", "last_name": "Jackson-Ito", "dob": "1994-09-04"},
    {"first_name": "Isabella", "last_name": "Lee", "dob": "1971-02-11"},
]
_FLIGHTS = [{"flight_number": "HAT208", "date": "2024-05-20"}]
_BOOKING: dict[str, Any] = {
    "user_id": "mia_li_3668",
    "origin": "DFW",
    "destination": "LAX",
    "flight_type": "one_way",
    "cabin": "economy",
    "flights": [{"flight_number": "HAT170", "date": "2024-05-22"}],
    "passengers": [{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
    "payment_methods": [{"payment_id": "certificate_7504069", "amount": 177}],
    "total_baggages": 3,
    "nonfree_baggages": 0,
    "insurance": "yes",
}
AIRLINE_WRITES: dict[str, tuple[str, str, dict[str, Any], dict[str, str]]] = {
    # action: (method, path, the body the pack sends, the parameters the bot filled)
    "change_flights": (
        "PUT",
        "/airline/reservations/JEPRZB/flights",
        {"cabin": "economy", "flights": _FLIGHTS, "payment_id": "gift_card_9782382"},
        {
            "reservation_id": "JEPRZB",
            "cabin": "economy",
            "new_date": "2024-05-20",
            "flights": json.dumps(_FLIGHTS),
            "payment_id": "gift_card_9782382",
        },
    ),
    "update_passenger": (
        "PUT",
        "/airline/reservations/L07WR3/passengers",
        {"passengers": _PAX},
        {
            "reservation_id": "L07WR3",
            "passenger": "0",
            "new_name": "Daiki Jackson-Ito",
            "new_dob": "1994-09-04",
            "passengers": json.dumps(_PAX),
        },
    ),
    "send_compensation": (
        "POST",
        "/airline/users/lei_rossi_4874/certificates",
        {"reservation_id": "15EN70", "flight_number": "HAT087"},
        {"reservation_id": "15EN70", "affected_flight": "HAT087", "customer_id": "lei_rossi_4874"},
    ),
    "book_reservation": (
        "POST",
        "/airline/reservations",
        _BOOKING,
        {
            "origin": "DFW",
            "destination": "LAX",
            "flight_type": "one_way",
            "travel_date": "2024-05-22",
            "cabin": "economy",
            "itinerary": "0",
            "passengers": '["Mia"]',
            "total_baggages": "3",
            "insurance": "yes",
            "payment_ids": '["certificate_7504069"]',
            "booking": json.dumps(_BOOKING),
        },
    ),
    "change_cabin": (
        "POST",
        "/airline/reservations/98AFPZ/cabin",
        {"cabin": "business", "payment_id": "credit_card_2002533"},
        {"reservation_id": "98AFPZ", "cabin": "business", "payment_id": "credit_card_2002533"},
    ),
    "add_bags": (
        "POST",
        "/airline/reservations/98AFPZ/baggages",
        {"total_baggages": 2, "payment_id": "credit_card_2002533"},
        {"reservation_id": "98AFPZ", "total_baggages": "2", "payment_id": "credit_card_2002533"},
    ),
}


def _airline_write_dry_runs() -> dict[str, dict[str, Any]]:
    """Each airline write's dry-run answer from the reference back office (its ``summary``)."""
    client = TestClient(create_backoffice())
    out: dict[str, dict[str, Any]] = {}
    for name, (method, path, body, _) in AIRLINE_WRITES.items():
        response = client.request(method, path, params={"dry_run": "true"}, json=body)
        assert response.status_code == 200, (name, response.text)
        out[name] = response.json()
    return out


def test_airline_templates_render_complete_answers() -> None:
    pack = load_pack(_path("airline"))
    out = _render_all(
        pack,
        {
            "get_reservation": RESERVATION,
            "cancel_reservation": RESERVATION,
            "get_flight_status": FLIGHT,
            **_airline_write_dry_runs(),
        },
        {
            **{name: dict(params) for name, (_, _, _, params) in AIRLINE_WRITES.items()},
            "get_reservation": {"reservation_id": "4WQ150"},
            "cancel_reservation": {"reservation_id": "4WQ150", "cancel_reason": "change_of_plan"},
            "get_flight_status": {"flight_number": "HAT002", "flight_date": "2024-05-15"},
        },
        AIRLINE_USER,
        unworded_failure=frozenset({"book_reservation"}),
    )
    details = out["reservation_details"]
    for fact in (
        "4WQ150",
        "DFW",
        "LAX",
        "Round-trip",
        "business",
        "HAT170",
        "2024-05-22",
        "HAT022",
        "2024-05-26",
        "Chen Jackson",
        "Raj Smith",
        "Fatima Martin",
        "Checked bags: 5",
        "insurance: no",
    ):
        assert fact in details, fact
    confirm = out["confirm:cancel_reservation"]
    assert "4WQ150" in confirm and "change of plan" in confirm and "yes or no" in confirm
    assert "HAT170" in confirm and "can't be undone" in confirm
    assert "delayed" in out["flight_status"] and "22:59" in out["flight_status"]
    assert "can be added to a reservation but not removed" in out["remove_bag"]
    assert "person" in out["remove_bag"]
    assert "The back office said no." in out["cancellation_refused"]
    assert "Daiki Jackson-Ito" in out["confirm:update_passenger"]
    assert "HAT208" in out["confirm:change_flights"]
    assert "business" in out["confirm:change_cabin"] and "98AFPZ" in out["confirm:change_cabin"]
    for name in AIRLINE_WRITES:
        assert "yes or no" in out[f"confirm:{name}"], name

    responder = Responder(pack)
    cancelled = responder.render(
        "reservation_details",
        params={"reservation_id": "4WQ150"},
        result={**RESERVATION, "status": "cancelled"},
        customer={},
    )
    assert "has been cancelled" in cancelled
    no_date = responder.render(
        "flight_status", params={"flight_number": "HAT002"}, result=FLIGHT, customer={}
    )
    assert "delayed on 2024-05-15" in no_date and "2024-05-16" in no_date


def test_a_refused_booking_is_worded() -> None:
    pack = load_pack(_path("airline"))
    action = pack.actions["book_reservation"]
    assert action.failure is not None
    params = AIRLINE_WRITES["book_reservation"][3]
    text = Responder(pack).render(
        action.failure, params=params, reason="The back office said no.", customer=AIRLINE_USER
    )
    assert "The back office said no." in text


RETURN_DRY_RUN: dict[str, Any] = {
    "order_id": "#W2611340",
    "status": "return requested",
    "dry_run": True,
    "summary": {
        "action": "return_items",
        "order_id": "#W2611340",
        "items": [
            {
                "item_id": "2366567022",
                "name": "Water Bottle",
                "options": {"capacity": "1000ml", "material": "stainless steel"},
                "price": 54.04,
            }
        ],
        "refund_total": 54.04,
        "refund_to": {"payment_method_id": "gift_card_4332117", "label": "Gift card"},
    },
}


def test_retail_templates_render_complete_answers() -> None:
    pack = load_pack(_path("retail"))
    out = _render_all(
        pack,
        {
            "get_order": ORDER,
            "cancel_order": ORDER,
            "get_product": PRODUCT,
            "return_items": RETURN_DRY_RUN,
            **_retail_write_dry_runs(),
        },
        {
            **{name: dict(params) for name, (_, _, params) in RETAIL_WRITES.items()},
            "return_items": {
                "order_id": "#W2611340",
                "item_ids": '["2366567022"]',
                "payment_method_id": "gift_card_4332117",
            },
            "get_order": {"order_id": "W2611340"},
            "cancel_order": {"order_id": "#W2611340", "cancel_reason": "no longer needed"},
            "get_product": {"product_id": "9523456873"},
        },
        RETAIL_USER,
    )
    details = out["order_details"]
    for fact in (
        "#W2611340",
        "pending",
        "Water Bottle",
        "Office Chair",
        "$536.65",
        "357962501027",
        "New York",
    ):
        assert fact in details, fact
    confirm = out["confirm:cancel_order"]
    assert "#W2611340" in confirm and "no longer needed" in confirm and "yes or no" in confirm
    assert "right away" in confirm  # paid with a gift card
    assert "1 of 2 options" in out["product_details"]
    returned = out["confirm:return_items"]
    assert "Water Bottle" in returned and "$54.04" in returned and "Gift card" in returned
    assert "yes or no" in returned
    assert "$54.04" in out["return_requested"]
    assert "#W3638028" in Responder(pack).render("list_orders", params={}, customer=RETAIL_USER)
    exchange = out["confirm:exchange_items"]
    assert "storage SD card -> resolution 30MP, zoom 5x, storage CF card" in exchange
    assert "$19.75 more, charged to your PayPal" in exchange and "yes or no" in exchange
    modify = out["confirm:modify_items"]
    assert "$7.87 refunded now to your gift card" in modify and "only once" in modify
    address = out["confirm:modify_order_address"]
    assert "from: 243 Hillcrest Drive" in address and "to: 320 Cedar Avenue, Suite 116" in address
    payment = out["confirm:modify_order_payment"]
    assert "$2674.40 is charged to your PayPal" in payment and "gift card" in payment
    assert "default address" in out["confirm:update_account_address"]
    assert "320 Cedar Avenue" in out["account_address_changed"]
    assert "pending (item modified)" in out["items_modified"]
    assert "exchange for order #W5605613 is requested" in out["exchange_requested"]


NEW_ADDRESS = {
    "address1": "320 Cedar Avenue",
    "address2": "Suite 116",
    "city": "San Antonio",
    "state": "TX",
    "country": "USA",
    "zip": "78219",
}
RETAIL_WRITES: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
    "exchange_items": (
        "/retail/orders/W5605613/exchange",
        {"item_ids": ["7195021808"], "new_item_ids": ["6384525445"]}
        | {"payment_method_id": "paypal_6228291"},
        {"order_id": "W5605613", "item_ids": '["7195021808"]'},
    ),
    "modify_items": (
        "/retail/orders/W3614011/items",
        {"item_ids": ["4410138384"], "new_item_ids": ["2509076505"]}
        | {"payment_method_id": "gift_card_8541487"},
        {"order_id": "W3614011", "item_ids": '["4410138384"]'},
    ),
    "modify_order_address": (
        "/retail/orders/W2417020/address",
        NEW_ADDRESS,
        {"order_id": "W2417020", "address": json.dumps(NEW_ADDRESS)},
    ),
    "modify_order_payment": (
        "/retail/orders/W2417020/payment",
        {"payment_method_id": "paypal_6228291"},
        {"order_id": "W2417020"},
    ),
    "update_account_address": (
        "/retail/users/emma_smith_8564/address",
        NEW_ADDRESS,
        {"address": json.dumps(NEW_ADDRESS)},
    ),
}


def _retail_write_dry_runs() -> dict[str, dict[str, Any]]:
    """Each retail write's dry-run answer from the reference back office (its ``summary``)."""
    client = TestClient(create_backoffice())
    out: dict[str, dict[str, Any]] = {}
    for name, (path, body, _) in RETAIL_WRITES.items():
        method = client.put if path.endswith("/address") else client.post
        response = method(path, params={"dry_run": "true"}, json=body)
        assert response.status_code == 200, (name, response.text)
        out[name] = response.json()
    return out


def test_a_wrong_type_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    lines = _path("airline").read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("languages:")) + 1
    broken = [*lines[:at], "thresholds:", "  confident: very", *lines[at:]]
    target = tmp_path / "airline.yaml"
    target.write_text("\n".join(broken) + "\n", "utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(target)
    issues = [i for i in caught.value.issues if i.field == "thresholds.confident"]
    assert len(issues) == 1
    assert issues[0].file == str(target)
    assert issues[0].line == at + 2
    assert f"{target}:{at + 2}: thresholds.confident" in str(caught.value)


def test_an_unknown_template_is_reported_at_its_line(tmp_path: Path) -> None:
    text = _path("retail").read_text("utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "response: return_policy")
    lines[at] = lines[at].replace("return_policy", "no_such_template")
    target = tmp_path / "retail.yaml"
    target.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(target)
    [issue] = caught.value.issues
    assert (issue.file, issue.line, issue.field) == (
        str(target),
        at + 1,
        "intents.return_policy.response",
    )


def test_the_pack_reference_documents_every_schema_field() -> None:
    docs = (ROOT / "docs" / "domain-packs.md").read_text("utf-8")
    models = (
        schema.DomainPack,
        schema.Persona,
        schema.Thresholds,
        schema.AccountSpec,
        schema.Entity,
        schema.EntityValue,
        schema.Intent,
        schema.Action,
        schema.Parameter,
        schema.HttpRequest,
        schema.VerificationMethod,
        schema.VerificationFact,
    )
    for model in models:
        for name, field in model.model_fields.items():
            key = field.alias or name
            documented = (f"`{key}`", f"`values.*.{key}`", f"`arms.*.{key}`")
            assert any(d in docs for d in documented), f"{model.__name__}.{key}"
    for builtin in ("greet", "goodbye", "thanks", "affirm", "deny", "human_agent", "bot_challenge"):
        assert f"`{builtin}`" in docs, builtin
