"""Run text retrievals (dense, keyword or hybrid) against a collection, several queries per call."""

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
    queries: Sequence[TextQuery],
    *,
    limit: int,
    fields: Sequence[str],
    expression: str,
    settings: Settings,
) -> list[list[dict[str, Any]]]:
    """Chunk rows for each query, best first, each with its ``score``; keyword and
    hybrid rows also carry the chunk's ``vector``, for its similarity (see
    :func:`similarity`).

    All queries go to Milvus in one call (``nq`` > 1), which costs Milvus Lite
    little more than one query does. The collection must have a keyword index
    for keyword and hybrid (see keyword_unavailable).
    """
    if not queries:
        return []
    if retrieval is Retrieval.DENSE:
        return collection.search(
            np.stack([query.vector for query in queries]),
            limit=limit,
            fields=fields,
            expression=expression,
            ef=settings.search_ef,
        )
    terms = [analyze(query.text) for query in queries]
    with_vectors = [*fields, "vector"]
    found: list[list[dict[str, Any]]] = [[] for _ in queries]
    worded = [i for i, words in enumerate(terms) if words]
    # Only stop words: no keyword can match; hybrid searches by meaning alone.
    wordless = [i for i, words in enumerate(terms) if not words]
    if wordless and retrieval is Retrieval.HYBRID:
        dense = retrieve(
            collection,
            Retrieval.DENSE,
            [queries[i] for i in wordless],
            limit=limit,
            fields=with_vectors,
            expression=expression,
            settings=settings,
        )
        for i, rows in zip(wordless, dense, strict=True):
            found[i] = rows
    if not worded:
        return found
    if retrieval is Retrieval.KEYWORD:
        results = collection.keyword_search_many(
            [terms[i] for i in worded], limit=limit, fields=with_vectors, expression=expression
        )
    else:
        results = collection.hybrid_search_many(
            np.stack([queries[i].vector for i in worded]),
            [terms[i] for i in worded],
            limit=limit,
            fields=with_vectors,
            fusion=fusion_from(settings),
            expression=expression,
            ef=settings.search_ef,
        )
    for i, rows in zip(worded, results, strict=True):
        found[i] = rows
    return found


def similarities(rows: Sequence[dict[str, Any]], query: TextQuery) -> list[float]:
    """Cosine similarity of the query and each row's chunk: a dense row's score is
    that cosine; keyword and hybrid rows carry the chunk's vector (one matrix
    product for all of them)."""
    out = [float(row["score"]) for row in rows]
    carried = [i for i, row in enumerate(rows) if "vector" in row]
    if not carried:
        return out
    chunks = np.asarray([rows[i]["vector"] for i in carried], dtype=np.float32)
    norms = np.linalg.norm(chunks, axis=1) * float(np.linalg.norm(query.vector))
    dots = chunks @ np.asarray(query.vector, dtype=np.float32)
    cosines = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    for i, cosine in zip(carried, cosines.tolist(), strict=True):
        out[i] = cosine
    return out
