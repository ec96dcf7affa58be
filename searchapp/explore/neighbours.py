"""Each item's nearest other items, asked of Milvus in batches.

Milvus searches with each item's own vector. In the image space a hit is an
item; in the text space a hit is a chunk, mapped to its document, so more hits
are asked than neighbours wanted (a document's own chunks come back first).
Similarities are then computed exactly between the items' vectors.
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
