"""Dense, keyword and hybrid retrieval on a real Milvus Lite store with real MiniLM:
keyword search finds exact words (stemmed), hybrid finds both kinds of target, every
hit carries a calibrated relevance, and a store without BM25 says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.errors import FeatureUnsupportedError, StoreError
from searchapp.ingest import ingest, scan
from searchapp.search import Retrieval
from searchapp.store import TEXT_SPEC
from searchapp.store.version import ServerInfo

pytestmark = [pytest.mark.integration, pytest.mark.model]

DOCS = {
    "pump.md": "# Pump manual\n\nIf the display shows error XJ-9000, replace the impeller seal.",
    "mars.md": "# Why Mars is red\n\nIron oxide dust covers the surface of the planet.",
    "run.txt": "Training plan\n\nShe runs five kilometres every morning before work.",
    "tea.txt": "Green tea\n\nSteep green tea at 80 degrees for two minutes.",
}


def write_docs(root: Path) -> Path:
    root.mkdir(parents=True)
    for name, text in DOCS.items():
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def docs_app(tmp_path_factory, embedders):
    from searchapp.config import Settings

    settings = Settings(state_dir=tmp_path_factory.mktemp("state"), lite_shared=False)
    application = App(settings, embedders=embedders)
    ingest(application, scan([write_docs(tmp_path_factory.mktemp("docs") / "d")]).files)
    yield application
    application.close()


def names(result) -> list[str]:
    return [Path(hit.source).name for hit in result.hits]


def test_the_collection_has_a_bm25_index(docs_app) -> None:
    collection = docs_app.store.existing_collection(TEXT_SPEC)
    assert collection.keywords is not None
    [info] = docs_app.store.describe([TEXT_SPEC])
    assert info.index["keywords"] == "BM25 k1=1.2 b=0.75"


def test_keyword_search_finds_exact_and_stemmed_words(docs_app) -> None:
    search = docs_app.search.search_text
    assert names(search("XJ-9000", retrieval="keyword", min_relevance=0))[0] == "pump.md"
    # "running" is stored as "runs": both stem to "run".
    assert names(search("running", retrieval="keyword", min_relevance=0)) == ["run.txt"]
    # Words that appear nowhere find nothing (no nearest-neighbour filler).
    assert search("zeppelin", retrieval="keyword", min_relevance=0).hits == []
    # Only stop words: nothing to look for.
    assert search("the of and", retrieval="keyword", min_relevance=0).hits == []


def test_hybrid_finds_meaning_and_exact_words(docs_app) -> None:
    search = docs_app.search.search_text
    by_meaning = search("why is the red planet that colour", retrieval="hybrid", min_relevance=0)
    assert names(by_meaning)[0] == "mars.md"
    assert by_meaning.retrieval == "hybrid"
    by_code = search("XJ-9000", retrieval="hybrid", min_relevance=0)
    assert names(by_code)[0] == "pump.md"


@pytest.mark.parametrize("retrieval", list(Retrieval))
def test_every_hit_has_a_calibrated_relevance(docs_app, retrieval) -> None:
    result = docs_app.search.search_text("red planet dust", retrieval=retrieval, min_relevance=0)
    assert result.hits
    relevances = [hit.relevance for hit in result.hits]
    assert all(0.0 < r < 1.0 for r in relevances)
    top = next(hit for hit in result.hits if hit.source.endswith("mars.md"))
    assert top.relevance == max(relevances)


def test_default_retrieval_comes_from_settings(docs_app) -> None:
    assert docs_app.search.search_text("tea", min_relevance=0).retrieval == "hybrid"
    with pytest.raises(Exception, match="unknown retrieval 'sparse'"):
        docs_app.search.search_text("tea", retrieval="sparse")


def test_a_server_without_bm25_searches_dense_and_says_why(settings, embedders, tmp_path) -> None:
    application = App(settings, embedders=embedders)
    application.store.info = ServerInfo.parse("v2.3.5")  # as a Milvus 2.3 server reports
    ingest(application, scan([write_docs(tmp_path / "d")]).files)
    assert application.store.existing_collection(TEXT_SPEC).keywords is None
    with pytest.raises(FeatureUnsupportedError, match=r"need Milvus >= 2\.5"):
        application.search.search_text("XJ-9000", retrieval="keyword")
    # The default (hybrid) quietly searches by meaning, as before keyword search.
    fallback = application.search.search_text("red planet", min_relevance=0)
    assert fallback.retrieval == "dense" and fallback.notice is None
    assert names(fallback)[0] == "mars.md"
    application.close()


def test_a_collection_from_before_keywords_must_be_rebuilt(settings, embedders, tmp_path) -> None:
    application = App(settings, embedders=embedders)
    ingest(application, scan([write_docs(tmp_path / "d")]).files)
    store = application.store
    # Make it look like the foundation's collections: schema 1, no keyword record.
    physical = store.existing_collection(TEXT_SPEC).physical_name
    store._client.alter_collection_properties(
        physical, {"searchapp.schema": "1", "searchapp.keywords": "null"}
    )
    application.close()

    reopened = App(settings, embedders=embedders)
    with pytest.raises(FeatureUnsupportedError, match=r"searchapp reindex"):
        reopened.search.search_text("XJ-9000", retrieval="keyword")
    assert names(reopened.search.search_text("XJ-9000", retrieval="dense", min_relevance=0))
    with pytest.raises(StoreError, match=r"schema is too old.*searchapp reindex"):
        ingest(reopened, scan([tmp_path / "d"]).files)
    reopened.close()
