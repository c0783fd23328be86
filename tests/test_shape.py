"""The product's code stays readable in pieces: no module over 400 lines and
no function over 80, in every folder but the tests (the synthetic county and
the benchmarks too: docs/architecture.md says where each kind of change goes;
a piece past these sizes is the place to split). The performance notes
hold the present only (the newest run of each section; the earlier ones are
in git history and the figures' JSON files), and every link in the docs lands."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("domain", "schemas", "services")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
PERFORMANCE = ROOT / "docs" / "performance.md"
MAX_PERFORMANCE_LINES = 150


def _modules() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


def _sized() -> list[Path]:
    """Every module outside the tests: each top folder of the repository (a
    new one is covered the day it is made), but not hidden ones (.venv)."""
    tops = [
        d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name != "tests"
    ]
    return sorted([p for top in tops for p in top.rglob("*.py")] + list(ROOT.glob("*.py")))


def test_the_sizes_cover_every_folder_but_the_tests():
    tops = {p.relative_to(ROOT).parts[0] for p in _sized()}
    assert {*PRODUCT, "synthetic", "bench"} <= tops
    assert "tests" not in tops


def test_no_module_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _sized()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_80_lines():
    long = {}
    for p in _sized():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{p.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    assert long == {}


def test_the_product_never_imports_the_synthetic_county():
    found = [
        str(p.relative_to(ROOT))
        for p in _modules()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            name.split(".")[0] in ("synthetic", "bench", "tests")
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        )
    ]
    assert found == []


def _imports(top: str) -> dict[str, set[str]]:
    """Each module under ``top`` and the modules it imports."""
    out = {}
    for p in sorted((ROOT / top).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        out[str(p.relative_to(ROOT))] = names
    return out


def _reaching(top: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        module: sorted(n for n in names if n.startswith(forbidden))
        for module, names in _imports(top).items()
        if any(n.startswith(forbidden) for n in names)
    }


def test_dependencies_point_inwards():
    # The domain does no I/O and knows no adapter; contracts know no service.
    assert _reaching("domain", ("services", "schemas")) == {}
    assert _reaching("schemas", ("services",)) == {}
    # Shared infrastructure and the households' store serve both services
    # and import neither; the two services import each other's nothing.
    assert _reaching("services/infra", ("services.monitor", "services.alerts")) == {}
    assert _reaching("services/households", ("services.monitor", "services.alerts")) == {}
    assert _reaching("services/alerts", ("services.monitor",)) == {}
    assert _reaching("services/monitor", ("services.alerts",)) == {}


def test_the_performance_notes_stay_at_most_150_lines():
    lines = len(PERFORMANCE.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_PERFORMANCE_LINES, f"docs/performance.md has {lines} lines"


def _anchor(heading: str) -> str:
    # GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_docs_links_reach_their_files_and_sections():
    # The notes are cut down often; a link into or out of them must still land.
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path) if path else doc
            if not linked.exists():
                broken.append(f"{doc.name}: {target}")
            elif anchor and linked.is_file():
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{doc.name}: {target}")
    assert broken == []
