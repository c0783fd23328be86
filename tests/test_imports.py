"""Which package may import which, and no import cycle.

Each package of the product (every folder under services/, domain/,
schemas/) and each entry point outside it (synthetic/, bench/) has one line
in ``ALLOWED`` naming the packages it may import; an import outside its line
fails, and so does a package without a line. Dependencies point inwards:
entry points (the two processes, the CLI, the synthetic county, the
benchmarks) -> the contexts (cases, notify, feeds, reports, what-if) ->
the households' store, the shared presentation and infrastructure -> the
domain and the contracts. No module imports a name another package keeps
private (a leading underscore). No module of the project takes part in an
import cycle: each depends on what it is given or on modules below it.
Imports inside functions and under TYPE_CHECKING count too (they hide a
dependency, they do not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("services", "domain", "schemas")
ENTRY_POINTS = ("synthetic", "bench")

# package -> the packages it may import besides itself: today's dependencies,
# each of them used (an allowance nothing uses fails too, so this is the map).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "schemas": {"domain"},
    "services": set(),  # the package's own __init__
    "services.infra": {"domain"},
    "services.presentation": set(),
    "services.households": {"domain", "schemas", "services.infra"},
    "services.feeds": {"domain", "schemas", "services.infra", "services.households"},
    "services.whatif": {
        "domain", "services.infra", "services.households", "services.presentation",
    },
    "services.cases": {
        "domain", "schemas", "services.infra", "services.households", "services.presentation",
    },
    # The report reads the cases' view (两不愁 as home verification found it).
    "services.reports": {
        "domain", "schemas", "services.infra", "services.households", "services.presentation",
        "services.cases",
    },
    # The pushes follow the cases' log (which events are a case's).
    "services.notify": {
        "domain", "schemas", "services.infra", "services.presentation", "services.cases",
    },
    "services.monitor": {"domain", "schemas", "services.infra", "services.households"},
    # The alerts process wires every context and serves their pages.
    "services.alerts": {
        "domain", "schemas", "services.infra", "services.households", "services.presentation",
        "services.cases", "services.feeds", "services.notify", "services.reports",
        "services.whatif",
    },
    # The CLI opens the stores through the two processes' wiring (bootstrap).
    "services.cli": {
        "domain", "schemas", "services.infra", "services.households", "services.presentation",
        "services.cases", "services.feeds", "services.reports", "services.whatif",
        "services.alerts", "services.monitor",
    },
    "synthetic": {
        "domain", "services.infra", "services.households", "services.presentation",
        "services.cases", "services.alerts", "services.monitor", "services.cli",
    },
    "bench": {
        "domain", "schemas", "services.infra", "services.households", "services.presentation",
        "services.cases", "services.reports", "services.whatif", "services.alerts",
        "services.monitor", "synthetic",
    },
}  # fmt: skip
LOWER = ("domain", "schemas", "services.infra", "services.presentation", "services.households")
CONTEXTS = (
    "services.cases", "services.notify", "services.feeds", "services.reports", "services.whatif",
)  # fmt: skip
ENTRY = ("services.alerts", "services.monitor", "services.cli", "synthetic", "bench")


def package(module: str) -> str:
    """``services.cases.notice`` -> ``services.cases``; ``domain.risk`` -> ``domain``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "services" and len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports (a name imported from a package
    counts as its submodule when there is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    paths = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p) for p in paths}
    edges = {module_name(p): imports(p, modules) for p in paths}
    # A package's __init__ importing its own submodules is not a cycle of
    # theirs: a submodule importing the package means its parent modules.
    return {m: {d for d in ds if d != m and not m.startswith(d + ".")} for m, ds in edges.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_takes_part_in_an_import_cycle():
    edges = graph()
    assert "services.alerts.service" in edges["services.cli.operators"]  # the graph is read
    assert cycles(edges) == []


def project_modules() -> dict[str, Path]:
    paths = [p for top in PACKAGES + ENTRY_POINTS for p in (ROOT / top).rglob("*.py")]
    return {module_name(p): p for p in paths}


def imported_packages(path: Path) -> set[str]:
    """The project's packages ``path`` imports (``from services import cli``
    names the CLI's package, not ``services``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return {package(n) for n in names if n.split(".")[0] in PACKAGES + ENTRY_POINTS}


def package_imports() -> dict[str, dict[str, set[str]]]:
    """package -> each package it imports -> the modules that import it."""
    found: dict[str, dict[str, set[str]]] = {}
    for name, path in project_modules().items():
        own = package(name)
        found.setdefault(own, {})
        for other in imported_packages(path) - {own}:
            found[own].setdefault(other, set()).add(name)
    return found


def outside(used: dict[str, dict[str, set[str]]], allowed: dict[str, set[str]]) -> dict:
    """The imports no line allows: (package, imported package) -> modules."""
    return {
        (own, other): sorted(by)
        for own, others in used.items()
        for other, by in others.items()
        if other not in allowed.get(own, set())
    }


def test_the_checker_finds_a_forbidden_import():
    used = {"a": {"b": {"a.x"}, "c": {"a.y", "a.z"}}}
    assert outside(used, {"a": {"b"}}) == {("a", "c"): ["a.y", "a.z"]}
    assert outside(used, {"a": {"b", "c"}}) == {}


def test_every_package_has_its_line():
    assert set(package_imports()) == set(ALLOWED)


def test_each_package_imports_only_what_its_line_allows():
    used = package_imports()
    assert "services.presentation" in used["services.cases"]  # the graph is read
    assert outside(used, ALLOWED) == {}


def test_each_allowance_is_one_in_use():
    # The lines are the map of today's dependencies: one that went away goes.
    used = package_imports()
    unused = {own: sorted(deps - set(used.get(own, {}))) for own, deps in ALLOWED.items()}
    assert {own: deps for own, deps in unused.items() if deps} == {}


def test_the_lines_point_inwards():
    # The domain does no I/O and knows no adapter; contracts know no service.
    assert ALLOWED["domain"] == set()
    assert ALLOWED["schemas"] <= {"domain"}
    # Shared infrastructure, presentation and the households' store serve
    # every context and import none of them; presentation imports nothing.
    assert ALLOWED["services.presentation"] == set()
    for lower in LOWER:
        assert ALLOWED[lower] <= set(LOWER), lower
    # A context imports no entry point (and the two processes not each other).
    for context in CONTEXTS:
        assert not ALLOWED[context] & set(ENTRY), context
    assert "services.monitor" not in ALLOWED["services.alerts"]
    assert "services.alerts" not in ALLOWED["services.monitor"]
    # The product never imports the synthetic county or the benchmarks.
    for own, deps in ALLOWED.items():
        if package(own) not in ENTRY_POINTS:
            assert not deps & {"synthetic", "bench", "tests"}, own


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := _dotted(node.value)):
        return f"{base}.{node.attr}"
    return None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(tree: ast.AST, own: str, modules: set[str]) -> list[str]:
    """Names with a leading underscore that a module of package ``own`` takes
    from another package's modules: imported by name, or read as an
    attribute of a module it imported."""
    found: list[str] = []
    bound: dict[str, str] = {}  # a local name -> the project module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname and a.name in modules:
                    bound[a.asname] = a.name
                elif not a.asname:
                    bound[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in modules:
                    bound[a.asname or a.name] = full
                elif _private(a.name) and package(node.module) != own:
                    found.append(full)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = _dotted(node.value)
            head, _, rest = (base or "").partition(".")
            module = ".".join(filter(None, (bound.get(head), rest)))
            if module in modules and package(module) != own:
                found.append(f"{module}.{node.attr}")
    return found


def test_the_checker_finds_a_private_name():
    modules = {"services.cases.notice", "services.cases", "services"}
    tree = ast.parse(
        "import services.cases.notice\n"
        "from services.cases.notice import _face, find_font\n"
        "from services.cases import notice as n\n"
        "n._HINT, n.__name__, services.cases.notice._ZH_CN\n"
    )
    found = private_uses(tree, "services.reports", modules)
    assert sorted(found) == [
        "services.cases.notice._HINT",
        "services.cases.notice._ZH_CN",
        "services.cases.notice._face",
    ]
    assert private_uses(tree, "services.cases", modules) == []


def test_no_module_takes_another_packages_private_names():
    modules = project_modules()
    found = {
        name: uses
        for name, path in sorted(modules.items())
        if (uses := private_uses(ast.parse(path.read_text()), package(name), set(modules)))
    }
    assert found == {}
