"""How the out-of-scope score's weights were chosen: CLINC150 validation AUROC of weightings of
the three signals, with a trained CLINC150 model (``warmline nlu train``, see BENCHMARKS.md).

Each signal is standardised on the validation split's in-scope rows, so the weights compare the
signals, not their scales: uncertainty (1 - top real-intent probability), distance (1 - cosine
to the nearest training example) and the reject class's probability.

Usage (repository root, project venv active; about 1 minute)::

    python benchmarks/oos_weights.py --model /tmp/clincm
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.embeddings import EncoderConfig, load_encoder  # noqa: E402
from warmline.nlu.engine import clean_text  # noqa: E402
from warmline.nlu.oos import OOS  # noqa: E402
from warmline.services.training import IntentModel  # noqa: E402

WEIGHTINGS = {
    "uncertainty + distance": (1.0, 1.0, 0.0),
    "uncertainty + distance + reject": (1.0, 1.0, 1.0),
    "0.5 uncertainty + distance + reject (shipped)": (0.5, 1.0, 1.0),
    "0.5 uncertainty + distance + 0.5 reject": (0.5, 1.0, 0.5),
    "0.5 uncertainty + distance": (0.5, 1.0, 0.0),
}


def signals(model: IntentModel, texts: list[str]) -> np.ndarray:
    classifier = model.classifier
    cleaned = [clean_text(t) for t in texts]
    embeddings = np.vstack(
        [classifier.encoder.encode(cleaned[i : i + 256]) for i in range(0, len(cleaned), 256)]
    )
    probabilities = classifier.probabilities(embeddings, cleaned)
    reject = probabilities[:, classifier.classes.index(OOS)]
    top = np.delete(probabilities, classifier.classes.index(OOS), axis=1).max(axis=1)
    assert classifier._examples is not None
    nearest = (classifier._near_space(embeddings) @ classifier._examples.T).max(axis=1)
    return np.column_stack([1.0 - top, 1.0 - nearest, reject])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a CLINC150 model folder")
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    args = parser.parse_args(argv)
    data = json.loads((args.datasets / "clinc150" / "data_full.json").read_text("utf-8"))
    model = IntentModel.load(args.model, load_encoder(EncoderConfig(threads=2)))
    in_scope = signals(model, [t for t, _ in data["val"]])
    out = signals(model, [t for t, _ in data["oos_val"]])
    mean, std = in_scope.mean(axis=0), np.maximum(in_scope.std(axis=0), 1e-6)
    truth = np.r_[np.zeros(len(in_scope)), np.ones(len(out))]
    print(f"CLINC150 validation: {len(in_scope)} in scope, {len(out)} out of scope")
    for name, weights in WEIGHTINGS.items():
        score = ((np.vstack([in_scope, out]) - mean) / std) @ np.array(weights)
        print(f"  {name:<48} AUROC {roc_auc_score(truth, score):.4f}")


if __name__ == "__main__":
    main()
