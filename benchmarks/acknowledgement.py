"""The acknowledgement as a detector: does the bot open its reply with one exactly when the
customer is upset? Over the labelled set ``acknowledgement/messages.csv`` (how it was made and
labelled: ``acknowledgement/README.md``)::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/acknowledgement.py --split dev \
        [--errors] [--json OUT]

Each message is the customer's turn of a new conversation with a demo pack (airline for the
airline rows, retail for the others), run in-process through the real turn
(``ConversationService.post_message``) against the reference back office. A dialogue turn comes
after the bot question its ``source`` names (a confirmation, a choice, a verification question,
an answer), reached by a calm turn first. The prediction is whether the turn's ``Decided`` event
carries an acknowledgement. Conversations are started until they land on an experiment arm that
keeps acknowledgements, so the measure is the policy's, not the arm's.

It prints precision, recall, F1 and the false-positive rate on calm messages, overall and per
kind (``banking77``, ``clinc150``, ``domain``, ``dialogue``). ``--errors`` lists the misread rows
(dev only: the test half is for reporting).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.domain.decision import Decision
from warmline.domain.events import Decided, ExperimentAssigned
from warmline.services.conversations import ConversationService
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

HERE = Path(__file__).resolve().parent
MESSAGES = HERE / "acknowledgement" / "messages.csv"
PACKS = HERE.parent / "src" / "warmline" / "demo" / "packs"
KINDS = ("banking77", "clinc150", "domain", "dialogue")

#: the demo customer each pack's conversations are bound to (as the demo's picker does)
CUSTOMERS = {"retail": "sofia_rossi_8776", "airline": "daiki_jackson_9549"}


@dataclass(frozen=True)
class Context:
    """The bot question a dialogue turn answers: who talks, and the calm turns that lead to it
    with the decision kind (and reason, if any) the last one must give."""

    customer: str | None
    turns: tuple[str, ...]
    expect: str
    reason: str | None = None


CONTEXTS: dict[str, Context] = {
    "retail:open": Context(CUSTOMERS["retail"], (), ""),
    "airline:open": Context(CUSTOMERS["airline"], (), ""),
    "retail:confirm": Context(
        CUSTOMERS["retail"], ("please cancel order #W5918442, no longer needed",), "confirm"
    ),
    "airline:confirm": Context(
        CUSTOMERS["airline"],
        ("change the cabin class on reservation 98AFPZ to business",),
        "confirm",
    ),
    "retail:choice": Context(
        "emma_smith_8564",
        ("I want to exchange the digital camera I got in order #W5605613",),
        "clarify",
    ),
    "airline:choice": Context(
        CUSTOMERS["airline"], ("I want to add checked bags to reservation 98AFPZ",), "clarify"
    ),
    "retail:verify": Context(None, ("I want to return an item",), "answer", "verification_asked"),
    "retail:answered": Context(
        CUSTOMERS["retail"], ("what's the status of my order #W5918442?",), "act"
    ),
    "airline:answered": Context(
        CUSTOMERS["airline"], ("what's the status of flight HAT170?",), "act"
    ),
}


def pack_and_context(row: dict[str, str]) -> tuple[str, Context]:
    """``hand:<pack>[:<context>]`` for the hand-written rows; the datasets' rows are retail
    first turns."""
    parts = row["source"].split(":")
    if parts[0] != "hand":
        return "retail", CONTEXTS["retail:open"]
    pack = parts[1]
    if len(parts) == 2:
        return pack, CONTEXTS[f"{pack}:open"]
    return pack, CONTEXTS[f"{pack}:{parts[2]}"]


def load_rows(path: Path, split: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row["split"] == split]


async def build_runtime() -> Runtime:
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=[str(PACKS / "retail.yaml"), str(PACKS / "airline.yaml")],
        default_pack="retail",
        backoffice_url="http://reference-backoffice",
        account_ttl_s=0,
    )
    transport = httpx.ASGITransport(app=reference_backoffice())
    return await Runtime.build(settings, transport=transport)


async def start_with_empathy(service: ConversationService, pack: str, customer: str | None) -> str:
    """A new conversation on an experiment arm that keeps acknowledgements."""
    spec = service.pack(pack).pack
    while True:
        started = await service.start(pack, customer, "benchmark")
        arms = [e for e in started.events if isinstance(e, ExperimentAssigned)]
        if all(spec.experiments[a.experiment].arms[a.arm].empathy for a in arms):
            return started.conversation_id


def decided(events: list[Any]) -> Decision:
    return next(e.decision for e in events if isinstance(e, Decided))


async def read_row(runtime: Runtime, row: dict[str, str], faults: list[str]) -> Decision:
    """The decision of the bot for the row's message, in its context."""
    service = runtime.conversations
    pack, context = pack_and_context(row)
    cid = await start_with_empathy(service, pack, context.customer)
    for number, text in enumerate(context.turns, 1):
        decision = decided((await service.post_message(cid, text)).events)
        if decision.acknowledgement is not None:
            faults.append(f"{row['id']}: the lead-in turn {text!r} was acknowledged")
        last = number == len(context.turns)
        wrong_reason = context.reason and context.reason not in decision.reason_codes()
        if last and (decision.kind != context.expect or wrong_reason):
            faults.append(f"{row['id']}: the lead-in {text!r} gave {decision.kind}")
    decision = decided((await service.post_message(cid, row["text"])).events)
    if context.turns:  # a yes may have written: the next row starts from the demo data again
        await runtime.backoffice.request("POST", "/_admin/reset")
    return decision


