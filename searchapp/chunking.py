"""Split text into chunks that fit the embedding model's window, keeping char spans.

Chunks are measured in the model's own word pieces, so none is silently
truncated by the model. Each chunk is a contiguous slice ``text[start:end]`` of
the document text: snippets and highlights show exactly what was embedded.

Boundaries fall on word starts (never inside a word, so re-tokenising a chunk
gives no more pieces than counted) and, where one is near the end of a window,
on a paragraph or sentence end, so chunks read as whole thoughts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

# A window may end early, at a sentence or paragraph end, if that keeps at least
# this share of it: short enough to read well, long enough not to waste vectors.
_MIN_FILL = 0.75
_SENTENCE_END = re.compile(r"[.!?;:][\"')\]]*$")


class Tokenizer(Protocol):
    def __call__(self, text: str, **kwargs: object) -> object: ...


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str


def chunk_text(text: str, tokenizer: Tokenizer, max_tokens: int, overlap: int) -> list[Chunk]:
    """Chunks of at most ``max_tokens`` word pieces, neighbours sharing ~``overlap``.

    Empty or whitespace-only text gives no chunks.
    """
    if overlap >= max_tokens:
        raise ValueError(f"overlap ({overlap}) must be smaller than max_tokens ({max_tokens})")
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    offsets: list[tuple[int, int]] = [tuple(o) for o in encoding["offset_mapping"]]  # type: ignore[index]
    if not offsets:
        return []
    word_start = [_is_word_start(text, offsets, i) for i in range(len(offsets))]

    chunks: list[Chunk] = []
    first = 0
    while first < len(offsets):
        last = _window_end(text, offsets, word_start, first, max_tokens)
        start, end = offsets[first][0], offsets[last - 1][1]
        chunks.append(Chunk(index=len(chunks), start=start, end=end, text=text[start:end]))
        if last >= len(offsets):
            break
        first = _next_start(word_start, first, last, overlap)
    return chunks


def _is_word_start(text: str, offsets: list[tuple[int, int]], i: int) -> bool:
    """True where a token begins a word: not a continuation piece of the previous one."""
    if i == 0:
        return True
    previous_end, start = offsets[i - 1][1], offsets[i][0]
    if start > previous_end:  # whitespace (or dropped characters) in between
        return True
    # Adjacent pieces: punctuation is split from words, so a piece that is or
    # follows a non-alphanumeric character starts a new word.
    return not (text[start - 1].isalnum() and text[start].isalnum())


def _window_end(
    text: str,
    offsets: list[tuple[int, int]],
    word_start: list[bool],
    first: int,
    max_tokens: int,
) -> int:
    """Exclusive token index ending the window that begins at ``first``."""
    limit = first + max_tokens
    if limit >= len(offsets):
        return len(offsets)
    # Back off to a word start so no word is cut (unless one word fills the window).
    last = limit
    while last > first + 1 and not word_start[last]:
        last -= 1
    if last == first + 1 and not word_start[last]:
        last = limit
    # Prefer a sentence or paragraph end in the window's last quarter.
    floor = first + max(1, int(max_tokens * _MIN_FILL))
    for candidate in range(last, floor, -1):
        if word_start[candidate] and _ends_sentence(text, offsets, candidate):
            return candidate
    return last


def _ends_sentence(text: str, offsets: list[tuple[int, int]], boundary: int) -> bool:
    """Whether the text before token ``boundary`` ends a sentence or paragraph."""
    previous_end, next_start = offsets[boundary - 1][1], offsets[boundary][0]
    gap = text[previous_end:next_start]
    if "\n\n" in gap or (gap.count("\n") >= 1 and gap.strip() == ""):
        return True
    return bool(gap) and bool(_SENTENCE_END.search(text[max(0, previous_end - 3) : previous_end]))


def _next_start(word_start: list[bool], first: int, last: int, overlap: int) -> int:
    """Start of the next window: ``overlap`` pieces back from ``last``, on a word start."""
    start = max(first + 1, last - overlap)
    while start < last and not word_start[start]:
        start += 1
    return start
