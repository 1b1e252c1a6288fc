"""The answer check: a cross-encoder that reads a question and a passage together and says how
likely the passage holds what is asked (a logit; higher: more likely). The bi-encoder's cosine
and the word overlap see the topic; a near miss (the same topic, a fact the documents do not
give) shares both, and reading the pair together is what tells them apart.

The model (``assets/answer-check/``: all-MiniLM-L6-v2's weights fine-tuned with a linear head by
``scripts/train_answer_check.py``, int8 ONNX, its tokenizer) is loaded once per process, on
first use, with one intra-op thread and no spinning (as ``nlu/embeddings.py``). Only the
passage the answer comes from is scored, truncated to ``MAX_TOKENS``."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

ASSETS = Path(__file__).with_name("assets") / "answer-check"
MODEL = ASSETS / "model.int8.onnx"
MAX_TOKENS = 256
"""Question and passage together, the passage truncated first (the training's length)."""


def passage_text(section_path: Sequence[str], text: str) -> str:
    """What the model reads of a passage: its headings (the title first), then its text, as
    the indexes read it (headings carry meaning the sentences leave out)."""
    return " / ".join(section_path) + ". " + " ".join(text.split())


class AnswerCheck:
    """The loaded model; ``score(question, passage)`` is its logit for the pair."""

    def __init__(self, model: Path = MODEL, tokenizer: Path = ASSETS / "tokenizer.json") -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        self._names = {i.name for i in self._session.get_inputs()}

    def score(self, question: str, passage: str) -> float:
        """The logit that ``passage`` holds the answer to ``question``."""
        encoded = self._tokenizer.encode(question, passage)
        feeds = {
            "input_ids": np.array([encoded.ids], dtype=np.int64),
            "attention_mask": np.array([encoded.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoded.type_ids], dtype=np.int64),
        }
        feeds = {k: v for k, v in feeds.items() if k in self._names}
        (logits,) = self._session.run(None, feeds)
        return round(float(np.asarray(logits).reshape(-1)[0]), 4)


_lock = threading.Lock()


@functools.cache
def _loaded() -> AnswerCheck:
    return AnswerCheck()


def shipped() -> AnswerCheck:
    """The shipped model, loaded on first use (once per process)."""
    with _lock:
        return _loaded()


def score(question: str, passage: str) -> float:
    """The shipped model's logit that ``passage`` holds the answer to ``question``."""
    return shipped().score(question, passage)