def figures(pairs: list[tuple[bool, bool]]) -> dict[str, Any]:
    """Precision, recall, F1 and false-positive rate of (labelled upset, acknowledged) pairs."""
    tp = sum(1 for gold, said in pairs if gold and said)
    fp = sum(1 for gold, said in pairs if not gold and said)
    fn = sum(1 for gold, said in pairs if gold and not said)
    tn = len(pairs) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "rows": len(pairs),
        "upset": tp + fn,
        "calm": fp + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "fpr": round(fp / (fp + tn), 4) if fp + tn else 0.0,
    }


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def pairs(chosen: list[dict[str, Any]]) -> list[tuple[bool, bool]]:
        return [(r["label"] == "upset", r["acknowledged"]) for r in chosen]

    by_kind = {kind: figures(pairs([r for r in rows if r["kind"] == kind])) for kind in KINDS}
    return {"overall": figures(pairs(rows)), "by_kind": by_kind}


def print_report(split: str, result: dict[str, Any]) -> None:
    print(f"\nacknowledgement as a detector of upset customers, {split} split")
    header = f"{'':10} {'rows':>5} {'upset':>5} {'tp':>4} {'fp':>4} {'fn':>4}"
    print(f"{header} {'precision':>9} {'recall':>7} {'F1':>6} {'FPR calm':>8}")
    named = [("overall", result["overall"]), *result["by_kind"].items()]
    for name, f in named:
        print(
            f"{name:10} {f['rows']:5} {f['upset']:5} {f['tp']:4} {f['fp']:4} {f['fn']:4} "
            f"{f['precision']:9.3f} {f['recall']:7.3f} {f['f1']:6.3f} {f['fpr']:8.3f}"
        )


def print_errors(rows: list[dict[str, Any]]) -> None:
    print("\nmisread (FP: acknowledged a calm message; FN: no acknowledgement for an upset one)")
    for r in rows:
        if (r["label"] == "upset") != r["acknowledged"]:
            mark = "FN" if r["label"] == "upset" else f"FP {r['cause']}"
            print(f"{mark:18} {r['id']:12} {r['source']:24} {r['text']}")


async def run(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    runtime = await build_runtime()
    results, faults = [], []
    try:
        for row in rows:
            decision = await read_row(runtime, row, faults)
            ack = decision.acknowledgement
            results.append(
                {**row, "acknowledged": ack is not None, "cause": ack.cause if ack else None}
            )
    finally:
        await runtime.aclose()
    return results, faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), required=True)
    parser.add_argument("--messages", type=Path, default=MESSAGES)
    parser.add_argument("--json", type=Path, help="write the figures (and, for dev, every row)")
    parser.add_argument("--errors", action="store_true", help="list the misread rows (dev only)")
    args = parser.parse_args()
    if args.errors and args.split != "dev":
        parser.error("--errors is for the dev split only: the test split is for reporting")
    begun = time.perf_counter()
    results, faults = asyncio.run(run(load_rows(args.messages, args.split)))
    result = {"split": args.split, **report(results), "lead_in_faults": faults}
    print_report(args.split, result)
    for fault in faults:
        print(f"warning: {fault}", file=sys.stderr)
    if args.errors:
        print_errors(results)
    print(f"\n{len(results)} messages in {time.perf_counter() - begun:.0f} s")
    if args.json:
        if args.split == "dev":
            keep = ("id", "label", "kind", "acknowledged", "cause")
            result["rows"] = [{k: r[k] for k in keep} for r in results]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
