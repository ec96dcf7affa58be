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


def transcript_chunks(
    segments: Sequence[Segment], tokenizer: Tokenizer, max_tokens: int, overlap: int
) -> list[TimedChunk]:
    """Chunks of the transcript with start/end seconds.

    ``max_tokens`` and ``overlap`` are the text space's chunk budget, exactly
    as documents are chunked (the smaller of SEARCHAPP_CHUNK_TOKENS and the
    model's window, and its overlap).
    """
    text = transcript_text(segments)
    starts: list[int] = []  # char offset of each segment's line
    position = 0
    for segment in segments:
        starts.append(position)
        position += len(segment.text) + 1
    timed = []
    for chunk in chunk_text(text, tokenizer, max_tokens, overlap):
        first = bisect_right(starts, chunk.start) - 1
        last = bisect_right(starts, chunk.end - 1) - 1
        timed.append(TimedChunk(chunk, segments[first].start, segments[last].end))
    return timed
