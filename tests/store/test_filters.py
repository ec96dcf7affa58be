"""Literals written into Milvus expressions denote exactly the value, whatever it holds,
on Milvus Lite and on a real server."""

from __future__ import annotations

import numpy as np
import pytest

from searchapp.embed import ModelIdentity
from searchapp.errors import InvalidQueryError
from searchapp.search.filters import SearchFilters
from searchapp.store import TEXT_SPEC, Store
from searchapp.store.filters import (
    all_of,
    any_of,
    contains,
    equals,
    is_in,
    starts_with,
    string_literal,
)
from tests.store.rows import text_row

NASTY = [
    "plain",
    'double "quote"',
    "single 'quote'",
    "back\\slash",
    "trailing backslash \\",
    'escaped quote \\"',
    "new\nline",
    "tab\there",
    "50% off_sale",
    '" or id != "" or "',
    "ünïcödé ✓",
    "",
]


def test_string_literal_escapes() -> None:
    assert string_literal('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert all_of("a", "", None, "b") == "(a) and (b)"
    assert all_of("a") == "a"
    assert all_of() == ""
    assert any_of("a", "", "b") == "(a) or (b)"
    assert any_of("a") == "a"
    assert is_in("ext", ["pdf", 'm"d']) == 'ext in ["pdf", "m\\"d"]'


def _row(i: int, source: str) -> dict:
    return text_row(
        i,
        source=source,
        folders=["/", source],
        title="t",
        text="x",
        vector=[1.0, float(i), 0.0, 0.0],
    )


@pytest.fixture
def collection(backend_settings):
    store = Store.connect(backend_settings)
    handle = store.collection(TEXT_SPEC, ModelIdentity("test-model", 4))
    handle.upsert([_row(i, value) for i, value in enumerate(NASTY)])
    yield handle
    store.close()


def test_equality_matches_exactly_one_row(collection) -> None:
    for i, value in enumerate(NASTY):
        rows = collection.query(equals("source", value), ["id"])
        assert [r["id"] for r in rows] == [f"id{i}"], value


def test_array_contains_matches_exactly(collection) -> None:
    for i, value in enumerate(NASTY):
        rows = collection.query(contains("folders", value), ["id"])
        assert [r["id"] for r in rows] == [f"id{i}"], value


def test_injection_attempt_is_just_a_string(collection) -> None:
    hits = collection.search(
        np.array([[1.0, 0.0, 0.0, 0.0]]),
        limit=20,
        fields=["source"],
        expression=equals("source", '" or id != "" or "'),
    )[0]
    assert [h["source"] for h in hits] == ['" or id != "" or "']


def test_search_filters_build_valid_expressions(collection) -> None:
    filters = SearchFilters(
        media_types=("text/plain", "image/*"),
        folder="/",
        extensions=(".TXT",),
        modified_after=2.0,
        modified_before=5.0,
    )
    rows = collection.query(filters.expression(), ["id"])
    assert sorted(r["id"] for r in rows) == ["id2", "id3", "id4"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (SearchFilters(media_types=("text",)), "type/subtype"),
        (SearchFilters(media_types=("im%ge/*",)), "letters only"),
        (SearchFilters(folder="relative/path"), "absolute"),
        (SearchFilters(extensions=("p%f",)), "letters and digits"),
        (SearchFilters(modified_after=5, modified_before=1), "earlier"),
    ],
)
def test_bad_filters_are_refused(filters: SearchFilters, message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        filters.expression()


def test_starts_with_takes_a_plain_prefix_only() -> None:
    assert starts_with("media_type", "audio/") == 'media_type like "audio/%"'
    for wild in ("a%", "a_b", "a\\"):
        with pytest.raises(ValueError, match="without %, _ or backslash"):
            starts_with("media_type", wild)
