"""Language detection refuses a switch unless it is sure: an English request full of product
names, a short text or one with typos stays English; a request in another language does not
(``nlu/language.py``, the pack's vocabulary from ``nlu/engine.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import load_pack
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine, vocabulary
from warmline.nlu.language import LanguageDetector

RETAIL = Path(__file__).resolve().parents[1] / "src" / "warmline" / "demo" / "packs" / "retail.yaml"


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    pack = load_pack(RETAIL)
    return LanguageDetector(pack.languages, vocabulary(pack))


@pytest.mark.parametrize(
    "text",
    [
        # product and option names that langid takes for Italian
        "For #W2119065, exchange Patio Umbrella {'size': '6 ft', 'color': 'red', 'material': "
        "'olefin', 'tilt mechanism': 'manual tilt'} to {'color': 'green', 'tilt mechanism': "
        "'auto tilt'}; via credit_card_9185943.",
        "exchange patio umbrella",
        "Patio Umbrella auto tilt olefin",
        # short, and with typos
        "cancel my bag",
        "recieve my ordr plz",
        "Tablet pro 12 Wi-Fi Cellular",
    ],
)
def test_english_with_names_short_or_misspelt_is_not_called_foreign(
    detector: LanguageDetector, text: str
) -> None:
    assert not detector.unsupported(detector.detect(text))


@pytest.mark.parametrize(
    "text,language",
    [
        ("quiero cancelar mi reserva por favor", "es"),
        ("quiero devolver el reloj de mi pedido", "es"),
        ("je voudrais annuler ma commande s'il vous plait", "fr"),
        ("ich möchte meine Bestellung stornieren bitte", "de"),
        ("vorrei restituire il mio ordine per favore", "it"),
    ],
)
def test_a_request_in_another_language_is_still_recognised(
    detector: LanguageDetector, text: str, language: str
) -> None:
    guess = detector.detect(text)
    assert guess.language == language and detector.unsupported(guess)


def test_without_the_packs_words_only_langid_and_the_length_decide() -> None:
    bare = LanguageDetector(["en"])
    assert bare.unsupported(bare.detect("exchange patio umbrella"))  # what the vocabulary fixes


def test_a_turn_in_a_second_language_of_the_pack_is_recorded_in_it(
    mini_pack: DomainPack, encoder: Encoder, model_cache: Path
) -> None:
    """The reading names the language the customer wrote in when the pack speaks it (so the
    analytics' language segment and the policy see Spanish), and the pack's first language
    when the detector is not sure (a short English turn)."""
    both = mini_pack.model_copy(update={"languages": ["en", "es"]})
    engine = NluEngine.train(both, encoder, cache_dir=model_cache)
    assert engine.understand("quiero cancelar mi reserva por favor").language == "es"
    assert engine.understand("cancel my bag").language == "en"


@pytest.mark.parametrize(
    "text",
    [
        "quiero cancelar mi reserva por favor",
        "je voudrais annuler ma commande s'il vous plait",
        "where is my order #W5918442?",
        "exchange patio umbrella",
        "cancel my bag",
        "hi",
        "ich möchte meine Bestellung stornieren bitte",
        "Patio Umbrella auto tilt olefin",
        "",
    ],
)
def test_deciding_without_langid_changes_no_decision(detector: LanguageDetector, text: str) -> None:
    """``decide`` skips langid where its guess could not be decisive; the turn is refused or
    read in a language exactly as with ``detect``."""
    full, quick = detector.detect(text), detector.decide(text)
    assert quick.decisive == full.decisive
    assert detector.unsupported(quick) == detector.unsupported(full)
    if full.decisive:
        assert quick == full
