"""The affect screen: a calm turn keeps the screen's calibrated reading and the tail is not run;
a turn that could be distressed is read by the tail as before; each Affect says which read it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from warmline.domain.understanding import Affect
from warmline.errors import ConfigurationError
from warmline.nlu.affect import AffectConfig, AffectDetector, load_affect
from warmline.nlu.affect_models import (
    ASSETS_DIR,
    SCREEN_META_FILE,
    SCREEN_TARGETS,
    AffectScreen,
    load_affect_model,
)
from warmline.nlu.embeddings import Encoder

CALM = ["thanks", "hello", "what is the status of flight HAT170?"]
UPSET = ["I am so annoyed, nobody ever helps me", "this is a disaster, I am furious"]


class CountingTail:
    """The shipped tail, counting the texts it is run on."""

    def __init__(self, detector: AffectDetector) -> None:
        self.inner = detector.model
        self.texts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def probabilities(
        self, embeddings: NDArray[np.float32], states: Any = None
    ) -> NDArray[np.float64]:
        self.texts += len(embeddings)
        return self.inner.probabilities(embeddings, states)


@pytest.fixture(scope="module")
def screened(encoder: Encoder) -> AffectDetector:
    return load_affect(encoder)


@pytest.fixture(scope="module")
def tail_only(encoder: Encoder) -> AffectDetector:
    return load_affect(encoder, AffectConfig(screen=False))


def _read(detector: AffectDetector, encoder: Encoder, text: str) -> Affect:
    assert detector.model.state_output is not None
    vector, states = encoder.encode_with_states(text, detector.model.state_output)
    return detector.read(text, vector, states=states)


def test_the_screen_ships_beside_the_tail_and_is_on_by_default(
    screened: AffectDetector, tail_only: AffectDetector
) -> None:
    assert (ASSETS_DIR / SCREEN_META_FILE).is_file()
    assert screened.screen is not None and tail_only.screen is None
    assert set(screened.screen.gates) == set(SCREEN_TARGETS)


@pytest.mark.parametrize("text", CALM)
def test_a_calm_turn_keeps_the_screens_reading_and_skips_the_tail(
    screened: AffectDetector, encoder: Encoder, text: str
) -> None:
    assert screened.screen is not None
    counting = CountingTail(screened)
    detector = AffectDetector(encoder, counting, screened.config, screened.upset, screened.screen)  # type: ignore[arg-type]
    affect = _read(detector, encoder, text)
    assert counting.texts == 0
    assert affect.reader == "screen"
    probs, needs = screened.screen.read(encoder.encode_with_states(text, "hidden_state_3")[0][None])
    assert not needs[0]
    targets = screened.screen.model.targets
    assert affect.model == {t: round(float(probs[0, targets.index(t)]), 4) for t in affect.model}
    assert set(affect.model) == set(screened.model.targets)
    for target in SCREEN_TARGETS:  # under its gate, so under every threshold acted on
        assert affect.model[target] < screened.screen.gates[target] + 1e-4


@pytest.mark.parametrize("text", UPSET)
def test_a_turn_that_could_be_distressed_is_read_by_the_tail(
    screened: AffectDetector, tail_only: AffectDetector, encoder: Encoder, text: str
) -> None:
    counting = CountingTail(screened)
    detector = AffectDetector(encoder, counting, screened.config, screened.upset, screened.screen)  # type: ignore[arg-type]
    affect = _read(detector, encoder, text)
    assert counting.texts == 1
    assert affect == _read(tail_only, encoder, text)
    assert affect.reader == "tail" and affect.distress >= 0.5


def test_without_the_screen_every_turn_is_the_tails(
    tail_only: AffectDetector, encoder: Encoder
) -> None:
    readings = tail_only.read_texts(CALM + UPSET)
    assert [a.reader for a in readings] == ["tail"] * len(CALM + UPSET)
    assert [a.model for a in readings] == [
        {t: round(float(p), 4) for t, p in zip(tail_only.model.targets, row, strict=True)}
        for row in tail_only.model_probabilities(CALM + UPSET)
    ]


def test_a_batch_is_screened_row_by_row(screened: AffectDetector, encoder: Encoder) -> None:
    readers = [a.reader for a in screened.read_texts(CALM + UPSET)]
    assert readers == ["screen"] * len(CALM) + ["tail"] * len(UPSET)


def test_an_affect_recorded_before_the_reader_field_reads_as_the_tails() -> None:
    stored = Affect(negative=0.2).model_dump(mode="json")
    del stored["reader"]
    assert Affect.model_validate(stored).reader == "tail"


def _copy_with_screen(tmp_path: Path, change: dict[str, Any]) -> Path:
    folder = tmp_path / "affect"
    shutil.copytree(ASSETS_DIR, folder)
    meta = json.loads((folder / SCREEN_META_FILE).read_text("utf-8"))
    meta.update(change)
    (folder / SCREEN_META_FILE).write_text(json.dumps(meta), "utf-8")
    return folder


def test_a_screen_trained_on_another_encoder_is_refused(tmp_path: Path, encoder: Encoder) -> None:
    folder = _copy_with_screen(tmp_path, {"encoder": "another-encoder@123"})
    with pytest.raises(ConfigurationError, match="train_affect_screen"):
        load_affect(encoder, AffectConfig(model_dir=folder))


def test_a_screen_without_a_gate_per_distress_target_is_refused(tmp_path: Path) -> None:
    folder = _copy_with_screen(tmp_path, {"screen": {"gates": {"negative": 0.1}}})
    with pytest.raises(ConfigurationError, match="gate"):
        AffectScreen.load(folder)


def test_a_model_folder_without_a_screen_reads_every_turn_with_its_model(
    tmp_path: Path, encoder: Encoder
) -> None:
    folder = tmp_path / "affect"
    shutil.copytree(ASSETS_DIR, folder)
    (folder / SCREEN_META_FILE).unlink()
    detector = load_affect(encoder, AffectConfig(model_dir=folder))
    assert detector.screen is None
    assert [a.reader for a in detector.read_texts(CALM)] == ["tail"] * len(CALM)
    assert load_affect_model(folder).state_output == "hidden_state_3"
