"""The relevance floor on the sample corpus: queries about topics it does not cover
find nothing by default, while nearly all of its paraphrase queries still find their targets
(tests/search/test_paraphrase_queries.py runs those with the same defaults)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchapp.search import Retrieval

pytestmark = [pytest.mark.integration, pytest.mark.model]

REPO = Path(__file__).resolve().parents[2]
OFF_TOPIC = json.loads((REPO / "tests" / "fixtures" / "off_topic_queries.json").read_text())


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_an_absent_topic_finds_nothing(sample_app, query) -> None:
    result = sample_app.search.search_text(query)
    assert result.hits == [], [(h.title, h.relevance) for h in result.hits]
    assert result.below_floor > 0
    assert "below the relevance floor" in result.notice


@pytest.mark.parametrize("retrieval", list(Retrieval))
def test_every_retrieval_has_a_floor(sample_app, retrieval) -> None:
    query = OFF_TOPIC[0]
    assert sample_app.search.search_text(query, retrieval=retrieval).hits == []
    # Floor off: the nearest documents come back, however unrelated.
    shown = sample_app.search.search_text(query, retrieval=retrieval, min_relevance=0)
    assert shown.hits and shown.below_floor == 0


def test_a_good_match_clears_the_floor(sample_app) -> None:
    result = sample_app.search.search_text("how to keep a sourdough starter alive", k=3)
    assert Path(result.hits[0].source).name == "sourdough-starter.md"
    assert result.hits[0].relevance > 0.1  # twenty times the default floor
