"""Markdown and reStructuredText syntax blanked out, every character kept in place.

What is embedded, indexed and shown should be the words, not ``-----------``
under a heading or ``](https://...)`` after a link. Stripping the syntax would
move the text, and chunk spans must index the file's own characters (a hit's
span points at the original). So syntax is *blanked*: each markup character
becomes a space (newlines stay), and the result has exactly the length of the
original: ``masked[i]`` is either ``original[i]`` or a space. The models and
the keyword analyser skip the spaces; snippets collapse them for display.

Parsers (markdown-it-py, docutils) give line numbers, not character offsets
inside a line, so the syntax is found with patterns for what documents
commonly hold: heading marks and underlines, code-fence lines, link and image
syntax, emphasis and code markers, list bullets, quote marks, table rules,
HTML tags (Markdown), directives, roles, hyperlink targets and ``::`` (reST).
Code inside fences or literal blocks is kept: it is content.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# --- Markdown -----------------------------------------------------------------------

_MD_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*$", re.MULTILINE)
_MD_ATX = re.compile(r"^( {0,3}#{1,6})(?=[ \t]|$)|[ \t]+(#+)[ \t]*$", re.MULTILINE)
_MD_SETEXT = re.compile(r"(?<=\S)([ \t]*\n)( {0,3}(?:=+|-+)[ \t]*)$", re.MULTILINE)
_MD_RULE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$", re.MULTILINE)
_MD_QUOTE = re.compile(r"^( {0,3}(?:>[ \t]?)+)", re.MULTILINE)
_MD_BULLET = re.compile(r"^([ \t]*[-*+])(?=[ \t])", re.MULTILINE)
_MD_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.M
)
_MD_TABLE_PIPE = re.compile(r"(?<!\\)\|")
_MD_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.MULTILINE)
# [label](target) and ![alt](target): the label stays, the brackets and target go.
_MD_LINK = re.compile(r"(!?\[)([^\]\n]*)(\]\([^)\n]*\)|\]\[[^\]\n]*\])")
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>")
_MD_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_MD_EMPHASIS = re.compile(r"(\*{1,3}|(?<!\w)_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)")
_MD_CODE = re.compile(r"(`+)(?=\S)(.+?)(?<=\S)\1")

# --- reStructuredText ---------------------------------------------------------------

_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$", re.MULTILINE)
_RST_DIRECTIVE = re.compile(r"^[ \t]*\.\.[ \t]+[\w:.+-]+::.*$", re.MULTILINE)
_RST_TARGET = re.compile(r"^[ \t]*\.\.[ \t]+(?:_[^:\n]+|\[[^\]\n]+\]|\|[^|\n]+\|[^\n]*):.*$", re.M)
_RST_COMMENT = re.compile(r"^[ \t]*\.\.(?:[ \t]*$|[ \t]+(?![\w:.+-]+::)(?![_\[|]).*$)", re.M)
_RST_FIELD_OPTION = re.compile(r"^[ \t]+:[\w -]+:.*$", re.MULTILINE)  # a directive's options
_RST_LITERAL_MARK = re.compile(
    r"(?<=\S:):[ \t]*$|^[ \t]*::[ \t]*$", re.MULTILINE
)  # "a::" reads "a:"
_RST_BULLET = re.compile(r"^([ \t]*[*+•-])(?=[ \t])", re.MULTILINE)
_RST_TABLE_RULE = re.compile(r"^[ \t]*\+(?:[-=]+\+)+[ \t]*$|^[ \t]*=+(?:[ \t]+=+)+[ \t]*$", re.M)
_RST_TABLE_PIPE = re.compile(r"^[ \t]*\||\|[ \t]*$|(?<= )\|(?= )", re.MULTILINE)
# `text <target>`_ and `text`_: the text stays.
_RST_LINK = re.compile(r"(`)([^`<\n]+?)((?:[ \t]*<[^>\n]*>)?`__?)")
_RST_ROLE = re.compile(r"(:[\w.+-]+:)(`)([^`\n]+?)(`)|(`)([^`\n]+?)(`)(:[\w.+-]+:)")
_RST_INLINE = re.compile(r"(\*\*|\*|``)(?=\S)(.+?)(?<=\S)\1")
_RST_REFERENCE_NAME = re.compile(r"(?<=\w)(__?)(?=[\s.,;:!?)]|$)|\|(?=\w[^|\n]*\|)|(?<=\w)\|")


def mask_markdown(text: str) -> str:
    """``text`` with its Markdown syntax replaced by spaces (same length)."""
    chars = list(text)
    code = _fenced_ranges(text)
    outside = _outside(code)
    _blank_all(chars, _MD_FENCE, outside_code=None)
    _blank_groups(chars, _MD_ATX, outside, groups=(1, 2))
    _blank_groups(chars, _MD_SETEXT, outside, groups=(2,))
    _blank_all(chars, _MD_RULE, outside)
    _blank_groups(chars, _MD_QUOTE, outside)
    _blank_groups(chars, _MD_BULLET, outside)
    _blank_all(chars, _MD_TABLE_RULE, outside)
    _blank_all(chars, _MD_REFERENCE, outside)
    _blank_all(chars, _MD_TAG, outside)
    _blank_groups(chars, _MD_LINK, outside, groups=(1, 3))
    _blank_edges(chars, _MD_AUTOLINK, outside)
    _blank_groups(chars, _MD_CODE, outside, groups=(1,), closing=True)
    _blank_groups(chars, _MD_EMPHASIS, outside, groups=(1,), closing=True)
    _blank_all(chars, _MD_TABLE_PIPE, outside)
    return "".join(chars)


def mask_rst(text: str) -> str:
    """``text`` with its reStructuredText syntax replaced by spaces (same length)."""
    chars = list(text)
    _blank_all(chars, _RST_ADORNMENT, None)
    _blank_all(chars, _RST_DIRECTIVE, None)
    _blank_all(chars, _RST_TARGET, None)
    _blank_all(chars, _RST_COMMENT, None)
    _blank_all(chars, _RST_FIELD_OPTION, _after_directive(text))
    _blank_all(chars, _RST_LITERAL_MARK, None)
    _blank_groups(chars, _RST_BULLET, None)
    _blank_all(chars, _RST_TABLE_RULE, None)
    _blank_all(chars, _RST_TABLE_PIPE, None)
    _blank_groups(chars, _RST_ROLE, None, groups=(1, 2, 4, 5, 7, 8))
    _blank_groups(chars, _RST_LINK, None, groups=(1, 3))
    _blank_groups(chars, _RST_INLINE, None, groups=(1,), closing=True)
    _blank_all(chars, _RST_REFERENCE_NAME, None)
    return "".join(chars)


# --- helpers ------------------------------------------------------------------------

Inside = Callable[[int], bool] | None


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _blank_all(chars: list[str], pattern: re.Pattern[str], outside_code: Inside) -> None:
    for match in pattern.finditer("".join(chars)):
        if outside_code is None or outside_code(match.start()):
            _blank(chars, match.start(), match.end())


def _blank_groups(
    chars: list[str],
    pattern: re.Pattern[str],
    outside_code: Inside,
    groups: tuple[int, ...] = (1,),
    *,
    closing: bool = False,
) -> None:
    """Blank the given groups of each match; ``closing``: also the match's last
    len(group 1) characters (the closing marker of a paired ``**x**``)."""
    for match in pattern.finditer("".join(chars)):
        if outside_code is not None and not outside_code(match.start()):
            continue
        for group in groups:
            if match.group(group) is not None:
                _blank(chars, *match.span(group))
        if closing:
            _blank(chars, match.end() - len(match.group(1)), match.end())


def _blank_edges(chars: list[str], pattern: re.Pattern[str], outside_code: Inside) -> None:
    """Blank the first and last character of each match (``<`` and ``>``)."""
    for match in pattern.finditer("".join(chars)):
        if outside_code is None or outside_code(match.start()):
            _blank(chars, match.start(), match.start() + 1)
            _blank(chars, match.end() - 1, match.end())


def _fenced_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of fenced code blocks (fence lines included)."""
    ranges: list[tuple[int, int]] = []
    opening: re.Match[str] | None = None
    for fence in _MD_FENCE.finditer(text):
        if opening is None:
            opening = fence
        elif fence.group(1)[0] == opening.group(1)[0] and len(fence.group(1)) >= len(
            opening.group(1)
        ):
            ranges.append((opening.start(), fence.end()))
            opening = None
    if opening is not None:  # an unclosed fence runs to the end (CommonMark)
        ranges.append((opening.start(), len(text)))
    return ranges


def _outside(ranges: list[tuple[int, int]]) -> Callable[[int], bool]:
    def outside(position: int) -> bool:
        return not any(start <= position < end for start, end in ranges)

    return outside


def _after_directive(text: str) -> Callable[[int], bool]:
    """Whether a position is in the indented option lines right after a directive."""
    options: list[tuple[int, int]] = []
    for directive in _RST_DIRECTIVE.finditer(text):
        end = directive.end()
        for line in re.finditer(r"\n([ \t]+:[\w -]+:.*)", text[end:]):
            if line.start() != end - directive.end():
                break
            end = directive.end() + line.end()
        options.append((directive.end(), end))
    return lambda position: any(start <= position < end for start, end in options)
