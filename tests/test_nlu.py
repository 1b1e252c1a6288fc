"""The NLU engine on small fixtures: calibration, zones, the CSV contract, entities, language
and garbage input. Fast: tiny fits only."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from warmline.cli import app
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import IntentScore, TurnContext
from warmline.nlu.calibration import fit_temperature, softmax
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine, pack_fingerprint
from warmline.nlu.intents import IntentClassifier, IntentClassifierConfig, Ranking, _with_names
from warmline.nlu.metrics import expected_calibration_error, oos_scores
from warmline.nlu.oos import OOS_FLAG_RATE, OosScale
from warmline.nlu.zones import ZoneThresholds, zone_for

runner = CliRunner()

TRAIN = {
    "card_arrival": [
        "where is my new card",
        "my card has not arrived yet",
        "when will my card come",
        "still waiting for my card",
        "card not delivered",
        "has my card been sent",
    ],
    "exchange_rate": [
        "what is the exchange rate",
        "how much is a euro in dollars",
        "currency rate today",
        "which rate do you use for conversion",
        "exchange rate for pounds",
        "fx rate please",
    ],
    "lost_card": [
        "I lost my card",
        "my card was stolen",
        "can't find my card anywhere",
        "someone took my wallet with the card",
        "block my lost card",
        "my card is missing",
    ],
}
OOS_ROWS = ["what's the weather tomorrow", "play a song", "how tall is everest", "tell me a joke"]


def test_temperature_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    logits = rng.normal(0, 1, (600, 3))
    logits[np.arange(600), labels] += 1.0
    logits *= 8  # far too sharp for how often it is right
    before = softmax(logits).max(axis=1)
    t = fit_temperature(logits, labels)
    after = softmax(logits, t)
    correct = (after.argmax(axis=1) == labels).astype(float)
    assert t > 2
    assert expected_calibration_error(after.max(axis=1), correct) < expected_calibration_error(
        before, correct
    )


def test_oos_measures_rank_a_perfect_score_perfectly() -> None:
    is_oos = np.array([False, False, True, True])
    measures = oos_scores(is_oos, np.array([0.1, 0.2, 0.8, 0.9]))
    assert measures == {"auroc": 1.0, "aupr": 1.0, "fpr_at_95": 0.0}


def _ranking(*scores: tuple[str, float], near: float = 0.9, oos: float = 0.0) -> Ranking:
    return Ranking(
        scores=[IntentScore(intent=i, probability=p) for i, p in scores],
        nearest_similarity=near,
        oos_score=oos,
    )


@pytest.mark.parametrize(
    "ranking,zone",
    [
        (_ranking(("a", 0.9), ("b", 0.1)), "confident"),
        (_ranking(("a", 0.4), ("b", 0.3)), "clarify"),
        (_ranking(("a", 0.2), ("b", 0.1)), "out_of_scope"),
        (_ranking(("oos", 0.6), ("a", 0.3)), "out_of_scope"),
        (_ranking(("a", 0.9), near=0.1), "out_of_scope"),
    ],
)
def test_zones_follow_the_thresholds(ranking: Ranking, zone: str) -> None:
    assert zone_for(ranking, ZoneThresholds())[0] == zone


def test_an_out_of_scope_score_over_the_cut_off_overrides_a_confident_intent() -> None:
    far = _ranking(("a", 0.9), ("b", 0.1), oos=4.0)
    zone, rule = zone_for(far, ZoneThresholds(), default_oos=3.0)
    assert zone == "out_of_scope" and "4.00 >= 3.00" in rule
    assert zone_for(far, ZoneThresholds(), default_oos=5.0)[0] == "confident"
    # A pack's own cut-off wins over the model's default.
    assert zone_for(far, ZoneThresholds(out_of_scope=5.0), default_oos=3.0)[0] == "confident"


def test_the_oos_scale_flags_the_set_share_of_held_out_in_scope_examples() -> None:
    rng = np.random.default_rng(1)
    top, nearest = rng.uniform(0.3, 1.0, 5000), rng.uniform(0.2, 0.9, 5000)
    reject = rng.uniform(0.0, 0.2, 5000)
    scale = OosScale.fit(top, nearest, reject)
    assert scale.threshold is not None
    flagged = float(np.mean(scale.score(top, nearest, reject) >= scale.threshold))
    assert abs(flagged - OOS_FLAG_RATE) < 0.005

    def score(top: float, near: float, rej: float) -> float:
        return float(scale.score(np.array([top]), np.array([near]), np.array([rej]))[0])

    # Less sure, farther from every example, or nearer the reject class: a higher score.
    assert score(0.3, 0.5, 0.1) > score(0.9, 0.5, 0.1)
    assert score(0.6, 0.2, 0.1) > score(0.6, 0.9, 0.1)
    assert score(0.6, 0.5, 0.6) > score(0.6, 0.5, 0.0)


def _write_train(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "intent"])
        for intent, texts in TRAIN.items():
            writer.writerows([t, intent] for t in texts)
        writer.writerows([t, "oos"] for t in OOS_ROWS)


def test_the_cli_contract_train_predict_eval(tmp_path: Path) -> None:
    data, model, out = tmp_path / "train.csv", tmp_path / "model", tmp_path / "out.jsonl"
    _write_train(data)
    trained = runner.invoke(app, ["nlu", "train", "--data", str(data), "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    inputs = tmp_path / "in.csv"
    inputs.write_text('text\nmy card never arrived\n""\n🙂🙂\nwhat is the euro rate\n', "utf-8")
    predicted = runner.invoke(
        app, ["nlu", "predict", "--model", str(model), "--input", str(inputs), "--output", str(out)]
    )
    assert predicted.exit_code == 0, predicted.output
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["text"] for r in rows] == [
        "my card never arrived",
        "",
        "🙂🙂",
        "what is the euro rate",
    ]
    assert set(rows[0]) >= {"text", "intent", "confidence", "zone", "ranking"}
    assert rows[0]["intent"] == "card_arrival" and len(rows[0]["ranking"]) == 4
    assert rows[1]["zone"] == rows[2]["zone"] == "out_of_scope"
    assert rows[3]["intent"] == "exchange_rate"
    evaluated = runner.invoke(app, ["nlu", "eval", "--model", str(model), "--data", str(data)])
    assert evaluated.exit_code == 0, evaluated.output
    for measure in ("accuracy", "macro_f1", "ece", "oos_recall", "auroc", "aupr", "fpr_at_95"):
        assert measure in evaluated.output
    assert "out-of-scope trade-off" in evaluated.output


def test_a_csv_without_the_columns_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sentence,label\nhi,greet\n", "utf-8")
    result = runner.invoke(app, ["nlu", "train", "--data", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "missing column(s) text, intent" in " ".join(
        result.output.split()
    )


@pytest.mark.parametrize(
    "text,note",
    [
        ("", "no words"),
        ("\x00\x01\x02", "no words"),
        ("🙂🙂🙂", "no words"),
        ("x" * 100_000, "cut to"),
        ("quiero cancelar mi reserva por favor", "language 'es'"),
    ],
)
def test_garbage_gets_a_zone_and_a_reason(mini_nlu: NluEngine, text: str, note: str) -> None:
    understanding = mini_nlu.understand(text)
    # 100k x's is one long nonsense word: far from every example, so out of scope too.
    assert understanding.zone == "out_of_scope"
    assert any(note in n for n in understanding.notes)


def test_typos_and_shouting_still_understood(mini_nlu: NluEngine) -> None:
    u = mini_nlu.understand("WHERE IS MY RESERVATON 4wq150!!!")
    assert u.intent == "reservation_status" and u.entity("reservation_id").value == "4WQ150"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("wheres my damn reservation 4WQ150", "reservation_status"),
        ("cancelmy reservation", "cancel_reservation"),
        ("WHERE THE HELL IS MY BOOKING", "reservation_status"),
        ("remove the bloody bag from my booking", "remove_bag"),
        ("i wanna cancel my fligth", "cancel_reservation"),
    ],
)
def test_swearing_run_on_words_and_missing_punctuation(
    mini_nlu: NluEngine, text: str, intent: str
) -> None:
    u = mini_nlu.understand(text)
    assert (u.zone, u.intent) == ("confident", intent)


def test_misspelled_ontology_synonyms_link(mini_nlu: NluEngine, mini_pack: DomainPack) -> None:
    u = mini_nlu.understand("please remove the lugagge from my booking")
    assert u.entity("baggage") is not None and u.entity("baggage").value == "checked_bag"  # type: ignore[union-attr]


def test_a_follow_up_is_read_with_the_previous_turn(mini_nlu: NluEngine) -> None:
    alone = mini_nlu.understand("and what about 8JX2KV?")
    context = TurnContext(
        recent=["hi", "where is my reservation 4WQ150"], last_intent="reservation_status"
    )
    followed = mini_nlu.understand("and what about 8JX2KV?", context)
    assert alone.zone != "confident"  # on its own it names no request
    assert followed.zone == "confident" and followed.intent == "reservation_status"
    assert followed.context is not None and "previous turn" in followed.context
    # The entities are the new turn's own.
    assert [e.value for e in followed.entities if e.entity == "reservation_id"] == ["8JX2KV"]


def test_a_follow_up_must_continue_the_request_last_acted_on(mini_nlu: NluEngine) -> None:
    context = TurnContext(
        recent=["where is my reservation 4WQ150"], last_intent="cancel_reservation"
    )
    u = mini_nlu.understand("and what about 8JX2KV?", context)
    assert u.context is None and u.zone != "confident"


def test_a_clear_new_request_ignores_the_context(mini_nlu: NluEngine) -> None:
    context = TurnContext(recent=["where is my reservation 4WQ150"])
    u = mini_nlu.understand("I want to cancel my flight", context)
    assert u.intent == "cancel_reservation" and u.context is None


def test_a_long_turn_is_not_taken_as_a_follow_up(mini_nlu: NluEngine) -> None:
    context = TurnContext(recent=["where is my reservation 4WQ150"])
    # Fourteen words: joined to the turn before, it would read as a reservation lookup.
    u = mini_nlu.understand(
        "and what about the other one that you have for me on the account", context
    )
    assert u.context is None and u.zone != "confident"


def test_every_understanding_carries_its_out_of_scope_score(mini_nlu: NluEngine) -> None:
    near = mini_nlu.understand("where is my reservation")
    far = mini_nlu.understand("what is the capital city of Peru")
    assert near.oos_score is not None and far.oos_score is not None
    assert far.oos_score > near.oos_score


def test_a_trained_model_keeps_its_out_of_scope_cut_off(tmp_path: Path) -> None:
    data, model = tmp_path / "train.csv", tmp_path / "model"
    _write_train(data)
    trained = runner.invoke(
        app,
        ["nlu", "train", "--data", str(data), "--out", str(model), "--out-of-scope", "2.5"],
    )
    assert trained.exit_code == 0, trained.output
    assert json.loads((model / "zones.json").read_text("utf-8"))["out_of_scope"] == 2.5
    summary = json.loads((model / "training.json").read_text("utf-8"))
    assert summary["oos_cut_off"] is not None  # the held-out default is kept beside it


def test_typo_copies_train_but_are_never_nearest_examples(encoder: Encoder) -> None:
    texts = [t for examples in TRAIN.values() for t in examples]
    labels = [i for i, examples in TRAIN.items() for _ in examples]
    plain = IntentClassifier(
        encoder, IntentClassifierConfig(typo_weight=0.0, name_examples=False)
    ).fit(texts, labels)
    typed = IntentClassifier(
        encoder, IntentClassifierConfig(typo_weight=0.5, name_examples=False)
    ).fit(texts, labels)
    # The copies reach the n-gram view's vocabulary ...
    assert typed._chars is not None and plain._chars is not None
    assert len(typed._chars.vocabulary_) > len(plain._chars.vocabulary_)
    # ... but the nearest-example similarity still compares with the real examples only.
    assert typed._examples is not None and len(typed._examples) == len(texts)


def test_intents_with_few_examples_learn_from_their_names() -> None:
    texts, labels = ["a", "b", "c"], ["card_arrival", "card_arrival", "oos"]
    more_texts, more_labels = _with_names(texts, labels)
    assert more_texts[3:] == ["card arrival"] and more_labels[3:] == ["card_arrival"]
    many = ["x"] * 40
    assert _with_names(many, ["big_intent"] * 40) == (many, ["big_intent"] * 40)


def test_a_new_model_format_never_reuses_a_cached_pack_model(
    mini_pack: DomainPack, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = IntentClassifierConfig()
    before = pack_fingerprint(mini_pack, encoder, config)
    monkeypatch.setattr("warmline.nlu.engine.FORMAT_VERSION", 999)
    assert pack_fingerprint(mini_pack, encoder, config) != before


def test_the_hot_path_tfidf_gives_the_vectorizers_own_rows(mini_nlu: NluEngine) -> None:
    from warmline.nlu import tfidf

    classifier = mini_nlu.classifier
    texts = ["where is my reservation 4WQ150?", "", "!!!", "cancel it", "héllo wörld", "a b c"]
    for vectorizer in (classifier._chars, classifier._words):
        assert vectorizer is not None
        expected, got = vectorizer.transform(texts), tfidf.transform(vectorizer, texts)
        assert np.array_equal(expected.indptr, got.indptr)
        assert np.array_equal(expected.indices, got.indices)
        assert np.allclose(expected.data, got.data, rtol=0, atol=1e-12)


def test_the_ngram_view_of_a_few_texts_matches_its_sparse_product(mini_nlu: NluEngine) -> None:
    classifier = mini_nlu.classifier
    texts = ["where is my reservation 4WQ150?", "", "!!!", "cancel it", "héllo wörld", "a b a b"]
    assert classifier._ngram_coef_t is not None
    expected = classifier._grams(texts).astype(np.float32) @ classifier._ngram_coef_t
    for text, row in zip(texts, np.asarray(expected), strict=True):
        got = classifier._ngram_logits([text])[0]
        assert np.allclose(got, row, rtol=0, atol=1e-5)
    assert np.allclose(classifier._ngram_logits(texts), expected, rtol=0, atol=1e-5)


def test_the_ngram_view_reads_a_word_seen_before_as_the_first_time(mini_nlu: NluEngine) -> None:
    """The character n-grams kept per word give the same logits as cutting the text again:
    the same text twice, its words in other texts, cases and unusual spacing, and after the
    words kept were dropped."""
    from warmline.nlu import tfidf

    classifier = mini_nlu.classifier
    assert classifier._chars is not None and classifier._words is not None
    assert classifier._ngram_coef_t is not None
    views = [classifier._chars, classifier._words]
    texts = [
        "Where is my reservation 4WQ150?",
        "where IS my\treservation  4wq150",
        "my reservation is where?",
        "Σ ΑΣ straße İ",
        "",
        "a a a a",
    ]
    expected = [classifier._grams([t]).astype(np.float32) @ classifier._ngram_coef_t for t in texts]
    logits = tfidf.SparseLogits(views, classifier._ngram_coef_t)
    for _ in range(2):
        for text, row in zip(texts, expected, strict=True):
            assert np.allclose(logits([text]), row, rtol=0, atol=1e-5)
    first = [logits([t]) for t in texts]
    for view in logits._views:
        view._words.clear()
    assert all(np.array_equal(logits([t]), f) for t, f in zip(texts, first, strict=True))


def test_the_ngram_view_keeps_no_long_word(mini_nlu: NluEngine) -> None:
    """Words are kept by count (``WORDS_KEPT``): a long one (a pasted blob, a URL) is cut each
    time and not kept, so messages of long unique words cannot fill memory; it still reads the
    same as the vectorizer's own row."""
    from warmline.nlu import tfidf

    classifier = mini_nlu.classifier
    assert classifier._chars is not None and classifier._words is not None
    assert classifier._ngram_coef_t is not None
    logits = tfidf.SparseLogits([classifier._chars, classifier._words], classifier._ngram_coef_t)
    blob = "reservation" * 180  # one word of 1,980 characters
    text = f"where is {blob}"
    expected = classifier._grams([text]).astype(np.float32) @ classifier._ngram_coef_t
    assert np.allclose(logits([text]), expected, rtol=0, atol=1e-5)
    for view in logits._views:
        if view._cut is not None:
            assert blob not in view._words and "where" in view._words
            assert all(len(word) <= tfidf.WORD_KEPT_CHARS for word in view._words)


@pytest.mark.parametrize(
    "text,cleaned",
    [
        ("  where is   my order?  ", "where is my order?"),
        ("tab\there\nand line", "tab here and line"),
        ("bell\x07 and null\x00 byte", "bell and null byte"),
        ("carriage\rreturn", "carriage return"),
        ("ligature \ufb01le and\u3000wide space", "ligature file and wide space"),
        ("caf\u00e9 \u200bzero width", "caf\u00e9 zero width"),
        ("x" * 1200, "x" * 1000),
    ],
)
def test_clean_text_reads_plain_and_unusual_text_alike(text: str, cleaned: str) -> None:
    """Plain printable ASCII takes a short way (NFKC and the control filter change nothing
    there); the rest is normalised and filtered."""
    from warmline.nlu.engine import clean_text

    assert clean_text(text) == cleaned


def test_a_reply_without_letters_still_yields_its_entities(mini_nlu: NluEngine) -> None:
    # a code or a date alone answers the question asked: no intent, but its value
    bare = mini_nlu.understand("#123456")
    assert bare.zone == "out_of_scope" and any("no words" in n for n in bare.notes)
    mention = bare.entity("reservation_id")
    assert mention is not None and mention.value == "123456"
