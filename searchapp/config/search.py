"""Settings of search: the HNSW index, batching under load, retrieval and fusion."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SearchSettings(BaseModel):
    """The index, how queries are served, and what retrieval returns."""

    # --- index and search ----------------------------------------------------
    hnsw_m: int = Field(
        default=16,
        ge=2,
        le=2048,
        description="HNSW links per node (new collections): 16 is the usual balance of "
        "recall, memory and build time for 384-512-d vectors.",
    )
    hnsw_ef_construction: int = Field(
        default=200,
        ge=8,
        le=65535,
        description="HNSW build-time candidate list (new collections): 200 builds a "
        "well-connected graph at moderate cost.",
    )
    search_ef: int = Field(
        default=64,
        ge=1,
        le=32768,
        description="HNSW search-time candidate list (raised to k when smaller): higher "
        "is more exact and slower; see docs/evaluation.md (HNSW recall).",
    )
    search_consistency: Literal["Strong", "Bounded", "Session", "Eventually"] = Field(
        default="Bounded",
        description="Milvus consistency level of searches: Bounded sees writes within "
        "about a second and is fastest on a server; Strong sees every finished write.",
    )

    # --- serving under load (dynamic batching of queries) --------------------
    search_batching: bool = Field(
        default=True,
        description="Gather text queries that arrive while others are served into one "
        "encode call and one Milvus call per compatible group (same collection, retrieval "
        "and filter): less CPU per query and more throughput under concurrent load.",
    )
    search_batch_size: int = Field(
        default=32, ge=1, le=1024, description="Most queries served in one batch."
    )
    search_batch_wait_ms: float = Field(
        default=5.0,
        ge=0,
        le=1000,
        description="Longest a batch waits for more queries, in milliseconds; only under "
        "load (the last batch held several): a query at an idle service is served at once.",
    )
    search_batch_workers: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Batches served at once. 0 (automatic): 1 on Milvus Lite, which serves "
        "one search at a time, so one worker makes the largest batches (measured at "
        "100,000 chunks: 63.9 requests/s at 32 clients against 51.1 with 2); 2 on a "
        "server, where one batch is encoded while another is searched.",
    )
    search_alias_refresh_ms: float = Field(
        default=500.0,
        ge=0,
        le=60000,
        description="How long searches reuse what a collection alias pointed to before "
        "asking Milvus again (0: every search asks); a re-index switch made by another "
        "process is followed within this time.",
    )

    # --- retrieval quality (see docs/evaluation.md) ---------------------------
    chunk_title: bool = Field(
        default=True,
        description="Prefix each chunk with its document's title in what the models read "
        "(the embedded text and the keyword index), as MTEB embeds title + text.",
    )
    retrieval: Literal["dense", "keyword", "hybrid"] = Field(
        default="hybrid",
        description="Default text retrieval: dense (MiniLM meaning), keyword (BM25 words) or "
        "hybrid (both, fused by Milvus); hybrid measures best on SciFact.",
    )
    hybrid_fusion: Literal["rrf", "weighted"] = Field(
        default="weighted",
        description="How hybrid search fuses its two rankings: weighted (dense_weight * "
        "cosine + keyword_weight * BM25, measured best) or rrf (reciprocal rank fusion).",
    )
    hybrid_rrf_k: int = Field(
        default=60, ge=1, le=16384, description="RRF's k: larger flattens the rank weights."
    )
    hybrid_dense_weight: float = Field(
        default=1.0, ge=0, description="Weight of the cosine similarity in weighted fusion."
    )
    hybrid_keyword_weight: float = Field(
        default=0.02, ge=0, description="Weight of the BM25 score in weighted fusion."
    )
    bm25_k1: float = Field(
        default=1.2,
        ge=0,
        le=3,
        description="BM25 term-frequency saturation (new collections).",
    )
    bm25_b: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="BM25 length normalisation, 0 (none) to 1 (full) (new collections).",
    )
    min_relevance: dict[str, float] = Field(
        default={},
        description="Relevance floor per search direction, as JSON, e.g. "
        '{"text-hybrid": 0.2}: hits whose calibrated relevance (0-1) is lower are '
        "dropped. Directions not named keep their measured defaults (see docs/evaluation.md).",
    )
