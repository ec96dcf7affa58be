"""Run one text retrieval (dense, keyword or hybrid) against the text collection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchapp.config import Settings
from searchapp.keywords import analyze
from searchapp.search.request import Retrieval
from searchapp.store import ServerInfo, VectorCollection
from searchapp.store.hybrid import Fusion


@dataclass(frozen=True)
class TextQuery:
    text: str
    vector: np.ndarray  # the query's embedding, shape (dim,)


def fusion_from(settings: Settings) -> Fusion:
    return Fusion(
        method=settings.hybrid_fusion,
        rrf_k=settings.hybrid_rrf_k,
        dense_weight=settings.hybrid_dense_weight,
        keyword_weight=settings.hybrid_keyword_weight,
    )


def keyword_unavailable(collection: VectorCollection, server: ServerInfo) -> str | None:
    """Why ``collection`` cannot do keyword search, or None when it can."""
    if collection.keywords is not None:
        return None
    if not server.supports_bm25:
        return (
            f"keyword and hybrid search need Milvus >= 2.5 (or Milvus Lite); "
            f"{server.describe()} has no BM25"
        )
    return (
        f"collection {collection.name!r} was built without a keyword index (its schema is "
        "too old): run `searchapp reindex --re-embed` to rebuild it"
    )


def retrieve(
    collection: VectorCollection,
    retrieval: Retrieval,
    query: TextQuery,
    *,
    limit: int,
    fields: Sequence[str],
    expression: str,
    settings: Settings,
) -> list[dict[str, Any]]:
    """Chunk rows, best first, each with its ``score``; keyword and hybrid rows also
    carry the chunk's ``vector``, for its similarity (see :func:`similarity`).

    The collection must have a keyword index for those two (see keyword_unavailable).
    """
    if retrieval is Retrieval.DENSE:
        return collection.search(
            query.vector[np.newaxis],
            limit=limit,
            fields=fields,
            expression=expression,
            ef=settings.search_ef,
        )[0]
    terms = analyze(query.text)
    with_vectors = [*fields, "vector"]
    if not terms:  # only stop words: no keyword can match
        if retrieval is Retrieval.KEYWORD:
            return []
        return retrieve(
            collection,
            Retrieval.DENSE,
            query,
            limit=limit,
            fields=with_vectors,
            expression=expression,
            settings=settings,
        )
    if retrieval is Retrieval.KEYWORD:
        return collection.keyword_search(
            terms, limit=limit, fields=with_vectors, expression=expression
        )
    return collection.hybrid_search(
        query.vector,
        terms,
        limit=limit,
        fields=with_vectors,
        fusion=fusion_from(settings),
        expression=expression,
        ef=settings.search_ef,
    )


def similarity(row: dict[str, Any], query: TextQuery) -> float:
    """Cosine similarity of the query and the row's chunk."""
    if "vector" not in row:  # a dense row: its score is the cosine
        return float(row["score"])
    chunk = np.asarray(row["vector"], dtype=np.float32)
    norms = float(np.linalg.norm(chunk) * np.linalg.norm(query.vector))
    return float(chunk @ query.vector) / norms if norms else 0.0
