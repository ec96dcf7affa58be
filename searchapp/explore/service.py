"""The explore service: duplicates, clusters, outliers and the map of one space.

Each result is a JSON-ready dict, cached per collection fingerprint; the CLI,
the API and the page all ask this service.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from searchapp.config import Settings
from searchapp.errors import NotFoundError
from searchapp.explore.cache import ResultCache
from searchapp.explore.clusters import cluster
from searchapp.explore.duplicates import duplicate_groups
from searchapp.explore.items import Progress, SpaceItems, fingerprint, read_items, space_spec
from searchapp.explore.neighbours import Neighbours, nearest, nearest_local
from searchapp.explore.projection import project, sample_indices, umap_available
from searchapp.store import Store, VectorCollection

# Bumped when a result's layout or computation changes: older cached files are ignored.
_RESULT_VERSION = 2


class ExploreService:
    """Make one per request or command: within it, the collection is read once."""

    def __init__(self, settings: Settings, store: Store, progress: Progress | None = None) -> None:
        self.settings = settings
        self._store = store
        self._progress = progress
        self._cache = ResultCache(settings.state_dir / "explore")
        # Within one service (one page request, one command), what was read and asked
        # once serves the other results: the page shows three of them.
        self._stamps: dict[str, str] = {}
        self._items: dict[str, SpaceItems] = {}
        self._neighbours: dict[tuple[str, int], Neighbours] = {}

    # --- the four results ----------------------------------------------------

    def duplicates(self, space: str, threshold: float | None = None) -> dict[str, Any]:
        if threshold is None:
            threshold = (
                self.settings.explore_image_duplicate_threshold
                if space == "image"
                else self.settings.explore_duplicate_threshold
            )
        k = self.settings.explore_neighbours
        return self._cached(
            space,
            f"duplicates-{threshold:.4f}-{k}",
            lambda c, items: self._duplicates(c, items, threshold, k),
        )

    def outliers(self, space: str, k: int | None = None) -> dict[str, Any]:
        k = k or self.settings.explore_neighbours
        return self._cached(space, f"outliers-{k}", lambda c, items: self._outliers(c, items, k))

    def clusters(self, space: str, k: int | None = None) -> dict[str, Any]:
        return self._cached(
            space, f"clusters-{k or 'auto'}-{self.settings.explore_sample}",
            lambda c, items: self._clusters(items, k),
        )  # fmt: skip

    def map(self, space: str, k: int | None = None) -> dict[str, Any]:
        method = "umap" if umap_available() else "pca"
        return self._cached(
            space, f"map-{method}-{k or 'auto'}-{self.settings.explore_sample}",
            lambda c, items: self._map(items, k, method),
        )  # fmt: skip

    # --- computing -------------------------------------------------------------

    def _duplicates(
        self, collection: VectorCollection, items: SpaceItems, threshold: float, k: int
    ) -> dict[str, Any]:
        neighbours = self._nearest(collection, items, k)
        groups = duplicate_groups(items, neighbours, threshold)
        return {"threshold": threshold, "groups": [g.as_dict() for g in groups]}

    def _outliers(self, collection: VectorCollection, items: SpaceItems, k: int) -> dict[str, Any]:
        neighbours = self._nearest(collection, items, k)
        found = neighbours.similarity > -np.inf
        counts = found.sum(axis=1)
        sums = np.where(found, neighbours.similarity, 0.0).sum(axis=1)
        # Mean cosine distance to the k nearest items (FiftyOne's "uniqueness" without
        # its weights): 1 = nothing near at all.
        scores = np.where(counts > 0, 1.0 - sums / np.maximum(counts, 1), 1.0)
        order = np.argsort(-scores, kind="stable")
        return {
            "neighbours": k,
            "items": [
                {**items.describe(int(i)), "score": round(float(scores[i]), 4)} for i in order
            ],
        }

    def _clusters(self, items: SpaceItems, k: int | None) -> dict[str, Any]:
        sample = sample_indices(len(items), self.settings.explore_sample)
        found = cluster(items.vectors, items.texts, sample, k)
        return {
            "sampled": len(sample),
            "clusters": found.summary(items.titles, items.ids),
        }

    def _map(self, items: SpaceItems, k: int | None, method: str) -> dict[str, Any]:
        sample = sample_indices(len(items), self.settings.explore_sample)
        found = cluster(items.vectors, items.texts, sample, k)
        if self._progress is not None:
            self._progress(f"map ({method})", 0, 1)
        points = project(items.vectors[sample], method)
        return {
            "method": method,
            "sampled": len(sample),
            "clusters": found.summary(items.titles, items.ids),
            "points": [
                {
                    "id": items.ids[i],
                    "title": items.titles[i],
                    "x": round(float(x), 5),
                    "y": round(float(y), 5),
                    "cluster": int(found.labels[i]),
                }
                for i, (x, y) in zip(sample.tolist(), points.tolist(), strict=True)
            ],
        }

    # --- cache -------------------------------------------------------------------

    def _cached(self, space: str, what: str, compute: Any) -> dict[str, Any]:
        collection = self._collection(space)
        physical = collection.physical_name
        if physical not in self._stamps:
            self._stamps[physical] = fingerprint(collection)
        stamp = self._stamps[physical]
        key = f"{physical}-{what}-v{_RESULT_VERSION}"
        result = self._cache.get(key, stamp)
        if result is None:
            if physical not in self._items:
                self._items[physical] = read_items(collection, space, self._progress)
            items = self._items[physical]
            # One thread for numpy/scikit-learn/faiss (OpenMP, BLAS): their threads
            # spin-wait when the cores are busy, and KMeans's silhouette search took
            # 5.3 s instead of 0.8 s on a loaded 2-core machine (0.1 s of CPU either way).
            with threadpool_limits(limits=1):
                computed = compute(collection, items)
            result = {"space": space, "item_count": len(items), **computed}
            self._cache.put(key, stamp, result)
        return result

    def _nearest(self, collection: VectorCollection, items: SpaceItems, k: int) -> Neighbours:
        key = (collection.physical_name, k)
        if key not in self._neighbours:
            source = self.settings.explore_neighbours_from
            if source == "auto":
                source = "local" if self.settings.uses_milvus_lite else "milvus"
            if source == "local":
                self._neighbours[key] = nearest_local(items, k, self._progress)
            else:
                self._neighbours[key] = nearest(
                    collection, items, k, ef=self.settings.search_ef, progress=self._progress
                )
        return self._neighbours[key]

    def _collection(self, space: str) -> VectorCollection:
        collection = self._store.existing_collection(space_spec(space))
        if collection is None:
            raise NotFoundError(
                f"nothing is ingested in the {space} space yet: run `searchapp ingest PATH`"
            )
        return collection
