"""Load a domain pack from YAML and report every problem with file, line and field.

The built-in conversational intents (``core_intents.yaml``: greet, affirm, deny, human_agent,
bot_challenge, ...) are merged into every pack unless the pack defines an intent of the same
name.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from warmline.domain.pack import DomainPack
from warmline.errors import PackError, PackIssue

_Path = tuple[str | int, ...]


def _line_map(node: yaml.Node, path: _Path, lines: dict[_Path, int], dupes: list[_Path]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                dupes.append(child)
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _line_map(item, child, lines, dupes)


def _line_for(path: _Path, lines: dict[_Path, int]) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def _field(path: _Path) -> str:
    return ".".join(str(p) for p in path) or "(pack)"


def core_intents() -> dict[str, Any]:
    """The built-in intents every pack understands."""
    text = resources.files("warmline.domain").joinpath("core_intents.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    intents: dict[str, Any] = data["intents"]
    return intents


def parse_pack(text: str, file: str = "<pack>") -> DomainPack:
    """Validate pack YAML text. Raises ``PackError`` listing every issue found."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PackError([PackIssue(file, line, "(yaml)", str(exc.problem or exc))]) from None
    except yaml.YAMLError as exc:
        raise PackError([PackIssue(file, None, "(yaml)", str(exc))]) from None
    if root is None or not isinstance(data, dict):
        raise PackError([PackIssue(file, 1, "(pack)", "a pack must be a YAML mapping")])

    lines: dict[_Path, int] = {}
    dupes: list[_Path] = []
    _line_map(root, (), lines, dupes)
    issues = [PackIssue(file, lines.get(d), _field(d), "duplicate key") for d in dupes]

    intents = data.get("intents")
    if isinstance(intents, dict):
        for name, spec in core_intents().items():
            intents.setdefault(name, spec)

    pack: DomainPack | None = None
    try:
        pack = DomainPack.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc: _Path = tuple(err["loc"])
            issues.append(PackIssue(file, _line_for(loc, lines), _field(loc), err["msg"]))
    if pack is not None:
        for path, message in pack.reference_problems():
            issues.append(PackIssue(file, _line_for(path, lines), _field(path), message))
    if issues:
        raise PackError(issues)
    assert pack is not None
    return pack


def load_pack(path: str | Path) -> DomainPack:
    """Read and validate a pack file."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise PackError([PackIssue(str(file), None, "(file)", exc.strerror or str(exc))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PackError([PackIssue(str(file), line, "(file)", "not valid UTF-8")]) from None
    return parse_pack(text, str(file))
