"""Search embeds queries as queries: a model with a query prompt (E5, BGE) gets it
(docs/models.md); CLIP's text tower, which has none, is called as before."""

from __future__ import annotations

from unittest.mock import create_autospec

import numpy as np
import pytest

from searchapp.config import Settings
from searchapp.embed.base import Embedder, TextEmbedder
from searchapp.search import query_batch
from searchapp.search.query_batch import RetrievalJob, serve_jobs
from searchapp.search.request import Retrieval
from searchapp.store import VectorCollection


@pytest.fixture(autouse=True)
def no_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what the model is asked matters here: the search finds nothing."""
    monkeypatch.setattr(query_batch, "retrieve", lambda _c, _r, queries, **_: [[] for _ in queries])


def served(embedder: Embedder[str]) -> None:
    """One dense query through the batch path."""
    job = RetrievalJob(
        text="why is mars red",
        embedder=embedder,
        collection=create_autospec(VectorCollection, instance=True),
        retrieval=Retrieval.DENSE,
        limit=5,
        fields=("id",),
    )
    serve_jobs([job], Settings())


def test_a_text_model_reads_queries_through_its_query_path() -> None:
    model = create_autospec(TextEmbedder, instance=True)
    model.embed_queries.return_value = np.ones((1, 3), dtype=np.float32)
    served(model)
    model.embed_queries.assert_called_once_with(["why is mars red"])
    model.embed.assert_not_called()


def test_clips_text_tower_is_called_as_before() -> None:
    tower = create_autospec(Embedder, instance=True)
    tower.embed.return_value = np.ones((1, 3), dtype=np.float32)
    served(tower)
    tower.embed.assert_called_once_with(["why is mars red"])
