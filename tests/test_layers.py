"""The layering docs/architecture.md states holds: each package imports only the
packages below it (to its right in the diagram), never upwards.

Read from the source with ast, so imports inside functions count too and nothing
is imported to check."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "searchapp"

# Top to bottom; a package may import itself and anything after it.
LAYERS = [
    "cli",
    "web",
    "worker",
    "evaluate",
    "ingest",
    "app",
    "model_catalog",
    "doctor",
    "explore",
    "search",
    "store",
    "embed",
    "media",
    "chunking",
    "keywords",
    "auth",
    "extract",
]
# Used by every layer; they import nothing of the layers above.
SHARED = {"config", "errors", "faults", "item_ids", "private", "sqlitedb"}


def _imports(path: Path) -> set[str]:
    """The searchapp packages a module imports (first name after ``searchapp.``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("searchapp.")}
    return found


def _upward_imports() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        own = parts[0]
        if own == "__init__":
            continue
        for imported in _imports(path) - {own}:
            if own in SHARED:
                allowed = imported in SHARED
            else:
                allowed = imported in SHARED or (
                    imported in LAYERS and LAYERS.index(imported) > LAYERS.index(own)
                )
            if not allowed:
                wrong.append(f"{path.relative_to(PACKAGE.parent)} imports searchapp.{imported}")
    return wrong


def test_every_package_is_placed() -> None:
    packages = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    packages = {p for p in packages if not p.startswith("_") and p not in {"static", "templates"}}
    assert packages <= set(LAYERS) | SHARED, "place the new package in LAYERS (and the docs)"


def test_no_package_imports_upwards() -> None:
    assert not _upward_imports(), "\n".join(_upward_imports())
