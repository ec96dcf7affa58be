"""Evaluate retrieval on a BEIR-layout dataset through the same search service as
every other caller.

The corpus goes into a scratch collection (its own collection prefix, in the
configured store) named after everything that shapes its rows: the corpus's
bytes, the model, chunking and index settings. A later run with the same
inputs reuses it instead of embedding the corpus again.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.errors import DatasetError, FeatureUnsupportedError
from searchapp.evaluate.beir import BeirDataset
from searchapp.evaluate.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.summary import Progress
from searchapp.search import MAX_K, Retrieval, SearchService
from searchapp.search.service import MAX_QUERY_CHARS
from searchapp.store import TEXT_SPEC
from searchapp.store.spaces import SCHEMA_VERSION

# Recall@100 is always reported, so every query asks for 100 documents.
_DEPTH = MAX_K
_HASH_BLOCK = 1 << 20

QueryProgress = Callable[[Retrieval, int, int], None]  # retrieval, queries done, total


@dataclass(frozen=True)
class EvalReport:
    dataset: str
    queries: int
    k: int
    collection: str
    reused: bool  # the scratch collection was already built
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # retrieval -> metrics
    unavailable: dict[str, str] = field(default_factory=dict)  # retrieval -> why not
    cut_queries: dict[str, str] = field(default_factory=dict)  # query id -> what was cut

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "queries": self.queries,
            "k": self.k,
            "collection": self.collection,
            "reused": self.reused,
            "metrics": self.metrics,
            "unavailable": self.unavailable,
            "cut_queries": self.cut_queries,
        }


def mean_metrics(
    rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int
) -> dict[str, float]:
    """nDCG@k, Recall@k, Recall@100 and MRR@k, each averaged over the judged queries."""
    values = {
        f"ndcg@{k}": [ndcg_at_k(rankings[q], judged, k) for q, judged in qrels.items()],
        f"recall@{k}": [recall_at_k(rankings[q], judged, k) for q, judged in qrels.items()],
        f"recall@{_DEPTH}": [
            recall_at_k(rankings[q], judged, _DEPTH) for q, judged in qrels.items()
        ],
        f"mrr@{k}": [mrr_at_k(rankings[q], judged, k) for q, judged in qrels.items()],
    }
    return {name: round(statistics.fmean(per_query), 4) for name, per_query in values.items()}


class Evaluator:
    """Builds (or reuses) the scratch collection for one dataset, then runs its queries."""

    def __init__(self, settings: Settings, embedders: Embedders, dataset: BeirDataset) -> None:
        self._settings = settings
        self._embedders = embedders
        self.dataset = dataset
        self._corpus_sha256 = _sha256(dataset.corpus)
        self.prefix = scratch_prefix(settings, embedders, self._corpus_sha256)
        # The scratch collection's app: benchmarks may search it with other services.
        # Only the text space is evaluated: no CLIP windows for the corpus.
        scratch = {"collection_prefix": self.prefix, "clip_text_windows": 0}
        self.app = App(settings.model_copy(update=scratch), embedders=embedders)
        self._marker = settings.state_dir / "eval" / f"{self.prefix}.json"

    def close(self) -> None:
        self.app.close()

    def prepare(self, *, rebuild: bool = False, progress: Progress | None = None) -> bool:
        """Make sure the scratch collection holds the whole corpus; True if it already did."""
        if not rebuild and self._is_built():
            return True
        summary = ingest(self.app, scan([self.dataset.corpus]).files, force=True, progress=progress)
        if summary.count(Outcome.INGESTED) != 1:
            reasons = "; ".join(f"{r.path}: {r.reason}" for r in summary.results)
            raise DatasetError(f"could not ingest the corpus: {reasons}")
        rows = self._collection_rows()
        self._marker.parent.mkdir(parents=True, exist_ok=True)
        self._marker.write_text(json.dumps({"corpus_sha256": self._corpus_sha256, "rows": rows}))
        return False

    def run(
        self,
        retrievals: Sequence[Retrieval],
        *,
        k: int = 10,
        reused: bool = False,
        progress: QueryProgress | None = None,
    ) -> EvalReport:
        """Every judged query through the search service, per retrieval; mean metrics."""
        if not 1 <= k <= _DEPTH:
            raise DatasetError(f"k must be between 1 and {_DEPTH}, not {k}")
        report = EvalReport(
            dataset=self.dataset.name,
            queries=len(self.dataset.queries),
            k=k,
            collection=self.app.store.alias_for(TEXT_SPEC),
            reused=reused,
            cut_queries={q: f"{len(self.dataset.queries[q])} characters" for q in self._cut},
        )
        for retrieval in retrievals:
            try:
                report.metrics[retrieval.value] = self._score(retrieval, k, progress)
            except FeatureUnsupportedError as exc:
                report.unavailable[retrieval.value] = str(exc)
        return report

    def rankings(
        self, retrieval: Retrieval, search: SearchService | None = None
    ) -> dict[str, list[str]]:
        """Each judged query's ranking (document ids, best first), floor off.

        ``search`` replaces the scratch app's service (benchmarks compare settings).
        """
        return {
            query_id: self._ranking(query_id, retrieval, search)
            for query_id in self.dataset.queries
        }

    def _score(
        self, retrieval: Retrieval, k: int, progress: QueryProgress | None
    ) -> dict[str, float]:
        rankings: dict[str, list[str]] = {}
        total = len(self.dataset.queries)
        for done, query_id in enumerate(self.dataset.queries, start=1):
            rankings[query_id] = self._ranking(query_id, retrieval)
            if progress is not None:
                progress(retrieval, done, total)
        return mean_metrics(rankings, self.dataset.qrels, k)

    @cached_property
    def _queries(self) -> dict[str, str]:
        """Each query as it is searched: one longer than the API accepts is cut to the
        start the model reads (see :func:`fit_query`), so the run goes on."""
        model = self.app.embedders.query_text()
        return {q: fit_query(text, model.window_prefix) for q, text in self.dataset.queries.items()}

    @cached_property
    def _cut(self) -> list[str]:
        """The ids of the queries that were cut."""
        return [q for q, text in self._queries.items() if text != self.dataset.queries[q]]

    @cached_property
    def _query_vectors(self) -> dict[str, np.ndarray]:
        ids = list(self._queries)
        vectors = self.app.embedders.query_text().embed_queries([self._queries[q] for q in ids])
        return dict(zip(ids, vectors, strict=True))

    def _ranking(
        self, query_id: str, retrieval: Retrieval, search: SearchService | None = None
    ) -> list[str]:
        # The floor is off: ranking metrics judge the order, not where to stop.
        result = (search or self.app.search).search_text(
            self._queries[query_id],
            k=_DEPTH,
            retrieval=retrieval,
            min_relevance=0.0,
            vector=self._query_vectors[query_id],
        )
        return [hit.record_id or hit.source for hit in result.hits]

    def _is_built(self) -> bool:
        if not self._marker.is_file():
            return False
        recorded = json.loads(self._marker.read_text())
        return (
            recorded.get("corpus_sha256") == self._corpus_sha256
            and recorded.get("rows") == self._collection_rows()
        )

    def _collection_rows(self) -> int:
        collection = self.app.store.existing_collection(TEXT_SPEC)
        return collection.count() if collection is not None else 0


def fit_query(text: str, window_prefix: Callable[[str], str]) -> str:
    """``text``, or its start when it is longer than a search accepts (MAX_QUERY_CHARS).

    A long query is cut to the words the model reads (its window): words past
    it cannot change the query's vector. The keyword side searches the same cut
    text, as it would for a user who sent it through the API; its BM25 score
    loses the terms past the window. A window that still holds more than
    MAX_QUERY_CHARS characters is cut at the last space before the limit.
    """
    stripped = text.strip()
    if len(stripped) <= MAX_QUERY_CHARS:
        return text
    cut = window_prefix(stripped)
    if len(cut) > MAX_QUERY_CHARS:
        cut = cut[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or cut[:MAX_QUERY_CHARS]
    return cut


def scratch_prefix(settings: Settings, embedders: Embedders, corpus_sha256: str) -> str:
    """A collection prefix naming everything that shapes the scratch collection's rows."""
    identity = embedders.text().identity
    recipe = {
        "corpus": corpus_sha256,
        "model": identity.describe(),
        # Vectors of another backend differ slightly: their own collection. Torch's
        # recipe is unchanged, so collections built before the backends are reused.
        **({"backend": identity.backend} if identity.backend != "torch" else {}),
        "schema": SCHEMA_VERSION,
        "chunk": [settings.chunk_tokens, settings.chunk_overlap, settings.chunk_title],
        "hnsw": [settings.hnsw_m, settings.hnsw_ef_construction],
        "bm25": [settings.bm25_k1, settings.bm25_b],
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return f"eval_{digest[:16]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()
