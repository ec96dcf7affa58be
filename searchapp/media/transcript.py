"""A transcript's segments -> text chunks for the text space, each with its time span.

The segments are joined one per line and chunked by :func:`chunk_text`, the
rule every text file follows (the text model's word pieces, its window,
overlap); a line break counts as a sentence end there, so windows end on
segment ends where one is near. Each chunk then gets the time from the start
of its first segment to the end of its last, so a hit's span always contains
the words that matched.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from searchapp.chunking import Chunk, Tokenizer, chunk_text
from searchapp.media.speech import Segment


@dataclass(frozen=True)
class TimedChunk:
    chunk: Chunk  # index, char span in the joined transcript, text
    start: float  # seconds
    end: float

    @property
    def text(self) -> str:
        return self.chunk.text


def transcript_text(segments: Sequence[Segment]) -> str:
    """The transcript as stored and chunked: one segment per line."""
    return "\n".join(segment.text for segment in segments)


class TranscriptTimes:
    """Where a stretch of :func:`transcript_text` is said: a char span -> seconds."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self._segments = list(segments)
        self._starts: list[int] = []  # char offset of each segment's line
        position = 0
        for segment in self._segments:
            self._starts.append(position)
            position += len(segment.text) + 1

    def span(self, char_start: int, char_end: int) -> tuple[float, float]:
        """From the start of the first segment the chars touch to the end of the last,
        so the span contains every word of them."""
        first = max(bisect_right(self._starts, char_start) - 1, 0)
        last = max(bisect_right(self._starts, char_end - 1) - 1, first)
        return self._segments[first].start, self._segments[last].end


def transcript_chunks(
    segments: Sequence[Segment], tokenizer: Tokenizer, max_tokens: int, overlap: int
) -> list[TimedChunk]:
    """Chunks of the transcript with start/end seconds.

    ``max_tokens`` and ``overlap`` are the text space's chunk budget, exactly
    as documents are chunked (the smaller of SEARCHAPP_CHUNK_TOKENS and the
    model's window, and its overlap).
    """
    times = TranscriptTimes(segments)
    return [
        TimedChunk(chunk, *times.span(chunk.start, chunk.end))
        for chunk in chunk_text(transcript_text(segments), tokenizer, max_tokens, overlap)
    ]
