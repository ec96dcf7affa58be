"""Mark the query's words in a snippet, safely: every piece of text is escaped
before any markup is added around it.

A word is marked when keyword search would match it: its index term (lower
case, Porter stem: searchapp.keywords) is one of the query's analysed terms.
So "keeping" is marked for "keep", stop words ("the", "of") never are, and
"catalog" is not marked for "cat". The snippet is split at those words *before*
escaping, and each piece is escaped on its own: matching in already-escaped text
would find words inside entities. No piece of the snippet reaches the page
unescaped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from searchapp.keywords import STOP_WORDS, analyze, stem_words

_WORD = re.compile(r"\w+", re.UNICODE)


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with the words that match the query's terms wrapped in <mark>."""
    wanted = set(analyze(query).split())
    if not wanted:
        return Markup(escape(text))
    words = list(_WORD.finditer(text))
    terms = stem_words([word.group().lower() for word in words])
    pieces: list[str] = []
    last = 0
    for word, term in zip(words, terms, strict=True):
        if term not in wanted or word.group().lower() in STOP_WORDS:
            continue
        pieces.append(str(escape(text[last : word.start()])))
        pieces.append(f"<mark>{escape(word.group())}</mark>")
        last = word.end()
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))
