"""Answers from documents, the pure parts: the extractive answer (knowledge/extract.py), the
support check and the retrieval support (knowledge/support.py), what the documents say as the
policy reads it (knowledge/answer.py), and the decision (policy/knowledge.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from warmline.domain.conversation import ConversationState, fold
from warmline.domain.decision import Reason
from warmline.domain.events import ConversationStarted
from warmline.domain.grounding import Grounding
from warmline.domain.pack import DomainPack, KnowledgeSpec
from warmline.domain.understanding import IntentScore, Understanding
from warmline.knowledge import answer_check
from warmline.knowledge.answer import failed, ground, phrased
from warmline.knowledge.answerability import COEFFICIENTS, FEATURES, Model, shipped
from warmline.knowledge.extract import extract
from warmline.knowledge.passage import Passage
from warmline.knowledge.support import check_answer, retrieval_support
from warmline.knowledge.words import content_words, facts, negated, split_sentences
from warmline.policy.decide import decide
from warmline.policy.knowledge import asks, knowledge_step, may_phrase, wants_knowledge


def passage(
    section: str, text: str, doc: str = "pets", score: float = 0.03, cosine: float = 0.5
) -> Passage:
    """A retrieved passage; ``cosine``: its embedding's with the question's, as the search
    gives it (a typical figure for a passage on the question's topic)."""
    title = "Travelling with pets" if doc == "pets" else doc.replace("-", " ").capitalize()
    return Passage(
        doc,
        f"{doc}#{section}",
        title,
        (title, section),
        text,
        f"/help/airline/{doc}#{section.lower().replace(' ', '-')}",
        score,
        {"bm25": 1},
        cosine,
    )


CABIN = passage(
    "Pets in the cabin",
    "A cat or dog can travel in the cabin in a carrier that fits under the seat in front of "
    "you. The pet fee is $125 per pet for each direction of travel. Each passenger can bring "
    "one pet carrier, and we accept up to 4 pets in the cabin per flight.",
)
NOT_CARRIED = passage(
    "Pets we don't carry",
    "Warmline Air does not carry pets as checked baggage or cargo. Only cats and dogs at least "
    "10 weeks old are accepted in the cabin; other animals such as birds, rabbits and reptiles "
    "are not accepted.",
    score=0.02,
)
ITEMS = passage(
    "What to pack",
    "Some things must stay in your carry-on bag.\n\nYou must carry these in the cabin:\n"
    "- lithium batteries and power banks\n- medicines you need during the flight\n"
    "- keys and valuables\n\nEverything else can go in a checked bag.",
    doc="baggage",
    score=0.01,
)
PASSAGES = [CABIN, NOT_CARRIED, ITEMS]


# --- words ---------------------------------------------------------------------------------


def test_content_words_drop_function_words_and_stem() -> None:
    assert content_words("How many bags can I check on a Basic Economy fare?") == [
        "bag",
        "check",
        "basic",
        "economi",
        "fare",
    ]
    assert content_words("two bags") == content_words("2 bag")


def test_facts_are_numbers_amounts_days_and_names() -> None:
    found = facts("Gold members pay $35 on Monday, within 24 hours, for two bags.")
    assert {"35", "monday", "24", "2"} <= found
    assert "gold" not in found  # it opens the sentence: its capital says nothing
    assert "horizon" in facts("Bags on Horizon flights")


def test_negation_is_read() -> None:
    assert negated("Pets are not accepted") and negated("You can't bring it")
    assert not negated("Pets are accepted")


def test_sentences_keep_a_list_item_with_its_lead_in() -> None:
    sentences = split_sentences(ITEMS.text)
    items = [s for s in sentences if s.lead]
    assert items[0].text == "lithium batteries and power banks"
    assert {s.lead for s in items} == {"You must carry these in the cabin:"}
    assert split_sentences("See e.g. the fee. Then pay.")[0].text == "See e.g. the fee."


# --- the extractive answer ------------------------------------------------------------------


def test_a_short_passage_is_the_answer_whole() -> None:
    found = extract("How much is the pet fee?", PASSAGES)
    assert found is not None
    assert "The pet fee is $125 per pet" in found.text
    assert found.text == " ".join(s.full for s in split_sentences(CABIN.text))
    assert found.passage == 0 and found.coverage == 1.0


LONG = passage(
    "Pets in the cabin",
    "A cat or dog can travel in the cabin in a carrier that fits under the seat in front of "
    "you, and it must stay in its carrier for the whole flight, from boarding to arrival at "
    "the gate.\n\n"
    "The pet fee is $125 per pet for each direction of travel. It is paid when the pet is "
    "added to the reservation.\n\n"
    "Each passenger can bring one pet carrier, and we accept up to 4 pets in the cabin per "
    "flight, so add your pet early: once four pets are booked on a flight, no more can be "
    "added, whatever the fare or the membership of the passenger.",
)


def test_a_long_passage_gives_the_paragraph_that_answers() -> None:
    found = extract("How much is the pet fee?", [LONG])
    assert found is not None
    assert found.sentences == (
        "The pet fee is $125 per pet for each direction of travel.",
        "It is paid when the pet is added to the reservation.",
    )


def test_the_passage_that_holds_the_question_answers_not_the_first() -> None:
    other = passage("Birds", "Birds and rabbits travel as cargo on partner airlines.", score=0.04)
    found = extract("How much is the pet fee?", [other, CABIN])
    assert found is not None and found.passage == 1


def test_a_list_is_answered_with_its_lead_in_and_items() -> None:
    found = extract("What must I carry in the cabin?", [ITEMS])
    assert found is not None
    lead = found.sentences.index("You must carry these in the cabin:")
    assert found.sentences[lead + 1] == "- lithium batteries and power banks"
    assert found.sentences[lead + 3] == "- keys and valuables"
    assert "\n- medicines you need during the flight\n" in found.text


def test_no_answer_without_a_content_word_in_common() -> None:
    assert extract("Hi there", PASSAGES) is None
    assert extract("weather forecast tomorrow", PASSAGES) is None


# --- the support check ----------------------------------------------------------------------


def test_a_passage_sentence_is_supported_by_its_passage() -> None:
    check = check_answer("The pet fee is $125 per pet for each direction of travel.", PASSAGES)
    assert check.supported and check.support == 1.0 and check.cited == (0,)


def test_a_wrong_amount_is_not_supported() -> None:
    check = check_answer("The pet fee is $150 per pet for each direction of travel.", PASSAGES)
    assert not check.supported
    assert check.failing is not None and "150" in check.failing.missing


def test_a_sentence_that_drops_the_not_is_not_supported() -> None:
    check = check_answer("Warmline Air carries pets as checked baggage or cargo.", PASSAGES)
    assert not check.supported


def test_a_claim_no_passage_makes_is_not_supported() -> None:
    check = check_answer(
        "The pet fee is $125 per pet. Pets also fly free on your birthday.", PASSAGES
    )
    assert not check.supported
    assert check.failing is not None and "birthday" in check.failing.text


def test_an_answer_citing_a_passage_that_does_not_hold_it_is_rejected() -> None:
    text = "The pet fee is $125 per pet for each direction of travel."
    assert check_answer(text, PASSAGES, [0]).supported
    assert not check_answer(text, PASSAGES, [2]).supported


def test_a_sentence_that_claims_nothing_passes() -> None:
    check = check_answer("Sure. The pet fee is $125 per pet.", PASSAGES)
    assert check.supported


def test_retrieval_support_names_the_words_no_passage_holds() -> None:
    near = retrieval_support("Can I bring my pet snake in the cabin?", PASSAGES)
    assert "snake" in near.missing and near.coverage < 1.0
    asked = retrieval_support("How much is the pet fee?", PASSAGES)
    assert asked.coverage == 1.0 and asked.missing == () and asked.passage == 0


def test_a_word_asking_for_a_number_is_held_by_a_passage_that_states_one() -> None:
    how_long = retrieval_support("How long is the pet fee valid for?", PASSAGES)
    assert "long" not in how_long.missing
    no_number = passage("Cabin pets", "A cat or dog can travel in the cabin in a carrier.")
    assert "long" in retrieval_support("How long can a pet travel?", [no_number]).missing


# --- what the documents say ------------------------------------------------------------------


def test_grounding_holds_the_passages_and_a_checked_extractive_answer() -> None:
    grounding = ground("How much is the pet fee?", PASSAGES)
    assert [p.doc for p in grounding.passages] == ["pets", "pets", "baggage"]
    assert grounding.passages[0].section == "Pets in the cabin"
    assert grounding.extractive is not None and grounding.extractive.supported
    assert grounding.extractive.cited[0].chunk == CABIN.chunk_id
    assert grounding.answerability == {
        "support": 1.0,
        "cosine": 0.5,
        "check": answer_check.score(
            "How much is the pet fee?", answer_check.passage_text(CABIN.section_path, CABIN.text)
        ),
    }
    assert grounding.retrieval == round(shipped().score(grounding.answerability), 4)
    assert grounding.retrieval >= KnowledgeSpec(folder="k").min_support


# --- answerability ------------------------------------------------------------------------


def test_the_shipped_model_weighs_both_figures_up() -> None:
    model = shipped()
    assert set(model.weights) == set(FEATURES)
    assert all(w > 0 for w in model.weights.values())
    low, high = model.score({"support": 0.6, "cosine": 0.2}), model.score({"support": 0.6})
    assert model.score({"support": 1.0, "cosine": 0.6}) > low > high


def test_the_shipped_threshold_is_the_trained_operating_point() -> None:
    """The intercept was moved so that the packs' default min_support is the probability
    threshold chosen in training: one decides as the other, whatever the figures."""
    import json

    data = json.loads(COEFFICIENTS.read_text("utf-8"))
    fitted = Model(shipped().weights, data["fitted_intercept"])
    minimum = KnowledgeSpec(folder="k").min_support
    assert data["threshold"] == minimum
    for support in (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0):
        for cosine in (0.0, 0.2, 0.35, 0.5, 0.7):
            for check in (-3.0, 0.0, 3.0):
                figures = {"support": support, "cosine": cosine, "check": check}
                p = fitted.score(figures)
                if abs(p - data["probability_at_threshold"]) < 2e-3:
                    continue  # the coefficients are rounded to 4 places
                by_fitted = p >= data["probability_at_threshold"]
                assert by_fitted == (shipped().score(figures) >= minimum), figures


def test_the_cosine_decides_between_a_near_miss_and_an_answer(pack: DomainPack) -> None:
    """The same words matched: a passage far in meaning from the question is no answer, one
    near it is; the reasons say which figures decided."""
    question = "Can I bring my pet snake in the cabin?"
    far = ground(question, [passage("Pets in the cabin", CABIN.text, cosine=0.1)])
    near = ground(question, [passage("Pets in the cabin", CABIN.text, cosine=0.8)])
    assert far.answerability["support"] == near.answerability["support"]
    minimum = pack.knowledge.min_support if pack.knowledge else 0.65
    assert far.retrieval < minimum <= near.retrieval
    reasons: list[Reason] = []
    knowledge_step(state(pack), reading(question, "out_of_scope"), pack, far, reasons)
    abstained = next(r for r in reasons if r.code == "knowledge_abstained")
    assert abstained.values["cosine"] == 0.1
    assert abstained.values["retrieval_support"] == far.answerability["support"]
    assert abstained.values["retrieval"] == far.retrieval


def test_of_the_first_passages_the_one_nearest_in_meaning_answers() -> None:
    """Two passages holding the question's words alike: the one whose embedding is nearer
    the question's is the answer, though ranked second."""
    question = "How much is the pet fee?"
    first = passage("Pet fees", "The pet fee depends on the route.", cosine=0.2)
    second = passage("Pets in the cabin", CABIN.text, cosine=0.7)
    found = extract(question, [first, second])
    assert found is not None and found.passage == 1 and "$125" in found.text
    assert extract(question, [first, replace(second, cosine=0.2)]).passage == 0  # type: ignore[union-attr]


def test_a_phrasing_is_checked_and_cites_what_holds_it() -> None:
    grounding = ground("How much is the pet fee?", PASSAGES)
    good = phrased(grounding, "It costs $125 per pet for each direction of travel.", PASSAGES)
    assert good.llm is not None and good.llm.supported
    assert [p.chunk for p in good.llm.cited] == [CABIN.chunk_id]
    bad = phrased(grounding, "The pet fee is $99 per pet, refundable.", PASSAGES)
    assert bad.llm is not None and not bad.llm.supported
    assert failed(grounding, "timed out").llm_error == "timed out"


# --- the decision ---------------------------------------------------------------------------


@pytest.fixture
def pack(mini_pack: DomainPack) -> DomainPack:
    return mini_pack.model_copy(update={"knowledge": KnowledgeSpec(folder="knowledge")})


def state(pack: DomainPack) -> ConversationState:
    at = datetime(2026, 5, 1, tzinfo=UTC)
    return fold([ConversationStarted(at=at, pack=pack.pack)])


def reading(text: str, zone: str, intent: str | None = None, p: float = 0.2) -> Understanding:
    ranking = [IntentScore(intent=intent, probability=p)] if intent else []
    return Understanding(text=text, zone=zone, ranking=ranking)  # type: ignore[arg-type]


def test_only_a_reading_that_is_not_confident_wants_the_documents(pack: DomainPack) -> None:
    fresh = state(pack)
    assert wants_knowledge(fresh, reading("pet fee?", "out_of_scope"), pack)
    assert wants_knowledge(fresh, reading("pet fee?", "clarify", "baggage_allowance"), pack)
    assert not wants_knowledge(fresh, reading("bags?", "confident", "baggage_allowance", 0.9), pack)
    plain = pack.model_copy(update={"knowledge": None})
    assert not wants_knowledge(fresh, reading("pet fee?", "out_of_scope"), plain)


def test_only_a_question_goes_to_the_documents_a_request_to_the_intents(
    pack: DomainPack,
) -> None:
    for question in ("how long do refunds take", "carry on size limit??", "hi, can I bring a cat"):
        assert asks(question), question
    for request in ("please take back my order", "booking", "cancel my bag", "my bag is lost"):
        assert not asks(request), request
    fresh = state(pack)
    assert not wants_knowledge(fresh, reading("please take back my order", "clarify", "x"), pack)
    assert wants_knowledge(fresh, reading("can you take back my order?", "clarify", "x"), pack)


def test_a_supported_answer_is_given_with_its_passages_in_the_reasons(pack: DomainPack) -> None:
    question = "How much is the pet fee?"
    decision = decide(
        state(pack),
        reading(question, "out_of_scope"),
        None,
        pack,
        grounding=ground(question, PASSAGES),
    )
    assert decision.kind == "answer" and decision.template == "knowledge_answer"
    codes = decision.reason_codes()
    assert codes.count("knowledge_passage") == 3 and "knowledge_answered" in codes
    answered = next(r for r in decision.reasons if r.code == "knowledge_answered")
    assert answered.values["doc"] == "pets" and answered.values["support"] == 1.0
    assert answered.values["retrieval"] == ground(question, PASSAGES).retrieval
    assert answered.values["retrieval_support"] == 1.0 and answered.values["cosine"] == 0.5
    assert answered.values["source"] == "extractive"
    assert not decision.out_of_scope


def test_a_near_miss_abstains_and_offers_a_person(pack: DomainPack) -> None:
    question = "Can I bring my pet snake in the cabin?"
    grounding = ground(question, PASSAGES)
    decision = decide(
        state(pack), reading(question, "out_of_scope"), None, pack, grounding=grounding
    )
    assert decision.template == "knowledge_unknown"
    assert decision.choices == [pack.intent_label("human_agent")]
    abstained = next(r for r in decision.reasons if r.code == "knowledge_abstained")
    assert "snake" in str(abstained.values["missing"])


def test_off_topic_stays_out_of_scope(pack: DomainPack) -> None:
    question = "What is the weather in Paris tomorrow?"
    decision = decide(
        state(pack),
        reading(question, "out_of_scope"),
        None,
        pack,
        grounding=ground(question, PASSAGES),
    )
    assert decision.template == "out_of_scope" and decision.out_of_scope
    assert "knowledge_abstained" in decision.reason_codes()


def test_not_sure_and_weak_documents_ask_the_clarifying_question(pack: DomainPack) -> None:
    question = "my bag issue"
    understanding = Understanding(
        text=question,
        zone="clarify",
        ranking=[
            IntentScore(intent="baggage_allowance", probability=0.4),
            IntentScore(intent="remove_bag", probability=0.35),
        ],
    )
    grounding = ground(question, PASSAGES)
    decision = decide(state(pack), understanding, None, pack, grounding=grounding)
    assert decision.kind == "clarify"


def test_a_confident_intent_wins_over_the_documents(pack: DomainPack) -> None:
    question = "How much is the pet fee?"
    understanding = reading(question, "confident", "baggage_allowance", 0.95)
    decision = decide(state(pack), understanding, None, pack, grounding=ground(question, PASSAGES))
    assert decision.template == "baggage_allowance"
    assert "knowledge_answered" not in decision.reason_codes()


def test_the_phrasing_is_used_when_supported_else_the_extractive_answer(pack: DomainPack) -> None:
    llm_pack = pack.model_copy(update={"knowledge": KnowledgeSpec(folder="knowledge", llm=True)})
    question = "How much is the pet fee?"
    grounding = ground(question, PASSAGES)
    assert may_phrase(grounding, llm_pack) and not may_phrase(grounding, pack)
    fresh, read = state(llm_pack), reading(question, "out_of_scope")

    def source(g: Grounding) -> tuple[object, list[str]]:
        reasons: list[Reason] = []
        decision = knowledge_step(fresh, read, llm_pack, g, reasons)
        assert decision is not None and decision.template == "knowledge_answer"
        answered = next(r for r in reasons if r.code == "knowledge_answered")
        return answered.values["source"], [r.code for r in reasons]

    ok = phrased(grounding, "It's $125 per pet for each direction of travel.", PASSAGES)
    assert source(ok)[0] == "llm"
    bad = phrased(grounding, "It's $125 per pet. Pets fly free on your birthday.", PASSAGES)
    used, codes = source(bad)
    assert used == "extractive" and "knowledge_llm_rejected" in codes
    used, codes = source(failed(grounding, "language model timed out after 4 s"))
    assert used == "extractive" and "knowledge_llm_failed" in codes
