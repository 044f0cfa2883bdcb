"""The package's layers (DESIGN.md, "Architecture"): text rules at the bottom, no import circles through them.

Imports are read from the source with ``ast``, including imports inside functions (they are circles all
the same, only deferred); imports under ``if TYPE_CHECKING:`` are left out unless stated.
"""

from __future__ import annotations

import ast
from pathlib import Path

import policypulse

ROOT = Path(policypulse.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, *, type_checking: bool = False) -> set[str]:
    """The policypulse modules that ``module`` imports (packages resolved to their ``__init__``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skip: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for n in ast.walk(node))
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if name.startswith("policypulse") and (target := _resolve(name)) and target != module:
                out.add(target)
    return out


def _reaches(start: str, goal: str, *, type_checking: bool = False) -> bool:
    # The top package's names load lazily on first use (policypulse/__init__.py), so "from policypulse import
    # __version__" does not import the API: the top package is not followed.
    seen, todo = {"policypulse"}, [start]
    while todo:
        for nxt in _imports(todo.pop(), type_checking=type_checking):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def test_text_rules_are_the_bottom_layer() -> None:
    assert _imports("policypulse.text", type_checking=True) == {"policypulse._marks"}
    assert _imports("policypulse._marks", type_checking=True) == set()


def test_store_and_spark_ingest_do_not_import_the_query_language() -> None:
    # The one exception: Spark ingest starts its session with the Spark engine's helper (not a text rule).
    allowed = {"policypulse.query.engines.spark"}
    for module in MODULES:
        if module.startswith("policypulse.corpus"):
            bad = {m for m in _imports(module, type_checking=True) if m.startswith("policypulse.query")} - allowed
            assert not bad, f"{module} imports {bad}"
    assert "policypulse.text" in _imports("policypulse.corpus.ingest")
    assert "policypulse.text" in _imports("policypulse.corpus.spark_ingest")
    assert "policypulse.text" in _imports("policypulse.query.parser")


def test_named_circles_are_open() -> None:
    # precedents is an analysis: it is called by the API and never imports it, not even for types.
    for module in MODULES:
        if module.startswith("policypulse.precedents"):
            assert not _reaches(module, "policypulse.api", type_checking=True), module
    # lifecycle/result.py imports compare and plot (for .sentence() and .plot()); they must not import it back.
    assert not _reaches("policypulse.lifecycle.result", "policypulse.lifecycle.result")
    assert not _reaches("policypulse.text", "policypulse.text", type_checking=True)
