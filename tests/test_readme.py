"""The README and docs/ state what is true: the settings table is the settings
class, the front page names the two set-up commands, and every relative link
leads to a file (and heading) that exists."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~)")


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_readme", REPO / "tools" / "sync_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_table_is_current() -> None:
    text = (REPO / "docs" / "configuration.md").read_text()
    assert _sync_module().synced(text) == text, "run: .venv/bin/python tools/sync_readme.py"


def test_sync_check_mode_agrees() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "sync_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_readme_names_both_commands() -> None:
    text = (REPO / "README.md").read_text()
    assert "make run" in text and "make test" in text


def _prose_lines(text: str) -> list[str]:
    """The lines outside code fences: links in code are not links."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'."""
    seen: dict[str, int] = {}
    anchors = set()
    for line in _prose_lines(path.read_text()):
        heading = re.match(r"^#{1,6} (.+?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _relative_links(path: Path) -> list[str]:
    links = []
    for line in _prose_lines(path.read_text()):
        line = re.sub(r"`[^`]*`", "", line)  # inline code is not a link either
        links += [t for t in _LINK.findall(line) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]
    return links


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for link in _relative_links(doc):
        target, _, anchor = link.partition("#")
        file = (doc.parent / target).resolve() if target else doc
        if not file.exists():
            broken.append(f"{link}: no file {file}")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{link}: no heading #{anchor} in {file.name}")
    assert not broken, "\n".join(broken)


def test_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\n## Two words\n\n[x](b.md) [y](#two-words) [z](#nope)\n")
    assert _relative_links(tmp_path / "a.md") == ["b.md", "#two-words", "#nope"]
    assert _anchors(tmp_path / "a.md") == {"a", "two-words"}
