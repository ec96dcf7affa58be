"""A handle on one space's collection: writes, deletes, queries and vector search."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from searchapp.errors import StoreError
from searchapp.store.errors import translated
from searchapp.store.hybrid import Fusion
from searchapp.store.retry import RetryPolicy
from searchapp.store.schema import SPARSE_FIELD, CollectionSpec
from searchapp.store.spaces import SpaceRecord

if TYPE_CHECKING:
    from pymilvus import MilvusClient

# Rows per insert/upsert call: well under gRPC's message limit even for long chunks.
_WRITE_BATCH = 512
# Rows per query page when reading many rows back. Milvus Lite answers every page
# by walking the whole collection in Python (candidate lists, a dedup mask, a sort
# by id: ~0.3 s of CPU a page at 100,000 rows whatever the page size), so the
# 1,000-row pages this used made reading N rows cost N/1000 walks (100,000 vectors
# did not come back in 20 minutes). Without vectors a page can be large: Lite
# materialises each row whole and drops what was not asked for at once. With
# vectors memory sets the size: a SciFact duplicates run peaked at 574 / 791 /
# 1,202 / 1,332 MB RSS with 1,000 / 2,048 / 4,096 / 8,192-row pages for the same
# CPU time, ~100 KB a row in flight (the row materialised in Lite, encoded,
# decoded here). 16,384 is the largest page pymilvus and a server accept.
_QUERY_PAGE = 16384
_VECTOR_PAGE = 2048


class VectorCollection:
    """One physical collection of an embedding space, with the model that made it.

    ``name`` is the space's alias (``<prefix>_<space>``), what users see;
    reads and writes address ``physical_name`` (``<alias>_v<N>``), the
    collection the alias pointed to when this handle was opened, so the
    vectors a handle searches always match its ``identity``. The store
    resolves the alias again on every open: after a re-index switched it,
    new handles use the new collection.
    ``keywords`` is its BM25 index, None when it has none (a server older than
    Milvus 2.5, or a collection built before keyword search existed).
    """

    def __init__(
        self,
        client: MilvusClient,
        *,
        uri: str,
        alias: str,
        physical_name: str,
        spec: CollectionSpec,
        record: SpaceRecord,
        consistency: str,
    ) -> None:
        self._client = client
        self._uri = uri
        self.name = alias
        self.physical_name = physical_name
        self.spec = spec
        #: What the collection recorded at creation: its model, index and BM25 index.
        self.record = record
        self.identity = record.identity
        self.index = record.index
        self.keywords = record.keywords
        self.schema_version = record.schema
        self._consistency = consistency
        self._retry = RetryPolicy()

    def with_retries(self, policy: RetryPolicy) -> VectorCollection:
        """This handle, with writes (upsert, delete, flush) retried under ``policy``
        when Milvus is unreachable: they are safe to repeat."""
        retrying = copy.copy(self)
        retrying._retry = policy
        return retrying

    @property
    def stored_fields(self) -> list[str]:
        """The spec's scalar fields this collection has (no keyword field without BM25)."""
        if self.keywords is None:
            return [f for f in self.spec.field_names if f != self.spec.keyword_field]
        return self.spec.field_names

    # --- writes ------------------------------------------------------------

    def upsert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows, replacing any with the same id.

        Without a keyword index (an old server) the keyword field does not exist:
        it is left out of the rows.
        """
        if self.keywords is None and self.spec.keyword_field is not None:
            unused = self.spec.keyword_field
            rows = [{k: v for k, v in row.items() if k != unused} for row in rows]
        for start in range(0, len(rows), _WRITE_BATCH):
            part = list(rows[start : start + _WRITE_BATCH])
            self._retry.call("write rows", partial(self._upsert, part))

    def _upsert(self, rows: list[dict[str, Any]]) -> None:
        with translated("write rows", self._uri):
            self._client.upsert(self.physical_name, rows)

    def delete(self, expression: str) -> None:
        """Delete every row matching ``expression`` (never called with an empty one)."""
        if not expression:
            raise ValueError("refusing to delete with an empty filter")
        self._retry.call("delete rows", lambda: self._delete(expression))

    def _delete(self, expression: str) -> None:
        with translated("delete rows", self._uri):
            self._client.delete(self.physical_name, filter=expression)

    def flush(self) -> None:
        """Seal what was written into a segment, so it is searched through its indexes.

        Milvus Lite keeps unflushed rows in memory, searches them by brute force
        and rebuilds their BM25 index on every keyword search (seconds per query
        at 10,000 chunks); a server indexes a segment only once it is sealed.
        Called at the end of an ingest round, not per batch: each flush makes a
        segment, and Lite scores BM25 with per-segment statistics.
        """
        self._retry.call("flush", self._flush)

    def _flush(self) -> None:
        with translated("flush", self._uri):
            self._client.flush(self.physical_name)

    # --- reads -------------------------------------------------------------

    def count(self, expression: str = "") -> int:
        with translated("count rows", self._uri):
            result = self._client.query(
                self.physical_name,
                filter=expression,
                output_fields=["count(*)"],
                consistency_level="Strong",
            )
        return int(result[0]["count(*)"]) if result else 0

    def query(
        self,
        expression: str,
        fields: Sequence[str],
        *,
        limit: int | None = None,
        consistency: str = "Strong",
    ) -> list[dict[str, Any]]:
        """Rows matching ``expression``, all of them unless ``limit`` is given.

        Strong sees every finished write, and costs a server up to one time tick
        (~200 ms); pass ``consistency="Bounded"`` where a slightly stale answer
        is harmless and the call is made per file.
        """
        if limit is not None:
            with translated("read rows", self._uri):
                return list(
                    self._client.query(
                        self.physical_name,
                        filter=expression,
                        output_fields=list(fields),
                        limit=limit,
                        consistency_level=consistency,
                    )
                )
        return [row for page in self.pages(expression, fields) for row in page]

    def pages(
        self, expression: str, fields: Sequence[str], *, page_size: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every row matching ``expression`` exactly once, a page at a time, in id order
        (fields may include the vector). ``page_size`` defaults to the largest page that
        keeps memory bounded (see _QUERY_PAGE); tests pass small ones."""
        if page_size is None:
            page_size = _VECTOR_PAGE if "vector" in fields else _QUERY_PAGE
        # Query iterators read a snapshot that, on servers which do not hand out
        # one (Milvus 2.3), may lag the latest writes by up to a second; a Strong
        # query first makes the query nodes catch up with every finished write.
        self.count(expression)
        with translated("read rows", self._uri):
            iterator = self._client.query_iterator(
                self.physical_name,
                filter=expression,
                output_fields=list(fields),
                batch_size=page_size,
                consistency_level="Strong",
            )
        try:
            while True:
                with translated("read rows", self._uri):
                    page = iterator.next()
                if not page:
                    return
                yield list(page)
        finally:
            iterator.close()

    def get(self, ids: Sequence[str], fields: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        with translated("read rows", self._uri):
            return list(
                self._client.get(self.physical_name, ids=list(ids), output_fields=list(fields))
            )

    def search(
        self,
        vectors: np.ndarray,
        *,
        limit: int,
        fields: Sequence[str],
        expression: str = "",
        ef: int = 64,
    ) -> list[list[dict[str, Any]]]:
        """Nearest rows for each query vector: ``[{"id", "score", **fields}, ...]`` per query.

        ``score`` is the cosine similarity (higher is closer). HNSW needs
        ``ef >= limit``, so ef is raised to the limit when it is smaller.
        """
        with translated("search", self._uri):
            results = self._client.search(
                self.physical_name,
                data=[np.asarray(v, dtype=np.float32).tolist() for v in vectors],
                anns_field="vector",
                limit=limit,
                filter=expression,
                output_fields=list(fields),
                search_params=self._dense_params(ef, limit),
                consistency_level=self._consistency,
            )
        return [_rows(hits) for hits in results]

    def keyword_search(
        self, terms: str, *, limit: int, fields: Sequence[str], expression: str = ""
    ) -> list[dict[str, Any]]:
        """Rows ranked by BM25 for ``terms`` (analysed words, see searchapp.keywords).

        ``score`` is the BM25 score (higher is better). Needs ``keywords``.
        """
        [rows] = self.keyword_search_many(
            [terms], limit=limit, fields=fields, expression=expression
        )
        return rows

    def keyword_search_many(
        self, terms: Sequence[str], *, limit: int, fields: Sequence[str], expression: str = ""
    ) -> list[list[dict[str, Any]]]:
        """:meth:`keyword_search` for several queries in one call: rows per query."""
        with translated("search keywords", self._uri):
            results = self._client.search(
                self.physical_name,
                data=list(terms),
                anns_field=SPARSE_FIELD,
                limit=limit,
                filter=expression,
                output_fields=list(fields),
                search_params={"metric_type": "BM25"},
                consistency_level=self._consistency,
            )
        # Milvus Lite reports BM25 as a negative distance, a server as a positive
        # score; BM25 itself is never negative.
        return [[{**row, "score": abs(row["score"])} for row in _rows(hits)] for hits in results]

    def hybrid_search(
        self,
        vector: np.ndarray,
        terms: str,
        *,
        limit: int,
        fields: Sequence[str],
        fusion: Fusion,
        expression: str = "",
        ef: int = 64,
    ) -> list[dict[str, Any]]:
        """Rows ranked by Milvus's fusion of a dense and a BM25 search (``limit`` each).

        ``score`` is the fused score: comparable within one result list only.
        """
        [rows] = self.hybrid_search_many(
            np.asarray(vector)[np.newaxis],
            [terms],
            limit=limit,
            fields=fields,
            fusion=fusion,
            expression=expression,
            ef=ef,
        )
        return rows

    def hybrid_search_many(
        self,
        vectors: np.ndarray,
        terms: Sequence[str],
        *,
        limit: int,
        fields: Sequence[str],
        fusion: Fusion,
        expression: str = "",
        ef: int = 64,
    ) -> list[list[dict[str, Any]]]:
        """:meth:`hybrid_search` for several queries (``vectors[i]`` with ``terms[i]``)
        in one call: rows per query. Milvus Lite serves them in one pass, several
        times cheaper per query than one call each."""
        from pymilvus import AnnSearchRequest

        dense = AnnSearchRequest(
            data=[np.asarray(v, dtype=np.float32).tolist() for v in vectors],
            anns_field="vector",
            param=self._dense_params(ef, limit),
            limit=limit,
            filter=expression or None,
        )
        keyword = AnnSearchRequest(
            data=list(terms),
            anns_field=SPARSE_FIELD,
            param={"metric_type": "BM25"},
            limit=limit,
            filter=expression or None,
        )
        with translated("search (hybrid)", self._uri):
            results = self._client.hybrid_search(
                self.physical_name,
                [dense, keyword],
                ranker=fusion.ranker(),
                limit=limit,
                output_fields=list(fields),
                consistency_level=self._consistency,
            )
        return [_rows(hits) for hits in results]

    # --- upkeep ------------------------------------------------------------

    def built_index(self) -> dict[str, Any]:
        """The vector index as Milvus reports it (type, parameters, indexed rows)."""
        with translated("describe the index", self._uri):
            return dict(self._client.describe_index(self.physical_name, "vector"))

    def seal(self, *, timeout: float = 3600.0) -> None:
        """Persist what was written and wait until the vector index covers it.

        A re-index calls this before switching the alias, so searches never
        meet a half-indexed collection (a server indexes sealed segments in
        the background; until then it searches them by brute force).
        """
        with translated("flush", self._uri):
            self._client.flush(self.physical_name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            index = self.built_index()
            if int(index.get("pending_index_rows", 0) or 0) == 0 and int(
                index.get("indexed_rows", 0) or 0
            ) >= int(index.get("total_rows", 0) or 0):
                return
            time.sleep(0.5)
        raise StoreError(
            f"Milvus has not finished indexing {self.physical_name} after {timeout:.0f}s; "
            "check the server's index nodes"
        )

    def _dense_params(self, ef: int, limit: int) -> dict[str, Any]:
        return {"metric_type": self.identity.metric, "params": {"ef": max(ef, limit)}}


def _rows(hits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": hit["id"], "score": float(hit["distance"]), **hit["entity"]} for hit in hits]
