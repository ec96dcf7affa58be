"""Ranking metrics, as BEIR reports them (pytrec_eval's definitions).

Each takes one query's ranking (document ids, best first) and its judgements
(document id -> grade; a grade above 0 means relevant). Averaging over
queries is the caller's job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Normalised discounted cumulative gain: gain = grade, discount = log2(rank + 1)."""
    gains = [judged.get(doc, 0) for doc in _top(ranking, k)]
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    best = _dcg(ideal)
    return _dcg(gains) / best if best > 0 else 0.0


def recall_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_top(ranking, k))) / len(relevant)


def mrr_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """1 / rank of the first relevant document in the top k (0 when there is none)."""
    for rank, doc in enumerate(_top(ranking, k), start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def _top(ranking: Sequence[str], k: int) -> list[str]:
    """The first k distinct documents: a document counts once, at its best rank."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    seen: dict[str, None] = {}
    for doc in ranking:
        seen.setdefault(doc, None)
        if len(seen) == k:
            break
    return list(seen)


def _dcg(gains: Sequence[int]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))
