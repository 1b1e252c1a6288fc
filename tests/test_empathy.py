"""Empathy first: which replies open with an acknowledgement, of what, and why (the policy),
and how it is worded (the responder and the persona's voice)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warmline.domain.conversation import ConversationState, fold
from warmline.domain.customers import Customer
from warmline.domain.decision import Acknowledgement
from warmline.domain.events import ConversationStarted, ExperimentAssigned
from warmline.domain.pack import DomainPack, Empathy, Experiment, ExperimentArm
from warmline.domain.understanding import Affect, IntentScore, Understanding
from warmline.errors import PackError
from warmline.policy.decide import decide
from warmline.policy.experiments import assign_arm
from warmline.services.responder import Responder
from warmline.services.voice import apply_register

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def turn(affect: Affect, intent: str = "thanks") -> Understanding:
    return Understanding(
        text="...",
        ranking=[IntentScore(intent=intent, probability=0.9)],
        zone="confident",
        affect=affect,
    )


def fresh(*arms: tuple[str, str]) -> ConversationState:
    events = [ConversationStarted(at=NOW, pack="mini_airline")]
    events += [ExperimentAssigned(at=NOW, experiment=e, arm=a) for e, a in arms]
    return fold(events)  # type: ignore[arg-type]


CALM = Affect(negative=0.05, frustration=0.03, urgency=0.0, confusion=0.02)
ANNOYED = Affect(negative=0.7, frustration=0.62, sentiment="negative")


def test_a_calm_turn_gets_no_acknowledgement_but_its_scores_are_recorded(
    mini_pack: DomainPack,
) -> None:
    d = decide(fresh(), turn(CALM), None, mini_pack)
    assert d.acknowledgement is None
    affect = next(r for r in d.reasons if r.code == "affect")
    assert affect.values["frustration"] == 0.03
    assert "empathy_first" not in d.reason_codes()


def test_frustration_over_the_threshold_is_acknowledged_with_its_figures(
    mini_pack: DomainPack,
) -> None:
    d = decide(fresh(), turn(ANNOYED), None, mini_pack)
    assert d.acknowledgement == Acknowledgement(cause="frustration", strong=False)
    rule = next(r for r in d.reasons if r.code == "empathy_first")
    assert rule.values["score"] == 0.62 and rule.values["threshold"] == 0.5
    assert d.kind == "answer"  # the acknowledgement opens the reply; the step is unchanged


@pytest.mark.parametrize(
    ("affect", "cause"),
    [
        (Affect(frustration=0.9, cues=["leave_threat"], repeats=2), "leave_threat"),
        (Affect(frustration=0.9, repeats=2, cues=["rephrasing"]), "repeat"),
        (Affect(frustration=0.9, urgency=0.9), "frustration"),
        (Affect(urgency=0.8, confusion=0.9), "urgency"),
        (Affect(confusion=0.7), "confusion"),
        (Affect(negative=0.8), "negative"),
    ],
)
def test_the_cause_follows_the_documented_order(
    mini_pack: DomainPack, affect: Affect, cause: str
) -> None:
    ack = decide(fresh(), turn(affect), None, mini_pack).acknowledgement
    assert ack is not None and ack.cause == cause


def test_a_repeat_carries_how_many_times_it_was_asked(mini_pack: DomainPack) -> None:
    ack = decide(fresh(), turn(Affect(repeats=2)), None, mini_pack).acknowledgement
    assert ack is not None and ack.times == 3


def test_strong_frustration_gets_the_strong_wording(mini_pack: DomainPack) -> None:
    ack = decide(fresh(), turn(Affect(frustration=0.85)), None, mini_pack).acknowledgement
    assert ack is not None and ack.strong


def test_the_buffer_caps_acknowledgements_in_a_row(mini_pack: DomainPack) -> None:
    state = fresh()
    state.acknowledged_streak = mini_pack.empathy.buffer_turns
    d = decide(state, turn(ANNOYED), None, mini_pack)
    assert d.acknowledgement is None and "empathy_buffer_spent" in d.reason_codes()


def test_an_arm_without_empathy_never_acknowledges(mini_pack: DomainPack) -> None:
    arms = {"empathetic": ExperimentArm(), "efficient": ExperimentArm(empathy=False)}
    pack = mini_pack.model_copy(update={"experiments": {"opener": Experiment(arms=arms)}})
    d = decide(fresh(("opener", "efficient")), turn(ANNOYED), None, pack)
    assert d.acknowledgement is None and "experiment_arm" in d.reason_codes()
    assert decide(fresh(("opener", "empathetic")), turn(ANNOYED), None, pack).acknowledgement


def test_a_pack_can_turn_acknowledgements_off(mini_pack: DomainPack) -> None:
    pack = mini_pack.model_copy(update={"empathy": Empathy(enabled=False)})
    d = decide(fresh(), turn(ANNOYED), None, pack)
    assert d.acknowledgement is None and "empathy_off" in d.reason_codes()


def test_acknowledgements_rotate_and_never_repeat(mini_pack: DomainPack) -> None:
    responder = Responder(mini_pack)
    ack = Acknowledgement(cause="frustration")
    said: list[str] = []
    while (text := responder.acknowledge(ack, said)) is not None:
        assert text not in said
        said.append(text)
    assert len(said) == 4  # every built-in wording once, then none


def test_a_repeat_acknowledgement_says_how_often(mini_pack: DomainPack) -> None:
    text = Responder(mini_pack).acknowledge(Acknowledgement(cause="repeat", times=2), [])
    assert text is not None and "twice" in text


def test_a_template_that_promises_or_blames_stops_the_pack(mini_pack: DomainPack) -> None:
    pack = mini_pack.model_copy(
        update={"templates": {**mini_pack.templates, "refund_info": "I promise it's your fault."}}
    )
    with pytest.raises(PackError) as caught:
        Responder(pack)
    wheres = [issue.field for issue in caught.value.issues]
    assert wheres.count("templates.refund_info") == 2  # one promise, one blame


def test_the_pack_forbidden_phrases_are_checked_too(mini_pack: DomainPack) -> None:
    persona = mini_pack.persona.model_copy(update={"forbidden_phrases": ["no worries"]})
    pack = mini_pack.model_copy(
        update={"persona": persona, "templates": {**mini_pack.templates, "x": "No worries!"}}
    )
    with pytest.raises(PackError, match="no worries"):
        Responder(pack)


@pytest.mark.parametrize(
    ("register", "text", "expected"),
    [
        ("formal", "Hi! I'm sorry, I can't do that.", "Hello. I am sorry, I cannot do that."),
        ("casual", "I'm sorry. Would you like me to check?", "Sorry. Want me to check?"),
        ("casual", "I can see that, and I'm sorry.", "I can see that, and I'm sorry."),
        ("neutral", "Hi! I'm sorry.", "Hi! I'm sorry."),
    ],
)
def test_the_register_is_applied(register: str, text: str, expected: str) -> None:
    assert apply_register(text, register) == expected  # type: ignore[arg-type]


def test_every_reply_of_a_formal_persona_is_formal(mini_pack: DomainPack) -> None:
    persona = mini_pack.persona.model_copy(update={"speech_register": "formal"})
    responder = Responder(mini_pack.model_copy(update={"persona": persona}))
    for name in ("bot_challenge", "escalated", "declined", "nothing_pending"):
        assert "'" not in responder.render(name).replace("Warmline", "")  # no contractions


def test_an_arm_replaces_the_greeting_and_templates(mini_pack: DomainPack) -> None:
    arms = {
        "a": ExperimentArm(),
        "b": ExperimentArm(
            greeting="Quick AI helper here; say 'person' for someone from our team.",
            templates={"thanks": "Anytime."},
        ),
    }
    pack = mini_pack.model_copy(update={"experiments": {"opener": Experiment(arms=arms)}})
    responder = Responder(pack)
    assert responder.greeting({"opener": "b"}).startswith("Quick AI helper")
    assert responder.render("thanks", {"opener": "b"}) == "Anytime."
    assert responder.greeting({"opener": "a"}) == responder.greeting()


def test_arm_assignment_is_stable_and_follows_the_weights() -> None:
    arms = {"a": ExperimentArm(weight=3), "b": ExperimentArm(weight=1)}
    experiment = Experiment(arms=arms)
    picks = [assign_arm("opener", experiment, f"conversation-{i}") for i in range(4000)]
    assert picks == [assign_arm("opener", experiment, f"conversation-{i}") for i in range(4000)]
    assert 0.72 < picks.count("a") / len(picks) < 0.78


def test_an_arm_greeting_must_disclose_the_ai() -> None:
    with pytest.raises(ValueError, match="AI"):
        ExperimentArm(greeting="Hello, how can I help?")


def test_a_very_upset_customer_asked_to_confirm_is_offered_a_person(
    mini_pack: DomainPack,
) -> None:
    from warmline.domain.understanding import EntityMention

    rid = EntityMention(entity="reservation_id", value="4WQ150", text="4WQ150")
    why = EntityMention(entity="cancel_reason", value="change_of_plan", text="plans changed")
    upset = Understanding(
        text="cancel 4WQ150 NOW!!! plans changed",
        ranking=[IntentScore(intent="cancel_reservation", probability=0.9)],
        zone="confident",
        entities=[rid, why],
        affect=Affect(frustration=0.9, negative=0.9, cues=["shouting"]),
    )
    customer = Customer(id="chen_jackson_3290", facts={"reservations": ["4WQ150"]})
    d = decide(fresh(), upset, customer, mini_pack)
    assert d.kind == "confirm" and "person_offered" in d.reason_codes()
    assert d.choices == ["yes", "no", "talk to a person"]
    calm = decide(fresh(), upset.model_copy(update={"affect": CALM}), customer, mini_pack)
    assert calm.kind == "confirm" and calm.choices == ["yes", "no"]
