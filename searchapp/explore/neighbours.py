"""Each item's nearest other items: asked of Milvus in batches, or of a local index.

Milvus searches with each item's own vector. In the image space a hit is an
item; in the text space a hit is a chunk, mapped to its document, so more hits
are asked than neighbours wanted (a document's own chunks come back first).
Similarities are then computed exactly between the items' vectors.

Milvus Lite 3.2 is a Python implementation whose searches cost here about
20 ms per query vector at limit 11 and 150 ms at limit 48 (measured on the
sample corpus, busy machine): 100,000 items would take hours. So on Lite (by
default, SEARCHAPP_EXPLORE_NEIGHBOURS_FROM=auto) the vectors already read are
indexed locally with faiss (which Milvus Lite itself is built on): exact
inner product up to 20,000 items, an IVF index (about 4*sqrt(n) lists, 16
probed) above that. A Milvus server answers batched searches in C++ and is
asked directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from searchapp.explore.items import Progress, SpaceItems
from searchapp.store import VectorCollection

_BATCH = 256  # query vectors per search call
_MAX_LIMIT = 1024  # Milvus caps topk at 16384; this is plenty


@dataclass(frozen=True)
class Neighbours:
    """``index[i]`` are item i's nearest other items (-1 pads), ``similarity[i]`` their cosines."""

    index: np.ndarray  # int64 (n, k)
    similarity: np.ndarray  # float32 (n, k), descending per row; -inf pads


def nearest(
    collection: VectorCollection,
    items: SpaceItems,
    k: int,
    *,
    ef: int,
    progress: Progress | None = None,
) -> Neighbours:
    n = len(items)
    index = np.full((n, k), -1, dtype=np.int64)
    similarity = np.full((n, k), -np.inf, dtype=np.float32)
    rows_per_item = max(1, math.ceil(items.rows / max(n, 1)))
    limit = min(_MAX_LIMIT, (k + 1) * min(rows_per_item, 8) + rows_per_item)
    for start in range(0, n, _BATCH):
        block = items.vectors[start : start + _BATCH]
        hits = collection.search(block, limit=limit, fields=[], ef=max(ef, limit))
        for offset, found in enumerate(hits):
            me = start + offset
            others = _other_items(items, me, found)[:k]
            if not others:
                continue
            sims = items.vectors[others] @ items.vectors[me]
            order = np.argsort(-sims, kind="stable")
            index[me, : len(others)] = np.asarray(others)[order]
            similarity[me, : len(others)] = sims[order]
        if progress is not None:
            progress("nearest neighbours", min(start + _BATCH, n), n)
    return Neighbours(index, similarity)


_EXACT_UP_TO = 20_000
_PROBES = 16


def nearest_local(items: SpaceItems, k: int, progress: Progress | None = None) -> Neighbours:
    """The same answer as :func:`nearest`, from a faiss index of the item vectors."""
    import faiss

    n, dim = items.vectors.shape if len(items) else (0, 0)
    index_out = np.full((n, k), -1, dtype=np.int64)
    similarity = np.full((n, k), -np.inf, dtype=np.float32)
    if n < 2:
        return Neighbours(index_out, similarity)
    vectors = np.ascontiguousarray(items.vectors, dtype=np.float32)
    index: faiss.Index
    if n <= _EXACT_UP_TO:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(4 * math.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        index.train(vectors[rng.choice(n, min(n, 50 * lists), replace=False)])
        index.nprobe = _PROBES
    index.add(vectors)
    wanted = min(k + 1, n)
    for start in range(0, n, 4096):
        sims, found = index.search(vectors[start : start + 4096], wanted)
        for offset in range(len(found)):
            me = start + offset
            keep = (found[offset] != me) & (found[offset] >= 0)
            others, values = found[offset][keep][:k], sims[offset][keep][:k]
            index_out[me, : len(others)] = others
            similarity[me, : len(others)] = values
        if progress is not None:
            progress("nearest neighbours", min(start + 4096, n), n)
    return Neighbours(index_out, similarity)


def _other_items(items: SpaceItems, me: int, hits: list[dict]) -> list[int]:
    seen = {me}
    others = []
    for hit in hits:
        item = items.row_item.get(hit["id"])
        if item is None or item in seen:  # written after the read, or itself
            continue
        seen.add(item)
        others.append(item)
    return others
