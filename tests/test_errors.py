"""The exception tree: the drawing in ``warmline.errors``'s docstring is the class hierarchy, and
storage failures land in the tree (``map_storage_errors``)."""

from __future__ import annotations

import inspect
import re

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from warmline import errors
from warmline.errors import ConflictError, ConversationNotFound, StorageError, WarmlineError
from warmline.storage.errors import map_storage_errors

# One line of the drawing: "│   " or "    " per level above, then "├── " or "└── ", then a name.
LINE = re.compile(r"^(?P<above>(?:│   |    )*)(?P<branch>[├└]── )?(?P<name>\w+)")


def _drawing() -> list[tuple[str, str, str]]:
    """The drawing's lines as (above, branch, name), in order."""
    doc = errors.__doc__ or ""
    blocks = re.findall(r"^```\n(.*?)^```", doc, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "errors.py's docstring should hold exactly one drawing"
    lines = []
    for line in blocks[0].splitlines():
        match = LINE.match(line)
        assert match, f"not a line of the tree: {line!r}"
        lines.append((match["above"], match["branch"] or "", match["name"]))
    return lines


def _drawn_parents() -> dict[str, str | None]:
    """Each drawn name with the name it is drawn under (None for the root)."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for above, branch, name in _drawing():
        depth = len(above) // 4 + (1 if branch else 0)
        assert depth <= len(path), f"{name} is drawn deeper than the line above allows"
        del path[depth:]
        assert name not in parents, f"{name} is drawn twice"
        parents[name] = path[-1] if path else None
        path.append(name)
    return parents


def _real_parents() -> dict[str, str | None]:
    """Each ``WarmlineError`` class defined in ``warmline.errors`` with its parent class."""
    parents: dict[str, str | None] = {}
    for name, cls in inspect.getmembers(errors, inspect.isclass):
        if not issubclass(cls, WarmlineError) or cls.__module__ != errors.__name__:
            continue
        bases = [base for base in cls.__bases__ if issubclass(base, WarmlineError)]
        assert len(bases) <= 1, f"{name} has more than one parent in the tree: {bases}"
        parents[name] = bases[0].__name__ if bases else None
    return parents


def test_the_drawing_is_the_class_hierarchy() -> None:
    drawn, real = _drawn_parents(), _real_parents()
    assert sorted(set(real) - set(drawn)) == [], "defined but not drawn"
    assert sorted(set(drawn) - set(real)) == [], "drawn but not defined"
    wrong = {name: (drawn[name], real[name]) for name in real if drawn[name] != real[name]}
    assert wrong == {}, "drawn under (drawn parent, real parent)"


def test_the_drawing_branches_are_well_formed() -> None:
    """Each name is drawn with ├── when a sibling follows it and └── when it is the last one,
    and the │ above it runs exactly where an ancestor still has siblings to come."""
    lines = _drawing()
    parents = _drawn_parents()
    names = [name for _, _, name in lines]

    def is_last(name: str) -> bool:
        later = names[names.index(name) + 1 :]
        return not any(parents[other] == parents[name] for other in later)

    for above, branch, name in lines:
        chain: list[str] = []
        node = parents[name]
        while node is not None and parents[node] is not None:
            chain.insert(0, node)
            node = parents[node]
        expected_above = "".join("    " if is_last(a) else "│   " for a in chain)
        expected_branch = "" if parents[name] is None else ("└── " if is_last(name) else "├── ")
        assert (above, branch) == (expected_above, expected_branch), f"line of {name}"


def _integrity() -> IntegrityError:
    return IntegrityError("INSERT INTO events ...", {}, Exception("UNIQUE constraint failed"))


def test_a_refused_constraint_is_a_conflict_when_the_caller_names_one() -> None:
    original = _integrity()
    with pytest.raises(ConflictError) as caught, map_storage_errors("x", conflict="changed"):
        raise original
    assert type(caught.value) is ConflictError
    assert caught.value.message == "changed" and caught.value.__cause__ is original


def test_a_refused_constraint_is_a_storage_error_otherwise() -> None:
    original = _integrity()
    with pytest.raises(StorageError) as caught, map_storage_errors("create the conversation"):
        raise original
    assert caught.value.message == "could not create the conversation"
    assert caught.value.__cause__ is original


@pytest.mark.parametrize(
    "original",
    [
        OperationalError("SELECT 1", {}, Exception("database is locked")),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        TimeoutError(),
    ],
    ids=["operational", "refused", "timeout"],
)
def test_a_failed_database_is_a_storage_error_with_the_original_chained(
    original: Exception,
) -> None:
    with (
        pytest.raises(StorageError) as caught,
        map_storage_errors("record the turn", conflict="changed"),
    ):
        raise original
    assert type(caught.value) is StorageError
    assert caught.value.message == "could not record the turn"
    assert caught.value.__cause__ is original


@pytest.mark.parametrize(
    "original",
    [ConversationNotFound("no conversation c1"), ConflictError("raised inside"), ValueError("bug")],
    ids=["not-found", "conflict", "not-a-database-error"],
)
def test_other_errors_pass_through_unchanged(original: Exception) -> None:
    with pytest.raises(type(original)) as caught, map_storage_errors("x", conflict="changed"):
        raise original
    assert caught.value is original and caught.value.__cause__ is None


def test_a_block_that_succeeds_is_left_alone() -> None:
    with map_storage_errors("x"):
        done = True
    assert done
