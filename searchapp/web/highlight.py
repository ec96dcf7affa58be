"""Mark the query's words in a snippet, safely: every piece of text is escaped
before any markup is added around it.

The snippet is split at the query's words *before* escaping, and each piece
is escaped on its own: matching in already-escaped text would find words
inside entities (a query "amp" or "quot" would split ``&amp;`` or ``&quot;``
and break them). No piece of the snippet reaches the page unescaped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from searchapp.keywords import STOP_WORDS

_WORD = re.compile(r"\w+", re.UNICODE)
# Stop words ("of", "with") match everywhere and mean little: they are not marked.
# Longer words also mark the words they begin ("keep" marks "keeping"); short
# ones only themselves and their plurals ("cat" marks "cats", "do" not "double").
_PREFIX_CHARS = 4
_PREFIX, _WHOLE = r"\w*", r"(?:e?s)?\b"
_MAX_TERMS = 32


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with the words that match the query's wrapped in <mark>."""
    terms = sorted(
        {word.lower() for word in _WORD.findall(query) if word.lower() not in STOP_WORDS},
        key=len,
        reverse=True,  # longest first, so "bread" wins over "bre" at one position
    )[:_MAX_TERMS]
    if not terms:
        return Markup(escape(text))
    alternatives = (
        re.escape(term) + (_PREFIX if len(term) >= _PREFIX_CHARS else _WHOLE) for term in terms
    )
    pattern = re.compile(r"\b(?:" + "|".join(alternatives) + ")", re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))
