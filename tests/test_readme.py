"""The README states what is true: its settings table is the settings class."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_readme", REPO / "tools" / "sync_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_table_is_current() -> None:
    text = (REPO / "README.md").read_text()
    assert _sync_module().synced(text) == text, "run: .venv/bin/python tools/sync_readme.py"


def test_readme_names_both_commands() -> None:
    text = (REPO / "README.md").read_text()
    assert "make run" in text and "make test" in text
