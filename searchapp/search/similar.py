""" "More like this" for a document chunk: its stored MiniLM vector as the query.

The chunk's own document is left out of the hits (it is trivially the most
similar). No relevance is given: the relevance floor is calibrated on
query-to-document similarities, and a chunk-to-chunk cosine is on another scale.
"""

from __future__ import annotations

import numpy as np

from searchapp.config import Settings
from searchapp.errors import NotFoundError
from searchapp.search.filters import SearchFilters
from searchapp.search.hits import TEXT_FIELDS, best_per_document, chunks_to_fetch, text_hit
from searchapp.search.results import SearchResult, Stopwatch, elapsed_ms
from searchapp.store import VectorCollection
from searchapp.store.filters import all_of, any_of, not_equals


def similar_chunks(
    collection: VectorCollection | None,
    item_id: str,
    *,
    k: int,
    offset: int,
    filters: SearchFilters,
    settings: Settings,
    watch: Stopwatch,
    started: float,
) -> SearchResult:
    """Documents whose chunks lie nearest the stored chunk ``item_id``, best first."""
    with watch.store():
        rows = collection.get([item_id], ["vector", "source", "record_id"]) if collection else []
    if collection is None or not rows:
        raise NotFoundError(f"no ingested item has the id {item_id}")
    row = rows[0]
    other_document = any_of(
        not_equals("source", str(row["source"])), not_equals("record_id", str(row["record_id"]))
    )
    wanted = offset + k
    with watch.store():
        found = collection.search(
            np.asarray(row["vector"], dtype=np.float32)[np.newaxis, :],
            limit=chunks_to_fetch(wanted),
            fields=TEXT_FIELDS,
            expression=all_of(filters.expression(), other_document),
            ef=settings.search_ef,
        )[0]
    hits = [text_hit(found_row, "") for found_row in best_per_document(found)]
    return SearchResult(
        item_id,
        "text",
        hits[offset:wanted],
        elapsed_ms(started),
        k,
        offset,
        retrieval="dense",
        timings=watch.timings(),
        more=len(hits) > wanted,
    )
