"""Long, descriptive openings: the request sentence decides the intent with its own calibrated
score and the decision says so (``request_sentence``), the context sentences keep their
entities, and an answer to what the bot just asked is never counted as a repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from warmline.domain.conversation import ConversationState, fold
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import BotReplied, ConversationStarted, Decided, MessageReceived
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import IntentScore, RequestSentence, TurnContext, Understanding
from warmline.nlu.affect import AffectDetector, load_affect
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine
from warmline.policy.decide import decide
from warmline.policy.reading import request_words

NOW = datetime(2026, 1, 1, tzinfo=UTC)
OPENING = (
    "We fly to Los Angeles next week on reservation 4WQ150 and my wife wants to cancel it. "
    "We have lots of suitcases with us. How many checked bags can we bring for free?"
)


def test_the_request_sentence_decides_with_its_own_score(mini_nlu: NluEngine) -> None:
    understood = mini_nlu.understand(OPENING)
    whole = mini_nlu.classifier.rank([OPENING])[0].scores[0]
    sentence = understood.sentence
    assert sentence is not None
    assert (sentence.index, sentence.sentences) == (3, 3)
    assert sentence.text == "How many checked bags can we bring for free?"
    assert (understood.intent, understood.zone) == ("baggage_allowance", "confident")
    # calibration stays honest: the confidence is the request sentence's own reading
    assert abs(understood.confidence - sentence.probability) < 1e-4
    assert sentence.whole_probability == round(whole.probability, 4) < understood.confidence


def test_the_context_sentences_keep_their_entities(mini_nlu: NluEngine) -> None:
    understood = mini_nlu.understand(OPENING)
    assert understood.entity("reservation_id") is not None
    assert understood.entity("reservation_id").value == "4WQ150"  # type: ignore[union-attr]
    assert understood.entity("baggage") is not None


def test_a_turn_of_one_sentence_is_read_as_the_whole(mini_nlu: NluEngine) -> None:
    text = "can you show me the details of my reservation please"
    understood = mini_nlu.understand(text)
    whole = mini_nlu.classifier.rank([text])[0].scores[0]
    assert understood.sentence is None
    assert understood.intent == whole.intent
    assert abs(understood.confidence - whole.probability) < 1e-6


def test_the_decision_names_the_sentence_that_decided(mini_pack: DomainPack) -> None:
    sentence = RequestSentence(
        text="How many checked bags can we bring for free?",
        index=3,
        sentences=3,
        intent="baggage_allowance",
        probability=0.91,
        whole_intent="remove_bag",
        whole_probability=0.42,
        whole_zone="clarify",
    )
    understood = Understanding(
        text=OPENING,
        ranking=[IntentScore(intent="baggage_allowance", probability=0.91)],
        zone="confident",
        sentence=sentence,
    )
    state = fold([ConversationStarted(at=NOW, pack="mini_airline")])
    decision = decide(state, understood, None, mini_pack)
    (reason,) = [r for r in decision.reasons if r.code == "request_sentence"]
    assert "sentence 3 of 3 'How many checked bags" in reason.detail
    assert "baggage_allowance 0.91" in reason.detail and "remove_bag 0.42" in reason.detail
    assert reason.values["probability"] == 0.91 and reason.values["sentence"] == 3
    plain = decide(state, understood.model_copy(update={"sentence": None}), None, mini_pack)
    assert "request_sentence" not in plain.reason_codes()


def _asked(decision: Decision) -> ConversationState:
    return fold(
        [
            ConversationStarted(at=NOW, pack="mini_airline"),
            MessageReceived(at=NOW, text="I want to book a flight to Seattle on 2024-05-24"),
            Decided(at=NOW, decision=decision),
        ]
    )


def test_the_next_turn_knows_whether_the_bot_asked_something() -> None:
    question = Decision(
        kind="clarify", intent="book_flight", action="book", missing="date", template="missing"
    )
    assert _asked(question).turn_context(NOW).answering
    answer = Decision(kind="answer", intent="baggage_allowance", template="baggage_allowance")
    assert not _asked(answer).turn_context(NOW).answering


def test_an_answer_to_the_bots_question_is_never_a_repeat(encoder: Encoder) -> None:
    detector: AffectDetector = load_affect(encoder)
    opening = "I want to fly from Dallas to Seattle on 2024-05-24, can you book it?"
    answer = "I'd like to fly on 2024-05-24"
    earlier = TurnContext(
        recent=[opening], recent_intents=["book_flight"], recent_values=[["2024-05-24"]]
    )
    vector = encoder.encode([answer])[0]
    echoed = detector.read(answer, vector, earlier, "book_flight", ["2024-05-24"])
    assert echoed.repeats >= 1  # read on its own, it echoes the opening
    answering = earlier.model_copy(update={"answering": True})
    read = detector.read(answer, vector, answering, "book_flight", ["2024-05-24"])
    assert read.repeats == 0 and "rephrasing" not in read.cues


def _clarified() -> ConversationState:
    """An opening the bot was not sure of, and its clarifying question."""
    question = Decision(
        kind="clarify", template="clarify", choices=["check a reservation", "talk to a person"]
    )
    return fold(
        [
            ConversationStarted(at=NOW, pack="mini_airline"),
            MessageReceived(at=NOW, text=OPENING),
            Decided(at=NOW, decision=question),
            BotReplied(at=NOW, text="Which of these?", choices=list(question.choices)),
        ]
    )


def test_a_request_picked_from_a_clarifying_question_reads_the_opening(
    mini_pack: DomainPack,
) -> None:
    picked = [Reason(code="choice_selected", detail="", values={"intent": "reservation_status"})]
    for pick in ("check a reservation", "the reservation one"):  # tapped, typed
        words = request_words(
            "get_reservation", _clarified(), Understanding(text=pick), mini_pack, list(picked)
        )
        assert words.startswith(OPENING)
    alone = request_words(
        "get_reservation", _clarified(), Understanding(text="cancel 4WQ150"), mini_pack, []
    )
    assert alone == "cancel 4WQ150"  # a new request, not a pick: its own words only
