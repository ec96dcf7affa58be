"""Titles of plain, Markdown and reStructuredText documents.

Each finder returns ``None`` when the text has no title of its kind; the
reader then falls back to the file name. These are line-based heuristics,
not parsers: they only need to find the first heading, and they must not
mistake a ``# comment`` inside a code block for one.
"""

from __future__ import annotations

import re

#: A first line longer than this is a paragraph, not a title.
MAX_PLAIN_TITLE = 120

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# Lines that cannot be the text of a setext heading: list items, quotes,
# indented code, tables.
_NOT_SETEXT_TEXT = re.compile(r"^( {4}|\t| {0,3}([-+*]|\d{1,9}[.)])([ \t]|$)| {0,3}>|\s*\|)")
_FRONT_MATTER_TITLE = re.compile(r"""^title:[ \t]*(["']?)(.+?)\1[ \t]*$""")

# reST adornment: one repeated printable ASCII punctuation character.
_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")


def plain_title(text: str) -> str | None:
    """The first non-empty line, if it is short enough to be a title."""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            return stripped if len(stripped) <= MAX_PLAIN_TITLE else None
    return None


def markdown_title(text: str) -> str | None:
    """A front-matter ``title:``, else the first level-1 heading, else the first heading."""
    lines = text.split("\n")
    front_title, start = _front_matter(lines)
    if front_title:
        return front_title

    first_heading: str | None = None
    fence: str | None = None
    previous = ""  # the line a setext underline would turn into a heading
    for line in lines[start:]:
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        if match := _FENCE.match(line):
            fence = match.group(1)
            previous = ""
            continue
        heading: tuple[int, str] | None = None
        if match := _ATX.match(line):
            heading = (len(match.group(1)), (match.group(2) or "").strip())
        elif previous and (match := _SETEXT_UNDERLINE.match(line)):
            heading = (1 if match.group(1)[0] == "=" else 2, previous.strip())
        if heading is not None:
            level, title = heading
            if title and level == 1:
                return title
            first_heading = first_heading or title or None
            previous = ""
            continue
        previous = line if line.strip() and not _NOT_SETEXT_TEXT.match(line) else ""
    return first_heading


def rst_title(text: str) -> str | None:
    """The first section title: a line underlined, and optionally overlined, by punctuation."""
    lines = text.split("\n")
    for index, line in enumerate(lines[:-1]):
        below = lines[index + 1]
        if _ADORNMENT.match(line):
            # Overlined form: the title may be inset, the two adornments match.
            if index + 2 < len(lines) and below.strip() and not _ADORNMENT.match(below):
                under = lines[index + 2]
                if _ADORNMENT.match(under) and under.rstrip() == line.rstrip():
                    return below.strip()
            continue
        title = line.rstrip()
        follows_blank = index == 0 or not lines[index - 1].strip()
        if (
            title
            and not title[0].isspace()
            and follows_blank
            and _ADORNMENT.match(below)
            and _underline_fits(below.rstrip(), title)
        ):
            return title
    return None


def _underline_fits(underline: str, title: str) -> bool:
    # docutils accepts a short underline (with a warning) once it has 4+
    # characters; shorter ones make the pair an ordinary paragraph.
    return len(underline) >= len(title) or len(underline) >= 4


def _front_matter(lines: list[str]) -> tuple[str | None, int]:
    """A YAML front matter block's ``title:`` and the index of the line after the block."""
    if not lines or lines[0].rstrip() != "---":
        return None, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            for line in lines[1:index]:
                if match := _FRONT_MATTER_TITLE.match(line):
                    return match.group(2).strip(), index + 1
            return None, index + 1
    return None, 0
