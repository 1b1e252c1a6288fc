"""Scoring a conversation: the gold end state (the task's gold calls replayed on a fresh back
office), the comparison of end states, the outputs said, and the wrong writes."""

from __future__ import annotations

import copy
import importlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

Tables = dict[str, dict[str, Any]]
GoldRequest = tuple[str, str, dict[str, Any] | None]
ToolRequest = Callable[[str, str, dict[str, Any]], GoldRequest | None]

TABLES = {
    "retail": {"users": "retail_users", "orders": "orders", "products": "products"},
    "airline": {"users": "airline_users", "reservations": "reservations", "flights": "flights"},
}
#: the tables whose records a write can touch (and be wrong about)
RECORD_TABLES = {"retail": ("orders", "users"), "airline": ("reservations", "users")}

TOOLS_MODULE = "warmline.demo.backoffice.taubench_tools"


class GoldReplayUnavailable(RuntimeError):
    """The module that maps tau-bench tools to back-office requests is not there yet."""


def load_tool_request() -> ToolRequest:
    try:
        module = importlib.import_module(TOOLS_MODULE)
    except ModuleNotFoundError as exc:
        raise GoldReplayUnavailable(
            f"{TOOLS_MODULE} is missing: the gold calls cannot be replayed, so no task can be "
            "scored. It must provide tool_request(domain, name, kwargs) -> (method, path, body) "
            "| None."
        ) from exc
    request: ToolRequest = module.tool_request
    return request


def snapshot(store: Any, domain: str) -> Tables:
    """A deep copy of every table of ``domain`` in a back-office store."""
    return {name: copy.deepcopy(getattr(store, attr)) for name, attr in TABLES[domain].items()}


def differing(bot: Tables, gold: Tables) -> dict[str, set[str]]:
    """Per table, the keys whose records differ (added, removed or changed); empty if equal."""
    found: dict[str, set[str]] = {}
    for name in sorted(set(bot) | set(gold)):
        mine, theirs = bot.get(name, {}), gold.get(name, {})
        keys = {k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
        if keys:
            found[name] = keys
    return found


def _normal(text: str) -> str:
    text = text.lower().replace("$", "")
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)


def outputs_said(outputs: Iterable[str], replies: Iterable[str]) -> list[str]:
    """The outputs that no reply says (case-insensitive; numbers with or without commas or $)."""
    said = _normal("\n".join(replies))
    missing = []
    for output in outputs:
        wanted = _normal(str(output))
        variants = {wanted}
        if re.fullmatch(r"-?\d+(?:\.\d+)?", wanted):
            variants.add(f"{float(wanted):.2f}")
        if not any(v in said for v in variants):
            missing.append(str(output))
    return missing


@dataclass
class Write:
    """One successful non-GET request the bot's back office answered."""

    method: str
    path: str
    body: Any
    status: int

    def text(self) -> str:
        return f"{self.method} {self.path} {json.dumps(self.body, sort_keys=True)} -> {self.status}"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def touched(write: Write, domain: str, state: Tables) -> set[tuple[str, str]]:
    """The records (table, key) a write names in its path or body."""
    candidates = [unquote(p) for p in urlsplit(write.path).path.split("/") if p]
    candidates += list(_strings(write.body))
    found: set[tuple[str, str]] = set()
    for table in RECORD_TABLES[domain]:
        keys = state.get(table, {})
        for candidate in candidates:
            for key in (candidate, candidate.upper(), f"#{candidate}"):
                if key in keys:
                    found.add((table, key))
    return found


def wrong_writes(
    writes: list[Write], domain: str, bot: Tables, gold: Tables, gold_writes: int
) -> list[Write]:
    """The bot's writes that touched a record whose end state differs from the gold one, or
    every write when the gold makes none."""
    if gold_writes == 0:
        return list(writes)
    diff = differing(bot, gold)
    return [
        w
        for w in writes
        if any(key in diff.get(table, set()) for table, key in touched(w, domain, bot))
    ]
