"""The tree reads from the bottom up: every import points to the same floor or below, and no two
modules import each other (directly or round a longer loop). Imports are read with `ast`, so
imports inside functions and under `TYPE_CHECKING` count as much as those at the top."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("toolchain", "components", "baseline", "policies", "agents", "benchmarks")

# Floors, bottom up. A module's room is the longest entry that is its name or a prefix of it.
# The README's "Layout" section draws the same picture.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("toolchain", "toolchain.inputs", "toolchain.export", "toolchain.aws_types"),
    (
        "toolchain.cost",
        "toolchain.gate",
        "toolchain.deploy",
        "toolchain.pr_comment",
        "components",
        "baseline",
    ),
    ("policies", "toolchain.mocks", "toolchain.plan"),
    ("agents", "agents.protocol"),
    ("agents.runtime",),
    ("agents.skills",),
    ("agents.routines", "agents.mcp"),
    ("agents.cli", "agents.__main__"),
    ("benchmarks",),
)
ROOMS = {room: floor for floor, rooms in enumerate(FLOORS) for room in rooms}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    found["__main__"] = ROOT / "__main__.py"
    return found


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The project's modules that `name` imports (resolved to the deepest known module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for dotted in targets:
            target = dotted
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: set(imported(name, path, known)) for name, path in mods.items()}


def floor_of(name: str) -> int:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        room = ".".join(parts[:cut])
        if room in ROOMS:
            return ROOMS[room]
    if name == "__main__":  # the program's entry point: the program's floor
        return ROOMS["baseline"]
    raise AssertionError(f"{name}: in no room of FLOORS; add it where it belongs")


def test_every_module_has_a_room() -> None:
    for name in modules():
        floor_of(name)


def test_no_import_points_up_a_floor() -> None:
    upward = sorted(
        f"{src} (floor {floor_of(src)}) imports {dst} (floor {floor_of(dst)})"
        for src, dsts in graph().items()
        for dst in dsts
        if floor_of(dst) > floor_of(src)
    )
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_two_modules_import_each_other() -> None:
    loops = cycles(graph())
    assert not loops, "modules in an import loop:\n" + "\n".join(" <-> ".join(c) for c in loops)


@pytest.mark.parametrize(
    ("edges", "loop"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, ["a", "b", "c"]),
        ({"a": {"b"}, "b": set()}, None),
    ],
)
def test_the_loop_finder_finds_loops_of_any_length(
    edges: dict[str, set[str]], loop: list[str] | None
) -> None:
    assert cycles(edges) == ([loop] if loop else [])


def test_the_walker_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from toolchain.export import StackExport\n"
        "def f():\n    from agents.cli import main\n"
    )
    found = set(imported("x.m", src, {"toolchain.export", "agents.cli", "agents.cli.main"}))
    assert found == {"toolchain.export", "agents.cli.main"}
