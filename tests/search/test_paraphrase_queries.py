"""Search finds documents by meaning: queries that share no content word with their
target document still put it in the top 3 (sample data, real MiniLM), on Milvus Lite
and on a real Milvus server."""

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
def sample_app(module_backend_settings, embedders):
    application = App(module_backend_settings, embedders=embedders)
    ingest_cleanly(application, [REPO / "data"])
    yield application
    application.close()


def test_there_are_enough_queries() -> None:
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"][:40] for q in QUERIES])
def test_target_is_in_top_three(sample_app, case) -> None:
    result = sample_app.search.search_text(case["query"], k=3)
    found = [(Path(h.source), h.record_id) for h in result.hits]
    target = ((REPO / case["target"]).resolve(), case.get("record_id"))
    assert target in found, f"{case['query']!r}: got {found}"
