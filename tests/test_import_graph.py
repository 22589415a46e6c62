"""daxa's own import graph: no import circles, and lower layers never import higher ones.

Issue 22. Every module under ``daxa/`` is parsed with :mod:`ast` (nothing is imported), and
each ``import``/``from ... import`` naming a daxa module becomes an edge, kept in two kinds:
*top-level* (runs when the module is imported) and *deferred* (inside a function, runs on
call). Imports under ``if TYPE_CHECKING:`` never run and are not edges; neither are
``importlib.import_module("...")`` look-ups by name (a string, not an import statement).
Cycles are counted over both kinds: a deferred import only postpones a circle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import daxa

PACKAGE = Path(daxa.__file__).parent


#: Circles allowed to remain: none (issue 22 broke the last ones). A circle found must lie
#: inside one of these sets; keep the list empty.
KNOWN: list[frozenset[str]] = []

#: Modules at the bottom of the data flow, and the packages they must never import.
BOTTOM = (
    "daxa.services",
    "daxa.missions",
    "daxa.schema",
    "daxa.config",
    "daxa.errors",
    "daxa.urls",
    "daxa.utc",
    "daxa.atomic",
    "daxa.inputs",
)
ABOVE_BOTTOM = (
    "daxa.filters",
    "daxa.selection",
    "daxa.search",
    "daxa.crossmatch",
    "daxa.sql",
    "daxa.download",
    "daxa.cli",
    "daxa.mission",
    "daxa.testing",
)

#: The data flow, bottom first: a module's top-level imports never reach a later layer.
#: ``daxa.sky`` is pure geometry (it imports only ``daxa.errors``), so the mission normalisers
#: may compute HEALPix indices with it: it sits below the missions here.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("daxa.services",),
    ("daxa.sky",),
    ("daxa.missions",),
    ("daxa.cache",),
    ("daxa.filters",),
    ("daxa.selection", "daxa.search"),
    ("daxa.crossmatch", "daxa.sql", "daxa.download"),
    ("daxa.cli",),
)


@dataclass
class Graph:
    """Module → daxa modules it imports, split by when the import runs."""

    modules: set[str] = field(default_factory=set)
    top: dict[str, set[str]] = field(default_factory=dict)
    deferred: dict[str, set[str]] = field(default_factory=dict)

    def edges(self) -> dict[str, set[str]]:
        both: dict[str, set[str]] = {}
        for kind in (self.top, self.deferred):
            for a, targets in kind.items():
                both.setdefault(a, set()).update(targets)
        return both

    def kind(self, a: str, b: str) -> str:
        return "top-level" if b in self.top.get(a, ()) else "in a function"


def _module_names(root: Path) -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def imports_of(
    source: str, module: str, is_package: bool, known: set[str]
) -> tuple[set[str], set[str]]:
    """(top-level, deferred) daxa modules that ``source`` imports; ``known`` are the modules."""

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    package = module if is_package else module.rpartition(".")[0]
    top: set[str] = set()
    deferred: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other, in_function)
                continue
            nested = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, *([child.module] if child.module else [])])
                # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module
                names = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in child.names
                ]
            for name in names:
                target = resolve(name) if name.split(".")[0] == "daxa" else None
                if target and target != module:
                    (deferred if nested else top).add(target)
            visit(child, nested)

    visit(ast.parse(source), False)
    return top, deferred


def build_graph(root: Path = PACKAGE) -> Graph:
    modules = _module_names(root)
    graph = Graph(modules=set(modules))
    for name, (path, is_package) in modules.items():
        top, deferred = imports_of(path.read_text(), name, is_package, graph.modules)
        graph.top[name] = top
        graph.deferred[name] = deferred
    return graph


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module (the circles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def one_cycle(graph: Graph, component: set[str]) -> str:
    """A readable circle through ``component``, each step saying when the import runs."""
    edges = graph.edges()
    start = min(component)
    # breadth-first from start back to start, inside the component
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, set()) & component):
            if w == start:
                path = [*paths[v], start]
                return (
                    " -> ".join(
                        f"{a} ({graph.kind(a, b)})" for a, b in zip(path, path[1:], strict=False)
                    )
                    + f" -> {start}"
                )
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError(f"{sorted(component)} holds no circle")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


GRAPH = build_graph()


def test_the_walker_counts_import_statements_only() -> None:
    source = (
        "import importlib\n"
        "from typing import TYPE_CHECKING\n"
        "from daxa.errors import InputError\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n"
        "    from daxa.c import C\n"
        "def f():\n"
        "    from daxa.c import thing\n"
        "    return importlib.import_module('daxa.d')\n"
    )
    known = {"daxa", "daxa.errors", "daxa.pkg", "daxa.pkg.a", "daxa.pkg.b", "daxa.c", "daxa.d"}
    top, deferred = imports_of(source, "daxa.pkg.a", False, known)
    assert top == {"daxa.errors", "daxa.pkg.b"}
    assert deferred == {"daxa.c"}


def test_the_walker_finds_a_planted_circle() -> None:
    graph = Graph(
        modules={"a", "b", "c", "d"},
        top={"a": {"b"}, "b": set(), "c": {"d"}},
        deferred={"b": {"a"}},
    )
    (component,) = strongly_connected(graph.edges())
    assert component == {"a", "b"}
    assert one_cycle(graph, component) == "a (top-level) -> b (in a function) -> a"


def test_the_graph_covers_every_module() -> None:
    assert {"daxa", "daxa.services.http", "daxa.cli", "daxa.crossmatch.execution"} <= (
        GRAPH.modules
    )
    top = sum(map(len, GRAPH.top.values()))
    deferred = sum(map(len, GRAPH.deferred.values()))
    print(f"{len(GRAPH.modules)} modules, {top} top-level imports, {deferred} in functions")
    assert top > len(GRAPH.modules) // 2 and deferred > 0


def test_no_top_level_import_circle() -> None:
    circles = strongly_connected(GRAPH.top)
    assert not circles, "\n".join(one_cycle(GRAPH, c) for c in circles)


def test_circles_only_shrink() -> None:
    circles = strongly_connected(GRAPH.edges())
    for c in circles:
        print("circle:", one_cycle(GRAPH, c))
    new = [c for c in circles if not any(c <= known for known in KNOWN)]
    assert not new, "new import circles (issue 22):\n" + "\n".join(one_cycle(GRAPH, c) for c in new)


def test_bottom_modules_never_import_the_layers_above() -> None:
    bad = [
        f"{a} imports {b} ({GRAPH.kind(a, b)})"
        for a, targets in GRAPH.edges().items()
        if any(_within(a, low) for low in BOTTOM)
        for b in sorted(targets)
        if any(_within(b, high) for high in ABOVE_BOTTOM) or b == "daxa"
    ]
    assert not bad, "\n".join(bad)


def test_top_level_imports_follow_the_data_flow() -> None:
    def layer(module: str) -> int | None:
        for i, prefixes in enumerate(LAYERS):
            if any(_within(module, p) for p in prefixes):
                return i
        return None

    bad = []
    for a, targets in GRAPH.top.items():
        la = layer(a)
        for b in sorted(targets):
            lb = layer(b)
            if la is not None and lb is not None and lb > la:
                bad.append(f"{a} (layer {la}) imports {b} (layer {lb})")
    assert not bad, "\n".join(bad)
