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

_WORD = re.compile(r"\w+", re.UNICODE)
# Words this short are mostly articles and prepositions; marking them is noise.
_MIN_CHARS = 2
_MAX_TERMS = 32


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with words that start with a query word wrapped in <mark>."""
    terms = sorted(
        {word.lower() for word in _WORD.findall(query) if len(word) >= _MIN_CHARS},
        key=len,
        reverse=True,  # longest first, so "bread" wins over "bre" at one position
    )[:_MAX_TERMS]
    if not terms:
        return Markup(escape(text))
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(term) for term in terms) + r")\w*", re.IGNORECASE
    )
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))
