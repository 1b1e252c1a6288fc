"""Acknowledgements only for a customer who is upset or in real trouble: the turn's function
gates the model's score (an answer to the bot's question, a request without feeling), real
trouble is acknowledged even when calm, and the event log says why one was withheld."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warmline.domain.conversation import ConversationState, PendingAction, fold
from warmline.domain.customers import Customer
from warmline.domain.decision import Acknowledgement
from warmline.domain.events import ConversationStarted
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import (
    Affect,
    EntityMention,
    IntentScore,
    Trouble,
    Understanding,
    Zone,
)
from warmline.nlu.affect_cues import trouble_in, turn_cues
from warmline.policy.decide import decide
from warmline.services.responder import Responder
from warmline.services.voice import acknowledgement_context

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMER = Customer(id="chen_jackson_3290", facts={"reservations": ["4WQ150", "DDHPNX"]})
BARE_NO = Affect(frustration=0.52, negative=0.57)  # the model's reading of a bare "no"
PLAIN_CANCEL = Affect(frustration=0.66, negative=0.83)  # "I need to cancel my reservation"
BROKEN = Trouble(what="arrived broken", thing="vacuum cleaner")


def said(
    text: str,
    affect: Affect,
    intent: str | None = None,
    zone: Zone = "confident",
    entities: tuple[EntityMention, ...] = (),
) -> Understanding:
    ranking = [IntentScore(intent=intent, probability=0.9)] if intent else []
    return Understanding(
        text=text, ranking=ranking, zone=zone, affect=affect, entities=list(entities)
    )


def fresh() -> ConversationState:
    return fold([ConversationStarted(at=NOW, pack="mini_airline", customer_id=CUSTOMER.id)])


def confirming() -> ConversationState:
    """The bot asked: cancel reservation 4WQ150, yes or no?"""
    state = fresh()
    state.pending = PendingAction("cancel_reservation", {"reservation_id": "4WQ150"}, "ok?")
    state.choices = ("yes", "no")
    return state


def test_a_bare_no_at_a_confirmation_is_a_no_not_a_complaint(mini_pack: DomainPack) -> None:
    d = decide(confirming(), said("no", BARE_NO, "deny"), CUSTOMER, mini_pack)
    assert d.kind == "decline" and d.acknowledgement is None
    withheld = next(r for r in d.reasons if r.code == "empathy_answer")
    assert withheld.values["cause"] == "frustration" and withheld.values["score"] == 0.52
    assert "a no at a confirmation" in withheld.detail


def test_a_shouted_no_at_a_confirmation_is_acknowledged(mini_pack: DomainPack) -> None:
    text = "no!! that's wrong AGAIN, I told you"
    cues = turn_cues(text)
    assert {"shouting", "repeat_complaint"} <= set(cues)
    affect = Affect(frustration=0.75, negative=0.82, cues=cues)
    d = decide(confirming(), said(text, affect, "deny"), CUSTOMER, mini_pack)
    assert d.kind == "decline" and d.acknowledgement is not None
    assert d.acknowledgement.cause == "repeat"
    assert "empathy_answer" not in d.reason_codes()


def test_a_pick_among_the_choices_gets_none(mini_pack: DomainPack) -> None:
    state = fresh()
    state.choices = ("check a reservation", "cancel a reservation")
    state.clarify_for = state.choices
    d = decide(state, said("cancel a reservation", BARE_NO), CUSTOMER, mini_pack)
    assert "choice_selected" in d.reason_codes()
    assert d.acknowledgement is None and "empathy_answer" in d.reason_codes()


def test_a_detail_asked_for_gets_none_whatever_the_score(mini_pack: DomainPack) -> None:
    state = fresh()
    state.awaiting_intent, state.awaiting_param = "reservation_status", "reservation_id"
    rid = EntityMention(entity="reservation_id", value="DDHPNX", text="DDHPNX")
    upset_score = Affect(frustration=0.9, negative=0.95)
    d = decide(state, said("DDHPNX", upset_score, entities=(rid,)), CUSTOMER, mini_pack)
    assert "slot_filled" in d.reason_codes()
    assert d.acknowledgement is None and "empathy_answer" in d.reason_codes()


def test_a_short_answer_to_a_question_gets_none_but_a_feeling_word_counts(
    mini_pack: DomainPack,
) -> None:
    state = fresh()
    state.awaiting_intent, state.awaiting_param = "reservation_status", "reservation_id"
    d = decide(state, said("not that one", BARE_NO), CUSTOMER, mini_pack)
    assert d.acknowledgement is None and "empathy_answer" in d.reason_codes()
    upset = said("I'm so frustrated", Affect(frustration=0.88, cues=["feeling_words"]))
    ack = decide(state, upset, CUSTOMER, mini_pack).acknowledgement
    assert ack is not None and ack.cause == "frustration"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I need to cancel my reservation", "cancel_reservation"),
        ("I need to cancel my bag", "remove_bag"),
        ("I want to cancel my flight", "cancel_reservation"),
    ],
)
def test_a_request_without_feeling_needs_a_score_well_above_the_threshold(
    mini_pack: DomainPack, text: str, intent: str
) -> None:
    d = decide(fresh(), said(text, PLAIN_CANCEL, intent), CUSTOMER, mini_pack)
    assert d.acknowledgement is None
    withheld = next(r for r in d.reasons if r.code == "empathy_request")
    assert withheld.values["threshold"] == 0.5 and withheld.values["bar"] == 0.75
    very = Affect(frustration=0.8, negative=0.9)
    ack = decide(fresh(), said(text, very, intent), CUSTOMER, mini_pack).acknowledgement
    assert ack is not None and ack.cause == "frustration"


def test_a_request_with_a_word_of_feeling_is_judged_at_the_threshold(
    mini_pack: DomainPack,
) -> None:
    text = "I'm fed up, just cancel my reservation"
    affect = Affect(frustration=0.69, negative=0.74, cues=turn_cues(text))
    d = decide(fresh(), said(text, affect, "cancel_reservation"), CUSTOMER, mini_pack)
    assert d.acknowledgement == Acknowledgement(cause="frustration")


def test_a_statement_outside_the_pack_keeps_the_threshold(mini_pack: DomainPack) -> None:
    d = decide(fresh(), said("this whole trip", PLAIN_CANCEL, zone="out_of_scope"), None, mini_pack)
    assert d.acknowledgement is not None and d.acknowledgement.cause == "frustration"


def test_real_trouble_is_acknowledged_even_when_calm(mini_pack: DomainPack) -> None:
    calm = Affect(frustration=0.22, negative=0.42, cues=["trouble"], trouble=BROKEN)
    d = decide(fresh(), said("my vacuum cleaner arrived broken", calm), None, mini_pack)
    assert d.acknowledgement == Acknowledgement(
        cause="trouble", trouble="arrived broken", thing="vacuum cleaner"
    )
    rule = next(r for r in d.reasons if r.code == "empathy_first")
    assert "trouble" in rule.detail


def test_shouting_and_swearing_about_trouble_acknowledge_the_feeling(
    mini_pack: DomainPack,
) -> None:
    angry = Affect(
        frustration=0.7, negative=0.75, cues=["shouting", "profanity", "trouble"], trouble=BROKEN
    )
    ack = decide(fresh(), said("MY VACUUM ARRIVED BROKEN, F*CK", angry), None, mini_pack)
    assert ack.acknowledgement is not None and ack.acknowledgement.cause == "frustration"
    assert ack.acknowledgement.strong


def test_trouble_in_an_answer_is_not_acknowledged(mini_pack: DomainPack) -> None:
    calm = Affect(cues=["trouble"], trouble=BROKEN)
    d = decide(confirming(), said("yes", calm, "affirm"), CUSTOMER, mini_pack)
    assert d.kind == "act" and d.acknowledgement is None


def test_trouble_told_calmly_does_not_count_as_an_upset_vip(mini_pack: DomainPack) -> None:
    rules = mini_pack.escalation.model_copy(update={"vip_field": "tier", "vip_tiers": ["gold"]})
    pack = mini_pack.model_copy(update={"escalation": rules})
    gold = Customer(id=CUSTOMER.id, facts={**CUSTOMER.facts, "tier": ["gold"]})
    calm = Affect(cues=["trouble"], trouble=Trouble(what="was lost", thing="bag"))
    d = decide(fresh(), said("the airline lost my bag", calm), gold, pack)
    assert d.acknowledgement is not None and d.acknowledgement.cause == "trouble"
    assert d.kind != "escalate"
    upset = Affect(frustration=0.7, cues=["feeling_words"])
    assert decide(fresh(), said("I'm so annoyed", upset), gold, pack).escalation == "vip"


@pytest.mark.parametrize(
    ("text", "what", "thing"),
    [
        ("my vacuum cleaner arrived broken", "arrived broken", "vacuum cleaner"),
        ("The lamp I ordered arrived damaged", "arrived damaged", "lamp"),
        ("my order still hasn't arrived", "still hasn't arrived", "order"),
        ("my flight got cancelled on me", "got cancelled", "flight"),
        ("the airline lost my bag", "was lost", "bag"),
        ("the headphones stopped working after two days", "stopped working", "headphones"),
        ("I was charged twice for one ticket", "charged twice", None),
        ("I got double charged", "double charged", None),
        ("there's an item missing from my order", "item missing", None),
        ("I've been waiting for weeks for my refund", "waiting for weeks", None),
        ("we are stranded in Denver", "stranded", None),
        ("I want to report a lost bag", "lost bag", None),
    ],
)
def test_real_trouble_is_read_with_the_thing_it_happened_to(
    text: str, what: str, thing: str | None
) -> None:
    assert trouble_in(text) == Trouble(what=what, thing=thing)
    assert "trouble" in turn_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "I need to cancel my bag",
        "I want to cancel my order",
        "please cancel my flight",
        "is my reservation cancelled?",
        "what if my bag is lost?",
        "nothing is missing",
        "I lost my order confirmation, what's the number",
        "I'd like to return the jacket, it doesn't fit",
    ],
)
def test_requests_and_questions_tell_of_no_trouble(text: str) -> None:
    assert trouble_in(text) is None


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("you're not listening to me", "repeat_complaint"),
        ("are you even reading what I write", "repeat_complaint"),
        ("no, I told you the other one", "repeat_complaint"),
        ("this is so annoying", "feeling_words"),
        ("I'm really disappointed with the service", "feeling_words"),
        ("I'm worried my package got lost", "feeling_words"),
        ("this is unacceptable", "profanity"),
        ("no no no, that's not what I asked for", "feeling_words"),
        ("what? no, I never asked for business", "feeling_words"),
        ("that doesn't help me at all", "feeling_words"),
        ("I just want my money back", "feeling_words"),
    ],
)
def test_the_cues_of_an_upset_customer(text: str, cue: str) -> None:
    assert cue in turn_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "I need to cancel my bag",
        "I'd like to file a complaint",
        "no",
        "the second one",
        "that helps, thanks",
        "I just want to change my seat",
    ],
)
def test_calm_requests_and_answers_carry_no_word_of_feeling(text: str) -> None:
    assert turn_cues(text) == []


def test_the_trouble_wording_names_the_thing_when_known(mini_pack: DomainPack) -> None:
    responder = Responder(mini_pack)
    named = Acknowledgement(cause="trouble", trouble="arrived broken", thing="vacuum cleaner")
    text = responder.render("ack:trouble:0", None, **acknowledgement_context(named))
    assert text == "I'm sorry your vacuum cleaner arrived broken — let's sort it out."
    plain = Acknowledgement(cause="trouble", trouble="charged twice")
    text = responder.render("ack:trouble:0", None, **acknowledgement_context(plain))
    assert text == "I'm sorry about that — let's sort it out."


def test_every_trouble_wording_is_said_once(mini_pack: DomainPack) -> None:
    responder = Responder(mini_pack)
    ack = Acknowledgement(cause="trouble", trouble="arrived broken", thing="lamp")
    said_: list[str] = []
    while (text := responder.acknowledge(ack, said_)) is not None:
        assert text not in said_ and "sorry" in text.lower()
        said_.append(text)
    assert len(said_) == 4


def test_words_of_feeling_are_enough_on_their_own(mini_pack: DomainPack) -> None:
    text = "ugh none of these are what I asked for"
    calm_scores = Affect(frustration=0.3, negative=0.45, cues=turn_cues(text))
    state = fresh()
    state.choices = ("check a reservation", "cancel a reservation")
    ack = decide(state, said(text, calm_scores), CUSTOMER, mini_pack).acknowledgement
    assert ack is not None and ack.cause == "frustration"  # 0.3 is nearer 0.5 than 0.45 is 0.75


@pytest.mark.parametrize(
    "text",
    [
        "I still haven't received my card",
        "my transfer hasn't arrived yet",
        "my card was declined at the shop",
        "why did my top-up fail?",
        "the app keeps crashing",
        "my contactless is not working anywhere",
        "why was I charged a fee?",
        "I see an extra fee after my transfer",
        "there's a direct debit I didn't authorize",
        "the exchange rate on my payment isn't right",
        "I'm locked out of my account",
        "the top-up is still pending and it has been a long time",
        "my connecting flight was moved without notice",
        "the ATM will not let me take cash out",
    ],
)
def test_flat_reports_of_trouble_are_trouble(text: str) -> None:
    assert trouble_in(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "how long does delivery take?",
        "when will my transfer arrive",
        "will my card be declined abroad?",
        "what happens if my payment fails?",
        "is there an additional fee for bags?",
        "how are international payments charged?",
        "I've never used my card abroad, what fees apply?",
        "I'm not working today, can you call me?",
        "the transfer has gone through, thanks",
        "it's been a long time since I flew with you",
        "have you cancelled my order yet?",
        "I thought I lost my card but I found it",
    ],
)
def test_questions_and_calm_statements_about_the_same_things_are_not(text: str) -> None:
    assert trouble_in(text) is None


# The upset detector (nlu/upset.py): its probability gates what a score or a cue alone would do
# on a request or a statement; answers keep the cues only. Defaults: threshold 0.67, floor 0.17.


def test_a_score_alone_on_a_request_needs_the_detector_to_agree(mini_pack: DomainPack) -> None:
    text = "I need to cancel my reservation"
    very = Affect(frustration=0.8, negative=0.9, upset=0.2)  # over the raised bar of 0.75
    d = decide(fresh(), said(text, very, "cancel_reservation"), CUSTOMER, mini_pack)
    assert d.acknowledgement is None
    withheld = next(r for r in d.reasons if r.code == "empathy_not_upset")
    assert withheld.values["upset"] == 0.2 and withheld.values["upset_threshold"] == 0.67
    assert "calm" in withheld.detail
    agreed = very.model_copy(update={"upset": 0.9})
    ack = decide(fresh(), said(text, agreed, "cancel_reservation"), CUSTOMER, mini_pack)
    assert ack.acknowledgement == Acknowledgement(cause="frustration", strong=True)


def test_a_statement_outside_the_pack_needs_the_detector_to_agree(mini_pack: DomainPack) -> None:
    calm = PLAIN_CANCEL.model_copy(update={"upset": 0.3})
    d = decide(fresh(), said("this whole trip", calm, zone="out_of_scope"), None, mini_pack)
    assert d.acknowledgement is None and "empathy_not_upset" in d.reason_codes()


def test_the_detector_acknowledges_an_upset_request_no_score_or_cue_shows(
    mini_pack: DomainPack,
) -> None:
    text = "it's been two weeks and my refund is nowhere"
    quiet = Affect(frustration=0.3, negative=0.45, urgency=0.1, upset=0.88)
    d = decide(fresh(), said(text, quiet, "cancel_reservation"), CUSTOMER, mini_pack)
    assert d.acknowledgement == Acknowledgement(cause="frustration")
    rule = next(r for r in d.reasons if r.code == "empathy_first")
    assert rule.values["upset"] == 0.88 and rule.values["upset_threshold"] == 0.67
    assert "upset detector" in rule.detail
    affect = next(r for r in d.reasons if r.code == "affect")
    assert affect.values["upset"] == 0.88


def test_capitals_on_a_calm_question_acknowledge_nothing_under_the_floor(
    mini_pack: DomainPack,
) -> None:
    text = "WHAT IS THE BAGGAGE ALLOWANCE ON MY BOOKING"
    assert turn_cues(text) == ["shouting"]
    shouted = Affect(frustration=0.65, negative=0.65, cues=["shouting"], upset=0.01)
    d = decide(fresh(), said(text, shouted, "baggage_allowance"), CUSTOMER, mini_pack)
    assert d.acknowledgement is None
    withheld = next(r for r in d.reasons if r.code == "empathy_not_upset")
    assert withheld.values["upset_floor"] == 0.17 and "floor" in withheld.detail
    # over the floor the cue still vouches for the score, as without a detector
    unsure = shouted.model_copy(update={"upset": 0.3})
    again = decide(fresh(), said(text, unsure, "baggage_allowance"), CUSTOMER, mini_pack)
    assert again.acknowledgement is not None and again.acknowledgement.cause == "frustration"


def test_trouble_the_detector_reads_as_calm_is_not_acknowledged(mini_pack: DomainPack) -> None:
    text = "how do I report a scarf I left at the gate, no rush"
    calm = Affect(frustration=0.1, negative=0.2, cues=["trouble"], trouble=BROKEN, upset=0.02)
    assert decide(fresh(), said(text, calm), None, mini_pack).acknowledgement is None
    upset = calm.model_copy(update={"upset": 0.5})
    ack = decide(fresh(), said(text, upset), None, mini_pack).acknowledgement
    assert ack is not None and ack.cause == "trouble"


def test_a_threat_to_leave_stands_whatever_the_detector_reads(mini_pack: DomainPack) -> None:
    text = "I'm done with you, never flying with you again"
    leaving = Affect(frustration=0.85, negative=0.85, cues=["leave_threat"], upset=0.01)
    ack = decide(fresh(), said(text, leaving), None, mini_pack).acknowledgement
    assert ack is not None and ack.cause == "leave_threat"


def test_an_answer_is_not_the_detectors_to_judge(mini_pack: DomainPack) -> None:
    """A "no" at a confirmation with a high upset reading and no cue gets none."""
    bare = BARE_NO.model_copy(update={"upset": 0.95})
    d = decide(confirming(), said("no", bare, "deny"), CUSTOMER, mini_pack)
    assert d.acknowledgement is None and "empathy_answer" in d.reason_codes()


def test_trouble_told_flatly_that_only_the_detector_reads_is_acknowledged_as_trouble(
    mini_pack: DomainPack,
) -> None:
    text = "you moved my flight to 5am and never asked me"
    assert turn_cues(text) == []
    flat = Affect(frustration=0.24, negative=0.27, urgency=0.01, upset=0.97)
    d = decide(fresh(), said(text, flat), None, mini_pack)
    assert d.acknowledgement == Acknowledgement(cause="trouble")
    rule = next(r for r in d.reasons if r.code == "empathy_first")
    assert "upset detector" in rule.detail and rule.values["upset"] == 0.97
