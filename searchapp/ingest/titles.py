"""Titles in front of chunks: what the models read is "title chunk", as MTEB does.

A chunk in the middle of a long document often never names its subject; the
title puts it back. The title's word pieces come out of the chunk's share of
the model's window, so nothing is truncated by the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from searchapp.chunking import Tokenizer

# A title longer than this share of the window is cut: a "title" that long is
# prose (a first line), and the chunk must keep most of the window.
_MAX_TITLE_SHARE = 4
# A chunk that starts with its title (the heading of a Markdown file) gets no copy.
_TITLE_SLACK_CHARS = 8


@dataclass(frozen=True)
class Title:
    text: str
    tokens: int  # word pieces of ``text``

    def prefix(self, chunk: str) -> str:
        """What the models read for ``chunk``."""
        if not self.text or self.text in chunk[: len(self.text) + _TITLE_SLACK_CHARS]:
            return chunk
        return f"{self.text} {chunk}"


class TitlePrefixer:
    def __init__(self, tokenizer: Tokenizer, max_tokens: int) -> None:
        self._tokenizer = tokenizer
        self._max_title_tokens = max_tokens // _MAX_TITLE_SHARE

    def title(self, title: str) -> Title:
        """``title`` measured in word pieces, cut to at most a quarter of the window."""
        title = " ".join(title.split())
        if not title:
            return Title("", 0)
        encoding = self._tokenizer(
            title, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        offsets = encoding["offset_mapping"]  # type: ignore[index]
        if len(offsets) > self._max_title_tokens:
            title = title[: offsets[self._max_title_tokens - 1][1]]
            return Title(title, self._max_title_tokens)
        return Title(title, len(offsets))
