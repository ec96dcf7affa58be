"""Serve several text-query retrievals together: one encode call per model and one
Milvus call per group of compatible queries.

A :class:`RetrievalJob` is what one request needs from the model and the store;
:func:`serve_jobs` answers a list of them (the batcher's handler, or a single
job when batching is off: the same code either way). Milvus Lite pays a pass
over every row per call whatever its ``nq``, so the per-query cost of a group
falls with its size.

Jobs are *compatible* (one call) when they search the same collection the same
way, with the same filter and fields, and their rows would be the same alone:
- dense and keyword: a shorter list is a prefix of a longer one under the same
  HNSW ``ef`` (which grows with the limit, see VectorCollection.search), so the
  group fetches its longest limit and each job takes its own prefix;
- hybrid: Milvus fuses the top ``limit`` of each side, so another limit can
  rank differently; only equal limits share a call.
A group whose call fails is retried one job at a time, so one bad request
fails alone.

``store_gate`` is held around each store call: Milvus Lite serves one search at
a time (in one Python process), so two batch workers gated by one lock overlap
one batch's encoding with another's search instead of two searches that slow
each other down (measured: ungated, two workers served fewer queries than one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchapp.config import Settings
from searchapp.embed.base import Embedder, TextEmbedder
from searchapp.search.request import Retrieval
from searchapp.search.retrieval import TextQuery, retrieve
from searchapp.store import VectorCollection


@dataclass(frozen=True, eq=False)
class RetrievalJob:
    """One query's retrieval: its text, the model that embeds it (the one that made
    ``collection``'s vectors) and how to search. ``vector``: already embedded."""

    text: str
    embedder: Embedder[str]
    collection: VectorCollection
    retrieval: Retrieval
    limit: int
    fields: tuple[str, ...]
    expression: str = ""
    vector: np.ndarray | None = None


@dataclass(frozen=True)
class Found:
    """A job's rows (best first, at most its limit) and its query's vector.

    The times are those of the calls that served it (shared with its batch).
    """

    rows: list[dict[str, Any]]
    vector: np.ndarray
    encode_ms: float
    store_ms: float


def serve_jobs(
    jobs: Sequence[RetrievalJob],
    settings: Settings,
    store_gate: AbstractContextManager[object] | None = None,
) -> list[Found | Exception]:
    """Each job's rows, or the error that stopped it, in the order given; the store
    is called under ``store_gate`` (see the module's doc)."""
    gate = store_gate if store_gate is not None else nullcontext()
    outcomes: list[Found | Exception | None] = [None] * len(jobs)
    vectors: list[np.ndarray | None] = [job.vector for job in jobs]
    encode_ms = [0.0] * len(jobs)
    for indices in _grouped(jobs, _encoder_key).values():
        texts = sorted({jobs[i].text for i in indices if vectors[i] is None})
        if not texts:
            continue
        started = time.perf_counter()
        try:
            embedded = dict(
                zip(texts, _encode_queries(jobs[indices[0]].embedder, texts), strict=True)
            )
        except Exception as exc:
            for i in indices:
                outcomes[i] = exc
            continue
        took = _ms_since(started)
        for i in indices:
            vectors[i] = embedded[jobs[i].text]
            encode_ms[i] = took
    ready = [i for i, outcome in enumerate(outcomes) if outcome is None]
    groups = _grouped([jobs[i] for i in ready], lambda job: _search_key(job, settings))
    for members in groups.values():
        indices = [ready[m] for m in members]
        with gate:
            searched = _search_group(jobs, vectors, indices, settings)
        for i, found in zip(indices, searched, strict=True):
            outcomes[i] = (
                found
                if isinstance(found, Exception)
                else Found(found[0], _vector(vectors[i]), encode_ms[i], found[1])
            )
    assert all(outcome is not None for outcome in outcomes)  # each job: rows or an error
    return [outcome for outcome in outcomes if outcome is not None]


def _search_group(
    jobs: Sequence[RetrievalJob],
    vectors: list[np.ndarray | None],
    indices: list[int],
    settings: Settings,
) -> list[tuple[list[dict[str, Any]], float] | Exception]:
    """Rows and Milvus time per job of one compatible group: one call for all of
    them; if it fails, one call each, so only the failing job fails."""
    first = jobs[indices[0]]
    started = time.perf_counter()
    try:
        found = retrieve(
            first.collection,
            first.retrieval,
            [TextQuery(jobs[i].text, _vector(vectors[i])) for i in indices],
            limit=max(jobs[i].limit for i in indices),
            fields=first.fields,
            expression=first.expression,
            settings=settings,
        )
    except Exception as exc:
        if len(indices) == 1:
            return [exc]
        return [_search_group(jobs, vectors, [i], settings)[0] for i in indices]
    took = _ms_since(started)
    return [(rows[: jobs[i].limit], took) for i, rows in zip(indices, found, strict=True)]


def _encoder_key(job: RetrievalJob) -> Hashable:
    return id(job.embedder)


def _search_key(job: RetrievalJob, settings: Settings) -> Hashable:
    same = (id(job.collection), job.retrieval, job.fields, job.expression)
    if job.retrieval is Retrieval.HYBRID:
        return (*same, job.limit)
    if job.retrieval is Retrieval.DENSE:
        return (*same, max(settings.search_ef, job.limit))  # the ef Milvus is given
    return same


def _grouped(
    jobs: Sequence[RetrievalJob], key: Callable[[RetrievalJob], Hashable]
) -> dict[Hashable, list[int]]:
    groups: dict[Hashable, list[int]] = {}
    for i, job in enumerate(jobs):
        groups.setdefault(key(job), []).append(i)
    return groups


def _vector(vector: np.ndarray | None) -> np.ndarray:
    assert vector is not None  # set for every job that reached the store
    return vector


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _encode_queries(embedder: Embedder[str], texts: list[str]) -> np.ndarray:
    """A text model reads queries with its query prompt (E5, BGE); CLIP's text tower has none."""
    if isinstance(embedder, TextEmbedder):
        return embedder.embed_queries(texts)
    return embedder.embed(texts)
