"""The hits' cosines: a dense row's score is its cosine; a keyword or hybrid row's is
computed from the chunk vector it carries (one matrix product for the lot)."""

from __future__ import annotations

import numpy as np
import pytest

from searchapp.search.retrieval import TextQuery, similarities


def test_carried_vectors_give_their_cosine_and_dense_rows_keep_their_score() -> None:
    rng = np.random.default_rng(7)
    query = TextQuery("q", rng.normal(size=8).astype(np.float32))
    chunks = rng.normal(size=(3, 8)).astype(np.float32)
    rows = [
        {"score": 0.42},  # dense: Milvus's score is the cosine
        {"score": 17.0, "vector": chunks[0].tolist()},  # hybrid: a fused score, not a cosine
        {"score": 0.01, "vector": chunks[1].tolist()},
        {"score": 0.5, "vector": [0.0] * 8},  # an all-zero vector has no direction
        {"score": 3.0, "vector": chunks[2].tolist()},
    ]
    expected = [
        float(c @ query.vector / (np.linalg.norm(c) * np.linalg.norm(query.vector))) for c in chunks
    ]
    got = similarities(rows, query)
    assert got[0] == 0.42
    assert got[1:3] == pytest.approx(expected[:2], abs=1e-6)
    assert got[3] == 0.0
    assert got[4] == pytest.approx(expected[2], abs=1e-6)


def test_no_rows() -> None:
    assert similarities([], TextQuery("q", np.ones(4, dtype=np.float32))) == []
