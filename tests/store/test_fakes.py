"""The test seams answer as the real ones do, so the tests that use them cannot drift.

One small library is ingested by searchapp's own ingest into a real Milvus Lite
store and into ``FakeMilvusClient`` (both with the hashing embedder, which is
what the fake-store tests use): every search mode, filter, page, count, get and
delete must give the same rows in the same order, with the same scores where
the score is a cosine. BM25 scores are compared by rank only (Lite's term
statistics are per segment).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.search import Retrieval, SearchFilters, SearchRequest
from searchapp.store import TEXT_SPEC
from tests.fakes import FakeTextEmbedder, Filter, fake_store
from tests.ingested import ingest_cleanly

pytestmark = [pytest.mark.integration]

DOCUMENTS = {
    "notes/bees.md": "# Honey bees\n\nBees collect nectar from flowers and make honey in the hive.",
    "hive.txt": "A hive of bees needs room: the beekeeper adds a box when nectar flows.",
    "notes/mars.txt": "Why Mars is red\n\nIron oxide dust covers the surface of the planet Mars.",
    "planets.md": "# Planets\n\nMars and Venus are rocky planets; Jupiter is a gas giant.",
    "tea.md": "# Brewing tea\n\nSteep green tea leaves in water below boiling for two minutes.",
    "notes/deeper/coffee.txt": "Coffee beans are roasted, ground and brewed with hot water.",
    "chess.txt": "Chess openings: the Sicilian Defence answers e4 with c5.",
    # A common word many times: a rare word must outweigh it (BM25's idf).
    "water.txt": "Water, water everywhere: water boils, water freezes, water flows.",
    "water.html": "<html><body><p>Hot water for tea, and honey in it.</p></body></html>",
}
OLD = ("hive.txt", "planets.md", "notes/mars.txt")  # modified at 1,000 s; the rest at 2,000 s
QUERIES = [
    "honey bees in a hive",
    "the red planet Mars",
    "brewing with hot water",
    "chess",
    "honey water",
]
# Each filter leaves out some of the library (the folder one: everything not under notes/).
FILTERS = {
    "none": lambda root: SearchFilters(),
    "extension": lambda root: SearchFilters(extensions=("md",)),
    "folder": lambda root: SearchFilters(folder=str(root / "notes")),
    "family-and-dates": lambda root: SearchFilters(
        media_types=("text/*",), modified_after=1500.0, modified_before=2500.0
    ),
    "types-and-before": lambda root: SearchFilters(
        media_types=("text/plain", "text/html"), modified_before=1500.0
    ),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library")
    for name, text in DOCUMENTS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        mtime = 1000.0 if name in OLD else 2000.0
        os.utime(path, (mtime, mtime))
    return root


@pytest.fixture(scope="module")
def apps(
    library: Path, fake_models: Embedders, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[App, App]]:
    """The library in a real Lite store and in the fake one (the same models)."""

    def settings(name: str) -> Settings:
        state = tmp_path_factory.mktemp(name)
        return Settings(state_dir=state, lite_shared=False, search_consistency="Strong")

    real = App(settings("real"), embedders=fake_models)
    fake_settings = settings("fake")
    fake = App(fake_settings, embedders=fake_models, store=fake_store(fake_settings))
    for app in (real, fake):
        ingest_cleanly(app, [library])
    yield real, fake
    real.close()
    fake.close()


def ranked(app: App, request: SearchRequest) -> list[tuple[str, float]]:
    result = app.search.search(request)
    return [(hit.source.rsplit("/", 1)[1], hit.score) for hit in result.hits]


@pytest.mark.parametrize("retrieval", list(Retrieval), ids=lambda r: r.value)
@pytest.mark.parametrize("narrowed", list(FILTERS))
def test_same_hits_in_the_same_order(apps, library, retrieval: Retrieval, narrowed) -> None:
    real, fake = apps
    filters = FILTERS[narrowed](library)
    for query in QUERIES:
        for k, offset in ((3, 0), (3, 2), (10, 0)):
            request = SearchRequest(
                text=query, k=k, offset=offset, retrieval=retrieval, filters=filters,
                min_relevance=0,
            )  # fmt: skip
            want, got = ranked(real, request), ranked(fake, request)
            assert [name for name, _ in got] == [name for name, _ in want], (query, k, offset)
            if retrieval is Retrieval.DENSE:
                np.testing.assert_allclose(
                    [s for _, s in got], [s for _, s in want], atol=1e-4, err_msg=query
                )


def test_more_like_this_and_the_relevance_floor(apps) -> None:
    real, fake = apps
    [bees] = [h.id for h in real.search.search(SearchRequest(text="honey", k=1)).hits]
    want, got = (app.search.similar(bees, k=5) for app in apps)
    assert [h.source for h in got.hits] == [h.source for h in want.hits] and want.hits
    assert [h.score for h in got.hits] == pytest.approx([h.score for h in want.hits], abs=1e-4)
    floored = SearchRequest(text="honey bees in a hive", k=10)  # the default floor
    assert [n for n, _ in ranked(fake, floored)] == [n for n, _ in ranked(real, floored)]


def test_rows_counts_and_deletes(apps, library: Path) -> None:
    collections = [app.store.existing_collection(TEXT_SPEC) for app in apps]
    fields = ["source", "chunk_index", "title", "keyword_text"]

    def rows(expression: str) -> list[list[dict]]:
        return [sorted(c.query(expression, fields), key=lambda row: row["id"]) for c in collections]

    for expression in ('ext == "md"', 'ext in ["md", "txt"]', "chunk_index == 0", ""):
        mine, theirs = rows(expression)
        assert theirs == mine and mine, expression
        assert collections[1].count(expression) == collections[0].count(expression)
    ids = [row["id"] for row in rows("")[0][:3]]
    assert collections[1].get(ids, fields) == collections[0].get(ids, fields)
    gone = f'source == "{library / "chess.txt"}"'
    for collection in collections:
        collection.delete(gone)
    assert [c.count() for c in collections] == [len(DOCUMENTS) - 1] * 2
    assert [c.count(gone) for c in collections] == [0, 0]


def test_collection_records_agree(apps) -> None:
    [mine], [theirs] = (app.store.describe([TEXT_SPEC]) for app in apps)
    assert theirs.as_dict() == mine.as_dict()


def test_a_filter_the_fake_does_not_know_is_refused() -> None:
    with pytest.raises(NotImplementedError, match="cannot evaluate"):
        Filter.parse('json_contains(metadata["tags"], "x")')
    with pytest.raises(NotImplementedError):
        Filter.parse('title like "%middle%"')


def test_fake_vectors_are_deterministic_and_normalised() -> None:
    a, b = FakeTextEmbedder("m"), FakeTextEmbedder("m")
    texts = ["honey bees", "Honey, bees!", "chess openings", ""]
    first, second = a.embed(texts), b.embed(texts)
    assert first.shape == (4, 384) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    # Same words, same vector; shared words are closer than none.
    np.testing.assert_allclose(first[0], first[1], rtol=1e-6)
    assert float(first[0] @ a.embed(["honey cakes"])[0]) > float(first[0] @ first[2]) + 0.2


def test_every_filter_leaves_some_out(apps, library: Path) -> None:
    """So the comparisons above cannot pass on a filter the fake ignores."""
    real, _ = apps

    def names(filters: SearchFilters) -> set[str]:
        request = SearchRequest(
            text="water", k=20, retrieval=Retrieval.DENSE, filters=filters, min_relevance=0
        )
        return {name for name, _ in ranked(real, request)}

    everything = names(SearchFilters())  # every document (one may have been deleted above)
    assert len(everything) >= len(DOCUMENTS) - 1
    for narrowed, make in FILTERS.items():
        if narrowed != "none":
            assert set() < names(make(library)) < everything, narrowed
