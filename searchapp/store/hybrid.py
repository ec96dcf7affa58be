"""Keyword (BM25) index parameters and the fusion of dense and keyword results.

Both are computed by Milvus: BM25 by a function over a sparse inverted index,
fusion by ``hybrid_search`` with a ranker. These objects only say how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FusionMethod = Literal["rrf", "weighted"]


@dataclass(frozen=True)
class KeywordIndex:
    """BM25 parameters of a collection's keyword index (fixed when it is built).

    k1 bounds how much repeating a term counts; b how much long chunks are
    penalised. 1.2 and 0.75 are the textbook (and Elasticsearch) defaults.
    """

    k1: float = 1.2
    b: float = 0.75

    def as_milvus(self) -> dict[str, float]:
        return {"bm25_k1": self.k1, "bm25_b": self.b}

    def as_record(self) -> dict[str, Any]:
        return {"type": "BM25", "k1": self.k1, "b": self.b}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> KeywordIndex:
        return cls(k1=float(record["k1"]), b=float(record["b"]))

    def describe(self) -> str:
        return f"BM25 k1={self.k1} b={self.b}"


@dataclass(frozen=True)
class Fusion:
    """How hybrid search merges its dense and keyword rankings.

    ``rrf``: reciprocal rank fusion, sum of 1/(rrf_k + rank) over both lists.
    ``weighted``: dense_weight * cosine + keyword_weight * BM25 score, on raw
    scores (Milvus's own normalisation squashes BM25 scores with arctan, which
    flattens them to ~1 for any real match).
    """

    method: FusionMethod = "weighted"
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 0.02

    def ranker(self) -> Any:
        from pymilvus import RRFRanker, WeightedRanker

        if self.method == "rrf":
            return RRFRanker(self.rrf_k)
        return WeightedRanker(self.dense_weight, self.keyword_weight, norm_score=False)
