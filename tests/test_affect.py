"""Affect: the shipped model, the lexical cues, clause reading and the conversation cues."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmline.domain.understanding import TurnContext
from warmline.errors import ConfigurationError
from warmline.nlu.affect import AffectConfig, AffectDetector, load_affect
from warmline.nlu.affect_cues import turn_cues
from warmline.nlu.affect_models import GROUPS, LinearAffectModel, load_affect_model
from warmline.nlu.embeddings import Encoder


@pytest.fixture(scope="module")
def detector(encoder: Encoder) -> AffectDetector:
    return load_affect(encoder)


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("WHERE IS MY REFUND", "shouting"),
        ("where is my refund!!", "shouting"),
        ("this is f*cking ridiculous", "profanity"),
        ("This is the THIRD time I ask", "repeat_complaint"),
        ("how many times do I have to tell you", "repeat_complaint"),
        ("I already told you my booking code", "repeat_complaint"),
        ("I'll take my business elsewhere", "leave_threat"),
        ("never flying with you again", "leave_threat"),
        ("my flight leaves in 40 minutes", "urgent_words"),
        ("I need this sorted asap", "urgent_words"),
        ("I still don't understand the fee", "confused_words"),
        ("what do you mean by fare class??", "confused_words"),
        ("I was charged twice for one ticket", "trouble"),  # real trouble, however calm
    ],
)
def test_each_cue_is_found(text: str, cue: str) -> None:
    assert cue in turn_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "I entered the wrong pin too many times",
        "I would like to close my account",  # a request, not a threat to leave
        "How many times can I use a disposable card?",
        "Where is my reservation 4WQ150?",
        "OK",
    ],
)
def test_ordinary_requests_carry_no_cue(text: str) -> None:
    assert turn_cues(text) == []


def test_trouble_that_happened_again_is_no_repeated_request() -> None:
    # a refused card is trouble; "several times" is what happened, not the customer asking again
    assert turn_cues("My card was declined several times") == ["trouble"]


def test_the_shipped_model_scores_calm_and_upset_turns_apart(detector: AffectDetector) -> None:
    calm, upset, thanks = detector.read_texts(
        [
            "where is my reservation 4WQ150?",
            "I am so annoyed, nobody ever helps me",
            "thank you, that was really helpful",
        ]
    )
    for affect in (calm, upset, thanks):
        for value in (affect.negative, affect.frustration, affect.urgency, affect.confusion):
            assert 0.0 <= value <= 1.0
    assert calm.frustration < 0.3 < 0.6 < upset.frustration
    assert (calm.sentiment, upset.sentiment, thanks.sentiment) == (
        "neutral",
        "negative",
        "positive",
    )


def test_clause_reading_catches_a_complaint_the_whole_sentence_dilutes(
    encoder: Encoder,
) -> None:
    text = "I am furious and fed up. Where is my reservation 4WQ150?"
    whole = load_affect(encoder)
    clauses = load_affect(encoder, AffectConfig(clause_reading=True))
    (plain,) = whole.read_texts([text])
    (read,) = clauses.read_texts([text])
    assert plain.frustration < 0.5 <= read.frustration
    assert read.model == plain.model  # the model figures are the whole text's either way


def test_cues_raise_the_scores_and_the_model_figures_are_kept(detector: AffectDetector) -> None:
    (affect,) = detector.read_texts(["This is the THIRD time I ask where my refund is"])
    assert "repeat_complaint" in affect.cues
    assert affect.frustration >= 0.75 > affect.model["frustration"]


def test_the_same_request_again_counts_as_a_repeat(
    detector: AffectDetector, encoder: Encoder
) -> None:
    context = TurnContext(
        recent=["what is my baggage allowance"], recent_intents=["baggage_allowance"]
    )
    again = detector.read(
        "what's my baggage allowance?",
        encoder.encode(["what's my baggage allowance?"])[0],
        context,
        intent="baggage_allowance",
    )
    assert again.repeats == 1 and "rephrasing" in again.cues


def test_a_similar_request_for_another_record_or_intent_is_not_a_repeat(
    detector: AffectDetector, encoder: Encoder
) -> None:
    text = "where is my reservation 4WQ150"
    vector = encoder.encode([text])[0]
    other_record = TurnContext(
        recent=["where is my reservation DDHPNX"],
        recent_intents=["reservation_status"],
        recent_values=[["DDHPNX"]],
    )
    read = detector.read(text, vector, other_record, "reservation_status", ["4WQ150"])
    assert read.repeats == 0
    other_intent = TurnContext(recent=["where is my reservation"], recent_intents=["cancel"])
    assert detector.read(text, vector, other_intent, "reservation_status").repeats == 0


def test_earlier_turns_that_cannot_repeat_this_one_are_not_encoded(
    detector: AffectDetector, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier turn of another intent, or naming another record, cannot count as a repeat:
    its wording is not needed, so a turn read by another worker is not encoded again for it.
    One that can count is encoded, and counts as before."""
    text = "where is my reservation 4WQ150"
    vector = encoder.encode([text])[0]
    encoded: list[list[str]] = []
    real = encoder.encode

    def counting(texts: list[str]) -> np.ndarray:
        encoded.append(list(texts))
        return real(texts)

    monkeypatch.setattr(detector.encoder, "encode", counting)
    unseen = ["where is my reservation DDHPNX please", "where's my reservation 4WQ150 please"]
    other = TurnContext(
        recent=unseen,
        recent_intents=["reservation_status", "cancel"],
        recent_values=[["DDHPNX"], []],
    )
    assert detector.read(text, vector, other, "reservation_status", ["4WQ150"]).repeats == 0
    assert encoded == []
    same = other.model_copy(update={"recent_intents": ["reservation_status"] * 2})
    assert detector.read(text, vector, same, "reservation_status", ["4WQ150"]).repeats == 1
    assert encoded == [unseen]  # every earlier turn it lacks, in one run as before


