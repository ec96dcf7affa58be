"""Titles in front of chunks: measured in word pieces, cut when long, never doubled."""

from __future__ import annotations

import pytest

from searchapp.ingest.titles import TitlePrefixer

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def prefixer(embedders) -> TitlePrefixer:
    return TitlePrefixer(embedders.text().tokenizer, max_tokens=64)


def test_title_goes_in_front_and_is_measured(prefixer) -> None:
    title = prefixer.title("Why  Mars is red")
    assert title.text == "Why Mars is red"
    assert title.tokens == 4
    assert title.prefix("Iron oxide dust.") == "Why Mars is red Iron oxide dust."


def test_a_chunk_that_starts_with_its_title_gets_no_copy(prefixer) -> None:
    title = prefixer.title("Garden notes")
    assert title.prefix("# Garden notes\n\nTomatoes need sun.") == (
        "# Garden notes\n\nTomatoes need sun."
    )


def test_long_titles_are_cut_to_a_quarter_of_the_window(prefixer) -> None:
    title = prefixer.title("word " * 40)
    assert title.tokens == 16
    assert title.text == " ".join(["word"] * 16)


def test_no_title_no_prefix(prefixer) -> None:
    title = prefixer.title("   ")
    assert (title.text, title.tokens) == ("", 0)
    assert title.prefix("chunk") == "chunk"
