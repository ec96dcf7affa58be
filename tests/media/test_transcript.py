"""Transcript chunks: the text space's chunk rule, with the time span of their segments."""

from __future__ import annotations

from searchapp.media import Segment, transcript_chunks, transcript_text


def pieces(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


SEGMENTS = [
    Segment(start=2.0 * i, end=2.0 * i + 1.8, text=f"Segment {i} speaks about topic {i} today.")
    for i in range(40)
]


def test_chunks_fit_the_window_and_span_their_segments(tokenizer) -> None:
    text = transcript_text(SEGMENTS)
    chunks = transcript_chunks(SEGMENTS, tokenizer, max_tokens=40, overlap=8)
    assert len(chunks) > 5
    for timed in chunks:
        assert pieces(tokenizer, timed.text) <= 40
        assert text[timed.chunk.start : timed.chunk.end] == timed.text
        # The span runs from the first segment the chunk touches to the last.
        first = int(timed.text.split()[1]) if timed.text.startswith("Segment") else None
        if first is not None:
            assert timed.start == SEGMENTS[first].start
        last_line = timed.text.splitlines()[-1]
        numbers = [w for w in last_line.split() if w.isdigit()]
        assert timed.end == SEGMENTS[int(numbers[0])].end
    assert chunks[0].start == 0.0 and chunks[-1].end == SEGMENTS[-1].end


def test_chunks_end_on_segment_ends(tokenizer) -> None:
    # Every segment is one sentence: windows end where a segment does.
    for timed in transcript_chunks(SEGMENTS, tokenizer, max_tokens=40, overlap=0)[:-1]:
        assert timed.text.endswith("today.")


def test_a_segment_longer_than_the_window_is_split_and_keeps_its_span(tokenizer) -> None:
    long = Segment(start=10.0, end=70.0, text=" ".join(["word"] * 200))
    chunks = transcript_chunks([long], tokenizer, max_tokens=50, overlap=0)
    assert len(chunks) >= 4
    assert all((c.start, c.end) == (10.0, 70.0) for c in chunks)


def test_no_segments_no_chunks(tokenizer) -> None:
    assert transcript_chunks([], tokenizer, max_tokens=50, overlap=0) == []