def test_negativity_rising_over_three_turns_is_a_cue(
    detector: AffectDetector, encoder: Encoder
) -> None:
    text = "I am really unhappy with this"
    vector = encoder.encode([text])[0]
    rising = detector.read(text, vector, TurnContext(recent_negative=[0.1, 0.3]))
    flat = detector.read(text, vector, TurnContext(recent_negative=[0.9, 0.3]))
    assert "rising_negativity" in rising.cues and "rising_negativity" not in flat.cues


def test_a_model_trained_on_another_encoder_is_refused(encoder: Encoder) -> None:
    model = load_affect_model()
    model.encoder_name = "another-encoder@123"
    with pytest.raises(ConfigurationError, match="train_affect"):
        AffectDetector(encoder, model)


def test_the_shipped_model_reads_the_encoders_token_states(
    detector: AffectDetector, encoder: Encoder
) -> None:
    assert detector.model.state_output == "hidden_state_3"
    text = "I am so annoyed, nobody ever helps me"
    vector, states = encoder.encode_with_states(text, "hidden_state_3")
    assert np.allclose(vector, encoder.encode([text])[0])  # the same run gives both
    from_states = detector.model.probabilities(vector[None, :], [states])
    assert np.allclose(from_states, detector.model_probabilities([text]))


def test_a_linear_model_saves_and_loads_with_the_same_probabilities(
    tmp_path: Path, encoder: Encoder
) -> None:
    rng = np.random.default_rng(0)
    targets = list(GROUPS)
    model = LinearAffectModel(
        rng.normal(size=(encoder.dimension, len(targets))),
        rng.normal(size=len(targets)),
        np.ones(len(targets)),
        np.zeros(len(targets)),
        targets,
        {t: 0.5 for t in targets},
        encoder.name,
    )
    model.save(tmp_path)
    again = load_affect_model(tmp_path)
    assert isinstance(again, LinearAffectModel) and again.state_output is None
    x = encoder.encode(["why is my bag not here yet"])
    assert np.allclose(model.probabilities(x), again.probabilities(x), atol=1e-5)
    (affect,) = AffectDetector(encoder, again).read_texts(["why is my bag not here yet"])
    assert 0.0 <= affect.frustration <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "I'm done, thanks",
        "Last time I flew it was fine. What's the baggage allowance?",
        "can I do a chargeback on this?",
        "I will complain to my bank",
        "please close my account",
    ],
)
def test_ordinary_turns_are_not_threats_to_leave(text: str) -> None:
    assert "leave_threat" not in turn_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm done with you",
        "I'll never fly with you again",
        "never flying with you again, ever",
        "you've just lost a customer",
        "I'm taking my business elsewhere",
    ],
)
def test_threats_to_leave_are_found(text: str) -> None:
    assert "leave_threat" in turn_cues(text)
