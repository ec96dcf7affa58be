"""Rewrite the settings table of docs/configuration.md from the settings class.

Run after adding or changing a setting: ``.venv/bin/python tools/sync_readme.py``.
``--check`` changes nothing and exits 1 while the table and the settings disagree;
tests/test_readme.py checks the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

from searchapp.config import settings_table

CONFIGURATION = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def synced(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{settings_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    text = CONFIGURATION.read_text()
    if "--check" in argv:
        if synced(text) != text:
            print(f"{CONFIGURATION} is out of date: run tools/sync_readme.py", file=sys.stderr)
            return 1
        return 0
    CONFIGURATION.write_text(synced(text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
