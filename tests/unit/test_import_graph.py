"""The import graph of desktop_app and qbwc_server, read from the source: no cycles, layers kept.

Every ``import`` counts, wherever it stands: at module level, inside a function (a
function-level import hides a cycle from Python, not from a reader), or under
``if TYPE_CHECKING:`` (a type-only cycle is still two modules that cannot be understood
one without the other). Relative imports are resolved against the importing module.

Rules:
* no cycle among the modules of the two packages;
* the core (desktop_app.domain, desktop_app.db, desktop_app.services, desktop_app.errors)
  imports neither qbwc_server nor PySide6;
* the database layer (desktop_app.db) does not import the services.

The runtime check that importing the core leaves PySide6 out of ``sys.modules`` (what a
static reading cannot see: a third-party module that pulls Qt in) stays in
test_import_boundary.py.
"""

from __future__ import annotations

import ast
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import desktop_app

ROOT = Path(desktop_app.__file__).resolve().parent.parent
PACKAGES = ("desktop_app", "qbwc_server")
CORE = ("desktop_app.domain", "desktop_app.db", "desktop_app.services", "desktop_app.errors")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_skipped(name: str) -> bool:
    # Alembic revision scripts are data for the migration runner, not part of the program.
    return ".migrations.versions." in name


def source_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = _module_name(path)
            if not _is_skipped(name):
                found[name] = path
    return found


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _resolve_relative(importer: str, path: Path, level: int, module: str | None) -> str:
    base = _package_of(importer, path).split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imported_names(
    importer: str, path: Path, tree: ast.AST, modules: Container[str]
) -> Iterator[tuple[str, int]]:
    """Every module name an import statement anywhere in ``tree`` loads, with its line.

    ``from package import name`` is an edge to ``package.name`` when that is one of
    ``modules`` (a submodule), else to ``package`` itself (a name its ``__init__`` gives).
    Like ``import package.module``, a submodule import is not counted as an import of the
    package's ``__init__``: a package that re-exports its modules would otherwise be a cycle.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(importer, path, node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in modules else base), node.lineno


def import_edges(files: Mapping[str, Path]) -> list[Edge]:
    """Edges to any module (ours or not); targets outside our packages are kept for the layer rules."""
    edges: list[Edge] = []
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        seen: set[str] = set()
        for target, line in imported_names(name, path, tree, files):
            if target not in seen and target != name:
                seen.add(target)
                edges.append(Edge(name, target, line))
    return edges


def graph_of(edges: Iterable[Edge], modules: Iterable[str]) -> dict[str, list[Edge]]:
    nodes = set(modules)
    graph: dict[str, list[Edge]] = {name: [] for name in nodes}
    for edge in edges:
        if edge.target in nodes:
            graph[edge.source].append(edge)
    return graph


def tangles(graph: Mapping[str, list[Edge]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = sorted(edge.target for edge in graph[node])
            for offset, target in enumerate(targets[position:], start=position):
                if target not in index:
                    work.append((node, offset + 1))
                    work.append((target, 0))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return sorted(components)


def find_cycles(graph: Mapping[str, list[Edge]]) -> list[list[Edge]]:
    """One cycle, as a chain of imports, per tangle."""
    return [a_cycle_within(graph, set(component)) for component in tangles(graph)]


def a_cycle_within(graph: Mapping[str, list[Edge]], component: set[str]) -> list[Edge]:
    """The shortest cycle through the component's first module (breadth-first), as edges."""
    start = min(component)
    came_by: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for edge in sorted(graph[node], key=lambda e: e.target):
                if edge.target not in component:
                    continue
                if edge.target == start:
                    chain = [edge]
                    while chain[0].source != start:
                        chain.insert(0, came_by[chain[0].source])
                    return chain
                if edge.target not in came_by:
                    came_by[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle through {start} in a strongly connected component")


def describe_chain(chain: list[Edge]) -> str:
    steps = [f"{edge.source} (line {edge.line})" for edge in chain]
    return " -> ".join([*steps, chain[-1].target])


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def layer_violations(edges: Iterable[Edge], sources: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    sources, forbidden = tuple(sources), tuple(forbidden)
    return sorted(
        f"{edge.source} (line {edge.line}) imports {edge.target}"
        for edge in edges
        if _within(edge.source, sources) and _within(edge.target, forbidden)
    )


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    return source_files()


@pytest.fixture(scope="module")
def edges(files: dict[str, Path]) -> list[Edge]:
    return import_edges(files)


def test_every_module_is_read(files: dict[str, Path], edges: list[Edge]) -> None:
    assert "desktop_app.services.jobs" in files
    assert "qbwc_server.sync.apply" in files
    assert "desktop_app.ui.main_window" in files
    assert not any(_is_skipped(name) for name in files)
    # The GUI's own imports are seen, so the checks below look at real edges.
    main_window = [edge.target for edge in edges if edge.source == "desktop_app.ui.main_window"]
    assert any(target.startswith("PySide6") for target in main_window)


def test_no_import_cycles(files: dict[str, Path], edges: list[Edge]) -> None:
    graph = graph_of(edges, files)
    report = [
        f"{describe_chain(a_cycle_within(graph, set(component)))}\n  (all tangled: {', '.join(component)})"
        for component in tangles(graph)
    ]
    assert not report, "import cycles:\n" + "\n".join(report)


def test_core_imports_neither_the_server_nor_qt(edges: list[Edge]) -> None:
    violations = layer_violations(edges, CORE, ("qbwc_server", "PySide6", "desktop_app.ui"))
    assert not violations, "the core reaches out of its layer:\n" + "\n".join(violations)


def test_database_layer_does_not_import_services(edges: list[Edge]) -> None:
    violations = layer_violations(edges, ("desktop_app.db",), ("desktop_app.services",))
    assert not violations, "the database layer imports services:\n" + "\n".join(violations)


# The checker itself, on small made-up sources: each rule must be able to fail.


def _parsed(tmp_path: Path, sources: dict[str, str]) -> list[Edge]:
    files: dict[str, Path] = {}
    for name, text in sources.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        files[name] = path
    edges: list[Edge] = []
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges.extend(
            Edge(name, target, line)
            for target, line in imported_names(name, path, tree, files)
            if target in files
        )
    return edges


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    edges = _parsed(
        tmp_path,
        {
            "a": "import b\n",
            "b": "def late():\n    import c\n",
            "c": "from a import thing\n",
            "d": "import a\n",
        },
    )
    cycles = find_cycles(graph_of(edges, ["a", "b", "c", "d"]))
    assert [describe_chain(chain) for chain in cycles] == ["a (line 1) -> b (line 2) -> c (line 1) -> a"]


def test_a_graph_without_cycles_passes(tmp_path: Path) -> None:
    edges = _parsed(tmp_path, {"a": "import b\nimport c\n", "b": "import c\n", "c": "import os\n"})
    assert find_cycles(graph_of(edges, ["a", "b", "c"])) == []


def test_relative_imports_are_resolved() -> None:
    path = ROOT / "qbwc_server" / "sync" / "apply.py"
    modules = {"qbwc_server.sync.plan", "qbwc_server.qbxml.build", "qbwc_server.sync.late"}
    source = "from .plan import x\nfrom ..qbxml import build\nfrom . import late\nfrom .. import qbxml"
    tree = ast.parse(source)
    names = {name for name, _ in imported_names("qbwc_server.sync.apply", path, tree, modules)}
    assert names == modules | {"qbwc_server"}
    package = ROOT / "qbwc_server" / "sync" / "__init__.py"
    tree = ast.parse("from .engine import E")
    names = {name for name, _ in imported_names("qbwc_server.sync", package, tree, modules)}
    assert names == {"qbwc_server.sync.engine"}


def test_a_layer_violation_is_reported() -> None:
    edges = [
        Edge("desktop_app.services.users", "qbwc_server.passwords", 9),
        Edge("desktop_app.db.open", "desktop_app.services.settings", 4),
        Edge("desktop_app.ui.app", "PySide6.QtWidgets", 1),
    ]
    assert layer_violations(edges, CORE, ("qbwc_server", "PySide6")) == [
        "desktop_app.services.users (line 9) imports qbwc_server.passwords"
    ]
    assert layer_violations(edges, ("desktop_app.db",), ("desktop_app.services",)) == [
        "desktop_app.db.open (line 4) imports desktop_app.services.settings"
    ]
