"""The tau-bench benchmark's parts (benchmarks/taubench_kit): the scripted customer's first-person
rewrite, identity answers, choice picking and confirmations; the end-state comparison and the
wrong-write accounting on synthetic states. No NLU, no back office."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from taubench_kit.choices import pick_choices
from taubench_kit.customer import Customer
from taubench_kit.identity import Identity, identity_answer
from taubench_kit.instruction import first_person, is_persona, requests
from taubench_kit.proposal import consistent
from taubench_kit.scoring import Write, differing, outputs_said, wrong_writes
from taubench_kit.talk import END, UNSURE

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "taubench"

INSTRUCTION = (
    "Your name is Ana Diaz and your zip code is 10001. You are impatient, logical. "
    "You want to cancel your order #W1234567 because you no longer need it. "
    "Also, you want to return the water bottle from order #W7654321 to your paypal."
)
ME = Identity(
    user_id="ana_diaz_1111",
    email="ana.diaz@example.com",
    first_name="Ana",
    last_name="Diaz",
    zip="10001",
    dob="1990-04-05",
)


def test_first_person_rewrites_the_customer_s_pronouns() -> None:
    assert first_person("You want to cancel your order.") == "I want to cancel my order."
    assert first_person("You've received a lamp you don't like.") == (
        "I've received a lamp I don't like."
    )
    assert first_person("Ask them to send it to you.") == "Ask them to send it to me."


def test_persona_and_identity_sentences_are_dropped() -> None:
    assert is_persona("You are impatient, logical.")
    assert is_persona("You're very argumentative.")
    assert is_persona("Your name is Ana Diaz and your zip code is 10001.")
    assert not is_persona("You want to cancel your order #W1234567.")


def test_the_instruction_splits_into_its_requests_in_order() -> None:
    found = requests(INSTRUCTION)
    assert len(found) == 2
    assert found[0] == ["I want to cancel my order #W1234567 because I no longer need it."]
    assert "#W7654321" in found[1][0] and "paypal" in found[1][0]


def test_identity_answers_give_the_facts_asked_for() -> None:
    assert identity_answer("What's the email on your account?", ME) == "ana.diaz@example.com"
    assert identity_answer("What's your full name, as on your account?", ME) == "Ana Diaz"
    assert identity_answer("And the zip code of your address?", ME) == "10001"
    assert identity_answer("What's your user id?", ME) == "ana_diaz_1111"
    assert identity_answer("And your date of birth?", ME) == "1990-04-05"
    offered = "What's the email address? If you'd rather, tell me your full name and zip code."
    assert identity_answer(offered, ME) == "ana.diaz@example.com"
    assert identity_answer("Which order is it?", ME) is None


def test_choices_are_picked_by_the_instruction() -> None:
    labels = ["check an order", "cancel a pending order", "talk to a person"]
    assert pick_choices("Which do you mean?", labels, INSTRUCTION) == ["cancel a pending order"]
    orders = ["#W7654321", "#W1234567", "#W0000001"]
    assert pick_choices("Which order?", orders, INSTRUCTION) == ["#W7654321"]
    several = "Which ones? Pick all that apply."
    assert pick_choices(several, orders, INSTRUCTION) == ["#W7654321", "#W1234567"]


def test_an_unsupported_choice_is_unsure_once_then_the_first_offered() -> None:
    customer = Customer(INSTRUCTION, ME)
    labels = ["store credit", "a voucher", "talk to a person"]
    assert customer.reply("Which one?", labels) == UNSURE
    assert customer.reply("Which one?", labels) == "store credit"


def test_a_person_is_picked_only_when_the_instruction_asks_for_one() -> None:
    assert pick_choices("Which?", ["talk to a person"], INSTRUCTION) == []
    wants = INSTRUCTION + " If you can't, you want to talk to a human agent."
    assert pick_choices("Which?", ["talk to a person"], wants) == ["talk to a person"]


def test_confirmations_follow_the_instruction() -> None:
    assert consistent("I'll cancel order #W1234567. Shall I go ahead?", INSTRUCTION)
    assert not consistent("I'll cancel order #W9999999. Shall I go ahead?", INSTRUCTION)
    customer = Customer("You want to return the lamp of order #W1234567.", ME)
    no = customer.reply("I'll cancel order #W1234567. Go ahead?", ["yes", "no"])
    assert no.lower().startswith("no")
    assert customer.reply("I'll return the lamp of #W1234567. Go ahead?", ["yes", "no"]) == "yes"


def test_anything_else_brings_the_next_request_then_ends() -> None:
    customer = Customer(INSTRUCTION, ME)
    assert "#W1234567" in customer.opening()
    assert "#W7654321" in customer.reply("Done. Is there anything else I can help with?", [])
    assert customer.reply("Done. Anything else I can help with?", []) == END
    assert customer.done


def test_differing_lists_changed_added_and_removed_records() -> None:
    gold = {"orders": {"#W1": {"status": "cancelled"}, "#W2": {"status": "pending"}}}
    same = json.loads(json.dumps(gold))
    assert differing(same, gold) == {}
    bot = {"orders": {"#W1": {"status": "pending"}, "#W3": {"status": "pending"}}}
    assert differing(bot, gold) == {"orders": {"#W1", "#W2", "#W3"}}


def test_a_write_is_wrong_when_its_record_ends_unlike_the_gold() -> None:
    gold = {"orders": {"#W1": {"status": "cancelled"}, "#W2": {"status": "pending"}}, "users": {}}
    bot = {"orders": {"#W1": {"status": "cancelled"}, "#W2": {"status": "cancelled"}}, "users": {}}
    right = Write("POST", "/retail/orders/%23W1/cancel", {"reason": "ordered by mistake"}, 200)
    wrong = Write("POST", "/retail/orders/%23W2/cancel", {"reason": "ordered by mistake"}, 200)
    assert wrong_writes([right, wrong], "retail", bot, gold, gold_writes=1) == [wrong]
    assert wrong_writes([right], "retail", gold, gold, gold_writes=1) == []
    assert wrong_writes([right], "retail", gold, gold, gold_writes=0) == [right]


def test_outputs_are_found_with_commas_and_dollars() -> None:
    replies = ["Your refund of $1,093.34 is on its way.", "It was 10 dollars."]
    assert outputs_said(["1093.34", "10"], replies) == []
    assert outputs_said(["522.18"], replies) == ["522.18"]


@pytest.mark.skipif(not DATASETS.exists(), reason="the tau-bench task files are not here")
def test_every_retail_train_task_opens_with_a_request_and_no_persona() -> None:
    tasks = json.loads((DATASETS / "retail_train.json").read_text())
    for task in tasks:
        opening = Customer(task["instruction"], ME).opening()
        assert opening != UNSURE, task["instruction"]
        assert "You are" not in opening and "Your name is" not in opening


async def test_the_recording_transport_logs_only_real_writes() -> None:
    import httpx
    from taubench_kit.replay import RecordingTransport

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409 if request.url.path.endswith("/refused") else 200, json={})

    recorder = RecordingTransport(httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=recorder, base_url="http://bo") as client:
        await client.get("/retail/orders/%23W1")
        await client.post("/_admin/reset")
        await client.post("/retail/orders/%23W1/cancel", json={"reason": "no longer needed"})
        await client.post("/retail/orders/%23W1/cancel", json={"dry_run": True})
        await client.post("/retail/orders/%23W2/refused", json={})
    assert [(w.method, w.path, w.body) for w in recorder.writes] == [
        ("POST", "/retail/orders/%23W1/cancel", {"reason": "no longer needed"})
    ]
    assert [w.status for w in recorder.refused] == [409]


def test_a_task_not_reached_gets_the_first_cause_that_holds() -> None:
    from taubench_kit.conversation import Played, categorise

    played = Played(0, "cancel_pending_order", asked_verification=True)
    assert categorise(played) == "verification"
    played.verified = True
    assert categorise(played) == "intent"
    played.escalated = True
    assert categorise(played) == "escalation"
    played.unsure = ["Which order?"]
    assert categorise(played) == "choice"
    played.refused = ["POST /retail/orders/%23W1/cancel -> 409"]
    assert categorise(played) == "back office refusal"


def test_a_fact_mentioned_outside_a_question_is_not_asked_for() -> None:
    done = "Done. You'll get an email with the label. Anything else I can help with?"
    assert identity_answer(done, ME) is None


def test_a_proposal_listing_an_item_not_asked_about_is_declined() -> None:
    wanted = "You want to return the Water Bottle of your order #W1234567."
    proposal = (
        "Here's the return I'd set up for order #W1234567:\n"
        "- Water Bottle (capacity 750ml, color red): $20.00\n"
        "- Desk Lamp (color black): $35.00\n"
        "Shall I go ahead?"
    )
    assert not consistent(proposal, wanted)
    assert consistent(proposal.replace("- Desk Lamp (color black): $35.00\n", ""), wanted)


def test_several_items_are_picked_when_the_question_allows_several() -> None:
    wanted = "You want to return the Water Bottle and the Desk Lamp of order #W1234567."
    labels = ["Water Bottle (750ml) - $20.00", "Desk Lamp (black) - $35.00", "Tent (2 person)"]
    question = "Which items would you like to return? You can pick several."
    assert pick_choices(question, labels, wanted) == labels[:2]
    assert pick_choices("Which item?", labels, wanted) == labels[:1]


def test_a_choice_is_named_by_its_head_unless_two_share_it() -> None:
    from taubench_kit.choices import spoken

    labels = ["Wall Clock (color white) - $195.59", "Lamp (black) - $20.00", "Lamp (red) - $21.00"]
    assert spoken(labels[0], labels) == "Wall Clock"
    assert spoken(labels[1], labels) == "Lamp (black) - $20.00"
    customer = Customer("You want to return the Wall Clock of order #W1234567.", ME)
    assert customer.reply("Which items? You can pick several.", labels) == "Wall Clock"


def test_all_the_items_answers_all_of_them_when_offered() -> None:
    customer = Customer("You want to return all the items of order #W1234567.", ME)
    labels = ["Wall Clock (white) - $195.59", "Lamp (black) - $20.00"]
    question = 'Which items would you like to return? You can pick several, or say "all of them".'
    assert customer.reply(question, labels) == "all of them"
    assert customer.reply("Which items would you like to return?", labels) == UNSURE


def test_an_item_option_is_picked_by_that_item_s_wanted_options() -> None:
    wanted = (
        "For #W1234567, exchange Jigsaw Puzzle {'pieces': '2000', 'theme': 'fantasy'} to "
        "{'pieces': '500', 'theme': 'art'}; T-Shirt {'color': 'blue', 'size': 'M'} to "
        "{'color': 'red', 'size': 'L'}."
    )
    customer = Customer(wanted, ME)
    labels = [
        "T-Shirt: color red, size M - $20.00",
        "T-Shirt: color red, size L - $21.00",
        "T-Shirt: color blue, size L - $22.00",
    ]
    assert (
        customer.reply("Which option would you like instead?", labels)
        == "T-Shirt: color red, size L"
    )


def test_a_prose_option_keeps_what_the_instruction_does_not_mention() -> None:
    customer = Customer("For #W1234567, you want a bamboo deck for your skateboard.", ME)
    customer.reply("Which items?", ["Skateboard (deck material plastic, length 31 inch) - $1"])
    labels = [
        "Skateboard: deck material plastic, length 34 inch - $2",
        "Skateboard: deck material bamboo, length 28 inch - $3",
        "Skateboard: deck material bamboo, length 31 inch - $4",
    ]
    assert customer.reply("Which option?", labels) == labels[2][:-5]


def test_reasons_and_payment_methods_are_answered_not_unsure() -> None:
    customer = Customer(INSTRUCTION, ME)
    reasons = ["no longer needed", "ordered by mistake"]
    assert customer.reply("Why are you cancelling?", reasons) == "no longer needed"
    paid = Customer("You want to exchange the lamp of #W1234567 and prefer paypal.", ME)
    methods = ["Mastercard ending 5859", "PayPal", "Gift card ($68.00 left)"]
    assert paid.reply("Which payment method?", methods) == "PayPal"


def test_all_of_them_is_said_only_when_every_item_is_wanted() -> None:
    customer = Customer("You want to exchange the Electric Kettle of order #W1234567.", ME)
    labels = ["Bookshelf (color white) - $455.34", "Electric Kettle (2L) - $153.81", "All of them"]
    question = 'Which items would you like to exchange? You can pick several, or say "all of them".'
    assert customer.reply(question, labels) == "Electric Kettle"


def test_a_change_of_mind_is_said_at_the_confirmation() -> None:
    wanted = (
        "For #W1234567, try to exchange Electric Kettle {'color': 'white'} to a green one, but "
        "change your mind and decide to not exchange the electric kettle after all."
    )
    proposal = "Here's the exchange:\n- Electric Kettle: color white -> color green\nGo ahead?"
    answer = Customer(wanted, ME).reply(proposal, ["yes", "no"])
    assert answer.startswith("No, I've changed my mind")
