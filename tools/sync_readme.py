"""Rewrite the README's configuration table from the settings class.

Run after adding or changing a setting: ``.venv/bin/python tools/sync_readme.py``.
tests/test_readme.py fails while the README and the settings disagree.
"""

from __future__ import annotations

from pathlib import Path

from searchapp.config import settings_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def synced(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{settings_table()}\n{END}{tail}"


if __name__ == "__main__":
    README.write_text(synced(README.read_text()))
