"""``warmline train`` on a realistic set: the airline demo pack retrained on reviewed
corrections drawn from CLINC150's train split (its travel requests the pack serves, mapped to
the pack's intents; hotel, car, visa and other travel requests and CLINC's out-of-scope rows
labelled ``oos``), with synthetic segments: a channel (web, sms, voice) and a register, a third
of the texts rewritten into text-speak ("can u pls chk ma flight"). Two runs:

* ``clean``: the corrections as labelled; the run of ``ModelTrainer.evaluate`` end to end
  (SQLite in memory), before / after per segment group and the gate's verdict.
* ``planted``: the same split and held-out set, but every correction to an intent on the
  trained-on side in text-speak labelled ``oos`` (a reviewer who took the garbled turns for
  noise): the candidate reads that register worse; the gate should block it on
  ``register=textspeak`` while the standard register's figures stay as good.

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/train_promotion.py \\
        --per-intent 40 --oos 80 --out /tmp/bench/h2.json

CLINC150 (CC BY 3.0) is read from ``--clinc`` (``data_full.json``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from warmline.analytics.parity import adjust  # noqa: E402
from warmline.domain.pack_loader import load_pack  # noqa: E402
from warmline.nlu.embeddings import load_encoder  # noqa: E402
from warmline.nlu.engine import NluEngine  # noqa: E402
from warmline.policy.promotion import GateSettings, gate  # noqa: E402
from warmline.services.audit import AuditLog  # noqa: E402
from warmline.services.model_evaluation import figures, score, split  # noqa: E402
from warmline.services.model_training import ModelTrainer, usable  # noqa: E402
from warmline.storage.audit import AuditRepository  # noqa: E402
from warmline.storage.database import create_engine, session_factory  # noqa: E402
from warmline.storage.migrate import upgrade  # noqa: E402
from warmline.storage.promotions import PromotionRepository  # noqa: E402

PACK = ROOT / "src" / "warmline" / "demo" / "packs" / "airline.yaml"
MAPPED = {
    "book_flight": "book_flight",
    "flight_status": "flight_status",
    "lost_luggage": "lost_or_damaged_bag",
    "carry_on": "baggage_allowance",
}
OOS_TRAVEL = ("book_hotel", "car_rental", "exchange_rate", "international_visa", "vaccines",
              "travel_suggestion", "plug_type", "timezone", "translate")  # fmt: skip
SPEAK = {"you": "u", "your": "ur", "please": "pls", "are": "r", "my": "ma", "check": "chk",
         "what": "wat", "flight": "flite", "the": "da", "to": "2", "for": "4", "know": "kno",
         "tomorrow": "tmrw", "luggage": "lugg", "because": "bc", "with": "w"}  # fmt: skip


@dataclass(frozen=True)
class Item:
    item_id: str
    text: str
    intent: str
    segments: dict[str, str] = field(default_factory=dict)


def textspeak(text: str) -> str:
    words = re.findall(r"[\w']+", text.lower())
    return " ".join(SPEAK.get(w, w) for w in words)


def corrections(clinc: Path, per_intent: int, oos: int, seed: int) -> list[Item]:
    data = json.loads(clinc.read_text("utf-8"))
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for source, target in MAPPED.items():
        texts = [t for t, label in data["train"] if label == source]
        rows += [(t, target) for t in rng.sample(texts, per_intent)]
    pool = [t for t, label in data["train"] if label in OOS_TRAVEL]
    pool += [t for t, _ in data["oos_train"]]
    rows += [(t, "oos") for t in rng.sample(pool, oos)]
    items = []
    for n, (text, intent) in enumerate(rows):
        digest = hashlib.sha256(f"segments:{n}".encode()).digest()
        register = "textspeak" if digest[0] % 3 == 0 else "standard"
        channel = ("web", "sms", "voice")[digest[1] % 3]
        said = textspeak(text) if register == "textspeak" else text
        items.append(Item(str(n), said, intent, {"channel": channel, "register": register}))
    return items


def table(groups: list[dict[str, Any]]) -> list[str]:
    lines = ["| group | n | right before | right after | regressed / improved | p adj. | verdict |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for g in groups:
        p = "" if g["p_adjusted"] is None else f"{g['p_adjusted']:.3g}"
        lines.append(
            f"| {g['dimension']}={g['group']} | {g['n']} | {g['before']['share_right']:.1%} "
            f"| {g['after']['share_right']:.1%} | {g['regressed']} / {g['improved']} | {p} "
            f"| {g['note']} |"
        )
    return lines


async def clean_run(args: argparse.Namespace, items: list[Item]) -> dict[str, Any]:
    """``ModelTrainer.evaluate`` end to end, on an in-memory database."""
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    sessions = session_factory(engine)
    trainer = ModelTrainer(
        PromotionRepository(sessions), AuditLog(AuditRepository(sessions)), load_encoder(),
        args.cache, GateSettings(min_n=args.min_n),
    )  # fmt: skip
    started = time.perf_counter()
    run = await trainer.evaluate(load_pack(PACK), items, args.holdout_share)
    report = run.as_json() | {"seconds": round(time.perf_counter() - started, 1)}
    await engine.dispose()
    return report


def planted_run(args: argparse.Namespace, items: list[Item]) -> dict[str, Any]:
    """The same split; the text-speak corrections to an intent on the trained-on side
    labelled ``oos``; the same reading and gate as ``evaluate``."""
    pack, encoder = load_pack(PACK), load_encoder()
    kept, _ = usable(pack, items)
    train, held = split(kept, args.holdout_share)
    planted = [
        replace(i, intent="oos")
        if i.segments.get("register") == "textspeak" and i.intent != "oos" else i
        for i in train
    ]  # fmt: skip
    started = time.perf_counter()
    before = NluEngine.train(pack, encoder, cache_dir=args.cache)
    after = NluEngine.train(
        pack, encoder, cache_dir=args.cache, extra=[(i.text, i.intent) for i in planted]
    )
    scored = score(before, after, held)
    verdict = gate([s.outcome() for s in scored], GateSettings(min_n=args.min_n), adjust)
    groups = figures(scored, (verdict.overall, *verdict.groups))
    return {
        "relabelled": sum(a.intent != b.intent for a, b in zip(train, planted, strict=True)),
        "held_out": len(held),
        "groups": [g.as_json() for g in groups],
        "gate": {"promote": verdict.promote, "reasons": list(verdict.reasons)},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clinc", type=Path, default=Path("/work/shared/datasets/clinc150/data_full.json")
    )
    parser.add_argument("--per-intent", type=int, default=40)
    parser.add_argument("--oos", type=int, default=80)
    parser.add_argument("--holdout-share", type=float, default=0.3)
    parser.add_argument("--min-n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/warmline-train-bench"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    items = corrections(args.clinc, args.per_intent, args.oos, args.seed)
    clean = asyncio.run(clean_run(args, items))
    planted = planted_run(args, items)
    for name, found in (("clean", clean), ("planted", planted)):
        print(f"## {name}: held out {found['held_out']}, {found['seconds']} s")
        print("\n".join(table(found["groups"])))
        print("gate:", "passes" if found["gate"]["promote"] else "refuses")
        for reason in found["gate"]["reasons"]:
            print("  -", reason)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"clean": clean, "planted": planted}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
