"""Which app may import which: the table of docs/architecture.md, checked on the source.

Every ``import`` and ``from … import`` of every module of the project's apps (at any depth: inside
functions too, and under ``TYPE_CHECKING``) is read with ``ast``; an import of another app that the
table does not allow fails ``test_imports_follow_the_allowed_directions`` naming the file, the line
and the rule. The same table is printed in docs/architecture.md, and a test keeps the two equal.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# app -> the apps it may import (besides itself, Django, and third-party libraries). The base app
# imports no other app; domain apps build on the registry (achievements); the home page only on the
# base app's registry (its cards are the other apps' registrations); the project package
# (settings, root URLconfs) reaches the apps through dotted strings and the registry.
ALLOWED_IMPORTS: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "accounts": frozenset({"core"}),
    "notifications": frozenset({"core", "accounts"}),
    "achievements": frozenset({"core", "accounts", "notifications"}),
    "exchange": frozenset({"core", "accounts", "notifications", "achievements"}),
    "dashboards": frozenset({"core", "accounts", "notifications", "achievements"}),
    "reviews": frozenset({"core", "accounts", "notifications"}),
    "reports": frozenset({"core", "accounts", "notifications", "achievements", "dashboards", "reviews"}),
    "pilots": frozenset({"core", "accounts", "notifications", "achievements", "dashboards", "reviews"}),
    "incentives": frozenset(
        {"core", "accounts", "notifications", "achievements", "dashboards", "reviews", "pilots", "reports"}
    ),
    "home": frozenset({"core"}),
    "liaoning_tt": frozenset({"core"}),
}

# Folders of the repository that are not apps (anything may be imported there).
NOT_APPS = {
    "tests",
    "benchmarks",
    "docs",
    "templates",
    "static",
    "locale",
    "media",
    "staticfiles",
    "node_modules",
}


def project_packages() -> set[str]:
    """Top-level Python packages of the repository (an ``__init__.py`` at the top of the folder)."""
    return {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_APPS and not path.parent.name.startswith(".")
    }


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: str  # its file, relative to the repository
    line: int
    target: str  # the imported module, dotted (a name imported from a module counts as the module)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[Import]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    relative = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [Import(name, relative, node.lineno, target) for target in targets]
    return found


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in project_packages():
        for path in (ROOT / package).rglob("*.py"):
            modules[module_name(path)] = path
    return modules


def forbidden_imports(allowed: dict[str, frozenset[str]]) -> list[str]:
    packages = project_packages()
    found: dict[tuple[str, int, str], str] = {}  # (file, line, app imported) -> the module named
    for module, path in sorted(project_modules().items()):
        app = module.split(".")[0]
        for imp in imports_of(path):
            target_app = imp.target.split(".")[0]
            if target_app in packages and target_app != app and target_app not in allowed.get(app, ()):
                key = (imp.path, imp.line, app)
                if key not in found or len(imp.target) < len(found[key]):
                    found[key] = imp.target
    problems = []
    for (path, line, app), target in sorted(found.items()):
        may = ", ".join(sorted(allowed.get(app, ()))) or "no other app"
        problems.append(f"{path}:{line}: {app} imports {target} ({app} may import: {may})")
    return problems


def test_every_app_has_a_row():
    """A new app declares which apps it may import (here and in docs/architecture.md)."""
    missing = project_packages() - set(ALLOWED_IMPORTS)
    assert not missing, f"apps without a row in ALLOWED_IMPORTS: {sorted(missing)}"
    unknown = {target for targets in ALLOWED_IMPORTS.values() for target in targets} - set(ALLOWED_IMPORTS)
    assert not unknown, unknown


def test_imports_follow_the_allowed_directions():
    problems = forbidden_imports(ALLOWED_IMPORTS)
    assert not problems, "imports against the table of docs/architecture.md:\n" + "\n".join(problems)


def test_the_allowed_directions_have_no_cycle():
    """The table itself is a layering: no two apps may import each other, even through others."""

    def reaches(start: str, goal: str, seen=()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt)))
            for nxt in ALLOWED_IMPORTS[start]
        )

    assert not [app for app in ALLOWED_IMPORTS if reaches(app, app)]


def test_no_module_imports_itself_back():
    """No import cycle between the project's modules (function-level imports included): e.g. the
    statistics receiver and tasks once imported each other; scheduling now lives in its own module."""
    modules = project_modules()
    graph = {
        name: {imp.target for imp in imports_of(path) if imp.target in modules and imp.target != name}
        for name, path in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    assert not cycles, f"modules that import each other: {cycles}"


def test_no_module_imports_another_modules_private_names():
    """A name with a leading underscore is its module's own: another module that needs it gets a
    public name (e.g. ``exchange.validation.max_problems`` for ``exchange.added``)."""
    found = []
    for path in sorted(project_modules().values()):
        relative = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
            if isinstance(node, ast.ImportFrom):
                found += [
                    f"{relative}:{node.lineno}: imports {alias.name} from {'.' * node.level}{node.module or ''}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert not found, "private names imported from another module:\n" + "\n".join(found)


# --- the checker itself fails on a forbidden import ------------------------------------------------


def test_a_forbidden_import_is_reported(tmp_path, monkeypatch):
    """The checks work: the base app importing a domain app is reported with its file and line."""
    for app in ("core", "achievements"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    (tmp_path / "core" / "views.py").write_text(
        "import os\n\n\ndef f():\n    from achievements.models import Unit\n"
    )
    (tmp_path / "achievements" / "models.py").write_text("from core.models import TimeStampedModel\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    problems = forbidden_imports({"core": frozenset(), "achievements": frozenset({"core"})})
    assert problems == ["core/views.py:5: core imports achievements.models (core may import: no other app)"]
    assert forbidden_imports({"core": frozenset({"achievements"}), "achievements": frozenset({"core"})}) == []


def test_a_relative_import_counts_as_its_module(tmp_path, monkeypatch):
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "__init__.py").write_text("")
    (tmp_path / "dashboards" / "tasks.py").write_text("from .receivers import x\nfrom . import engine\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    targets = {imp.target for imp in imports_of(tmp_path / "dashboards" / "tasks.py")}
    assert {"dashboards.receivers", "dashboards.engine"} <= targets


# --- the documented table is this table ------------------------------------------------------------


def documented_table() -> dict[str, frozenset[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- allowed-imports -->(.*?)<!-- /allowed-imports -->", text, re.S)
    assert block, "docs/architecture.md has no allowed-imports table"
    table = {}
    for line in block.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        app = cells[0].strip("`")
        table[app] = frozenset(re.findall(r"`(\w+)`", cells[1]))
    return table


def test_docs_show_the_same_table():
    assert documented_table() == ALLOWED_IMPORTS
