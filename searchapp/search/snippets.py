"""Choose the part of a chunk worth showing: the passage that best meets the query."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:(?<=[.!?])\s+|\n\s*)(?=\S)")
# Markdown and reST chunks have their syntax blanked to spaces (extract._markup):
# runs of spaces, and of blank lines, are shown as one.
_SPACES = re.compile(r"[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
SNIPPET_CHARS = 320


@dataclass(frozen=True)
class Snippet:
    text: str
    start: int  # offsets of ``text`` within the chunk
    end: int


def choose_snippet(chunk: str, query: str, max_chars: int = SNIPPET_CHARS) -> Snippet:
    """A window of at most ``max_chars`` that starts at a sentence and holds the most
    query words (the chunk's start when none appears: dense hits often share none)."""
    if len(chunk) <= max_chars:
        return Snippet(_tidy(chunk), 0, len(chunk))
    terms = {w.lower() for w in _WORD.findall(query) if len(w) > 2}
    starts = [0] + [m.end() for m in _SENTENCE_START.finditer(chunk)]
    best_start, best_score = 0, 0
    for start in starts:
        window = chunk[start : start + max_chars].lower()
        score = sum(1 for term in terms if term in window)
        if score > best_score:
            best_start, best_score = start, score
    end = _word_end(chunk, best_start + max_chars)
    return Snippet(_tidy(chunk[best_start:end]), best_start, end)


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", _BLANK_LINES.sub("\n\n", text)).strip()


def _word_end(text: str, limit: int) -> int:
    if limit >= len(text):
        return len(text)
    cut = text.rfind(" ", 0, limit)
    return cut if cut > limit // 2 else limit
