"""The map cannot drift from the territory: every name docs/architecture.md cites can be
imported, no import circle exists between narrate's modules, and no module grows past
the size the map promises."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from conftest import REPO

DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = REPO / "narrate"
MAX_LINES = 400
CITED = sorted(set(re.findall(r"`(narrate(?:\.\w+)+)`", DOC)))


def resolve(dotted: str) -> object:
    """The object a dotted name means: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


def test_the_map_cites_enough_to_be_useful() -> None:
    assert len(CITED) >= 30
    table = DOC[DOC.index("## Where is X decided?") :]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`narrate." in line]
    assert len(rows) >= 10
    for row in rows:  # each answer is one function (a second name only says where a value lives)
        assert row.split("|")[2].count("`narrate.") <= 2, row


@pytest.mark.parametrize("dotted", CITED)
def test_every_name_the_map_cites_exists(dotted: str) -> None:
    assert resolve(dotted) is not None


def module_name(path: Path) -> str:
    relative = path.relative_to(REPO).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The narrate modules ``path`` imports (anywhere in it: lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != "narrate":
                found.add(name)
    return found


def test_no_import_circle() -> None:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imports_of(path, set(files)) - {name} for name, path in files.items()}
    # A package's __init__ that re-exports its modules is not a step back up.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_module_is_a_giant() -> None:
    sizes = {p.relative_to(REPO).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}
