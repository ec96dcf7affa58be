"""Search finds documents by meaning: queries that share no content word with their
target document still put it in the top 3 (sample data, real MiniLM), on Milvus Lite
and on a real Milvus server; and the default relevance floor keeps nearly all of
those targets (tests/search/test_relevance_floor.py checks the other side: absent
topics find nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchapp.app import App
from tests.ingested import ingest_cleanly

pytestmark = [pytest.mark.integration, pytest.mark.model]

REPO = Path(__file__).resolve().parents[2]
QUERIES = json.loads((REPO / "tests" / "fixtures" / "paraphrase_queries.json").read_text())


@pytest.fixture(scope="module")
def backend_sample_app(request, module_backend, module_backend_settings, embedders):
    """data/ ingested on each backend. On Lite it is the session's ``sample_app``
    (tests/search/conftest.py: the same settings and models), so the sample
    corpus is embedded once for both Lite suites instead of twice."""
    if module_backend == "lite":
        yield request.getfixturevalue("sample_app")
        return
    application = App(module_backend_settings, embedders=embedders)
    ingest_cleanly(application, [REPO / "data"])
    yield application
    application.close()


def test_there_are_enough_queries() -> None:
    assert len(QUERIES) >= 10


def _target(case: dict) -> tuple[Path, str | None]:
    return (REPO / case["target"]).resolve(), case.get("record_id")


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"][:40] for q in QUERIES])
def test_target_is_in_top_three(backend_sample_app, case) -> None:
    # The ranking alone: the floor is a trade-off, measured below.
    result = backend_sample_app.search.search_text(case["query"], k=3, min_relevance=0)
    found = [(Path(h.source), h.record_id) for h in result.hits]
    assert _target(case) in found, f"{case['query']!r}: got {found}"


def test_the_default_floor_keeps_nearly_every_target(backend_sample_app) -> None:
    # MiniLM's cosine barely separates these hardest paraphrases from absent topics
    # (docs/evaluation.md, "The relevance floor"): the floor is a rate, like SciFact's
    # 99.6%, not a promise per query. Today the lowest target rates 0.0048 and the
    # highest absent topic 0.0041, either side of the 0.005 floor.
    lost = []
    for case in QUERIES:
        result = backend_sample_app.search.search_text(case["query"], k=3)
        if _target(case) not in [(Path(h.source), h.record_id) for h in result.hits]:
            lost.append(case["query"])
    assert len(lost) <= len(QUERIES) // 20, lost
