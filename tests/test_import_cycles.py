"""No import circles between the project's modules.

A circle makes the import order matter, and a late import inside a function that only hides a
circle is still a circle: so every import counts here, at module level and inside functions alike.
Imports under ``if TYPE_CHECKING:`` never run, so the first check leaves them out; a second counts
them too, because a circle only the type checker walks is still two modules that each need the other
to be read. The graph is read from the source with ``ast``, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's own areas; tests, benchmarks and scripts import them but are never imported back.
NOT_AREAS = {"tests", "bench", "scripts", "deploy", "docs", "locale", "static", "var"}
# Circles known when this test was written and being broken in another branch, each named by a
# module it runs through; the one who merges the fix removes its entry (test_known_cycles_are_still_there
# fails once a circle is gone).
KNOWN_CYCLES: dict[str, str] = {}


def is_known(component: set[str]) -> bool:
    return any(module in component for module in KNOWN_CYCLES)


def areas() -> list[Path]:
    return sorted(
        path
        for path in ROOT.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in NOT_AREAS
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for area in areas():
        for path in area.rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, type_only: bool = False) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: module level, functions, classes; ``TYPE_CHECKING`` ones
    only when ``type_only``."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if not type_only and isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def imported_modules(
    name: str, source: str, *, is_package: bool, modules: Iterable[str], type_only: bool = False
) -> set[str]:
    """The project modules ``name`` imports; ``from package import module`` names the module."""
    modules = set(modules)
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _imports(ast.parse(source, name), type_only=type_only):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            targets.add(submodule if submodule in modules else base)
    return {target for target in targets if target in modules and target != name}


def import_graph(*, type_only: bool = False) -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: imported_modules(
            name, path.read_text(), is_package=path.name == "__init__.py", modules=modules, type_only=type_only
        )
        for name, path in modules.items()
    }


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components of more than one module (iterative: the graph is a few hundred nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            if children:
                child = children.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest walk from the component's first module back to itself, for the failure message."""
    start = min(component)
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    following.append(child)
        frontier = following
    raise AssertionError("a strongly connected component always has a cycle")


def test_the_graph_is_read() -> None:
    """The checker sees real edges (a parser that found none would pass the test below for nothing)."""
    graph = import_graph()
    assert {"chat", "connectors", "workspace"} <= {name.split(".")[0] for name in graph}
    assert "chat.models" in graph["chat.actions.inbound"]
    assert "chat.actions" in graph["connectors.telegram.inbound"]


def test_finds_a_cycle_hidden_in_a_function() -> None:
    """A late import inside a function counts; one under ``TYPE_CHECKING`` does not."""
    names = {"app", "app.a", "app.b", "app.c", "app.d"}
    sources = {
        "app.a": "from app.b import thing\n",
        "app.b": "def later():\n    from app import c\n    return c\n",
        "app.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.d import D\nfrom . import a\n",
        "app.d": "import app.a\n",
    }
    graph = {name: imported_modules(name, source, is_package=False, modules=names) for name, source in sources.items()}
    assert graph == {"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a"}, "app.d": {"app.a"}}
    [component] = strongly_connected(graph)
    assert component == {"app.a", "app.b", "app.c"}
    assert one_cycle(graph, component) == ["app.a", "app.b", "app.c", "app.a"]
    with_types = {
        name: imported_modules(name, source, is_package=False, modules=names, type_only=True)
        for name, source in sources.items()
    }
    assert with_types["app.c"] == {"app.a", "app.d"}
    [component] = strongly_connected(with_types)
    assert component == {"app.a", "app.b", "app.c", "app.d"}


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [c for c in strongly_connected(graph) if not is_known(c)]
    described = [" -> ".join(one_cycle(graph, component)) for component in cycles]
    assert not described, "Import circles:\n" + "\n".join(described)


def test_no_import_cycles_through_type_only_imports() -> None:
    graph = import_graph(type_only=True)
    described = [" -> ".join(one_cycle(graph, component)) for component in strongly_connected(graph)]
    assert not described, "Import circles through TYPE_CHECKING imports:\n" + "\n".join(described)


def test_known_cycles_are_still_there() -> None:
    """A circle broken since is taken off KNOWN_CYCLES, so it cannot come back unnoticed."""
    in_a_cycle = set().union(*strongly_connected(import_graph()))
    gone = [module for module in KNOWN_CYCLES if module not in in_a_cycle]
    assert not gone, f"No longer in a circle, take off KNOWN_CYCLES: {gone}"


def test_the_core_imports_no_connector_and_no_screen() -> None:
    """``chat`` reaches connectors through ``chat.registry`` only, and knows no page of the screens."""
    graph = import_graph()
    reaching_out = {
        f"{name} -> {target}"
        for name, targets in graph.items()
        if name.split(".")[0] == "chat"
        for target in targets
        if target.split(".")[0] in ("connectors", "workspace")
    }
    assert not reaching_out, sorted(reaching_out)
