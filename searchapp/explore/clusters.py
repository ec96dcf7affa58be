"""Clusters of a space's items, each labelled by its most distinctive words.

Clustering is scikit-learn's KMeans (MiniBatchKMeans above a few thousand
items) on the unit vectors, with the number of clusters chosen by the best
silhouette score unless asked. KMeans rather than HDBSCAN: in 384/512
dimensions HDBSCAN's density estimates put most points in "noise", while every
item of a library should land on the map in some cluster; KMeans is also
predictable in time and memory (linear in items), and its centroids assign the
items beyond the sample.

Labels are class-based TF-IDF (as BERTopic does): a word scores high in a
cluster when it is frequent there and rare in the other clusters. Words are
stemmed for counting (so "cells" and "cell" count together) and shown in their
most frequent spelling.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchapp.keywords import STOP_WORDS

SEED = 0
_SILHOUETTE_SAMPLE = 2000
_MINIBATCH_ABOVE = 5000
_LABEL_WORDS = 4
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)  # letters only, three or more
# Words that say nothing about a topic but fill documents.
_EXTRA_STOP = frozenset(
    {"from", "have", "has", "had", "were", "been", "which", "also", "can", "its", "our",
     "we", "you", "your", "all", "one", "two", "may", "more", "than", "who", "what"}
)  # fmt: skip


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # cluster of each item (int)
    centroids: np.ndarray  # (k, dim)
    words: list[list[str]]  # each cluster's label words, most distinctive first

    @property
    def count(self) -> int:
        return len(self.words)

    def summary(self, titles: list[str], ids: list[str], examples: int = 3) -> list[dict[str, Any]]:
        sizes = np.bincount(self.labels, minlength=self.count)
        out = []
        for c in range(self.count):
            members = np.flatnonzero(self.labels == c)[:examples]
            out.append(
                {
                    "cluster": c,
                    "label": ", ".join(self.words[c]) or f"cluster {c}",
                    "words": self.words[c],
                    "size": int(sizes[c]),
                    "examples": [{"id": ids[i], "title": titles[i]} for i in members],
                }
            )
        return out


def choose_k(vectors: np.ndarray, max_k: int = 12) -> int:
    """The number of clusters (2..max_k) whose KMeans has the best cosine silhouette."""
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 4:
        return 1
    rng = np.random.default_rng(SEED)
    sample = vectors if n <= _SILHOUETTE_SAMPLE else vectors[rng.choice(n, _SILHOUETTE_SAMPLE)]
    best, best_score = 2, -1.0
    for k in range(2, min(max_k, len(sample) - 1) + 1):
        labels = _kmeans(sample, k).labels_
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(sample, labels, metric="cosine"))
        if score > best_score + 1e-9:
            best, best_score = k, score
    return best


def cluster(
    vectors: np.ndarray, texts: list[str], sample: np.ndarray, k: int | None = None
) -> Clustering:
    """Fit on ``vectors[sample]``, assign every item to its nearest centroid, label."""
    fitted = vectors[sample]
    if k is None:
        k = choose_k(fitted)
    k = max(1, min(k, len(fitted)))
    if k == 1:
        labels = np.zeros(len(vectors), dtype=np.int64)
        centroids = fitted.mean(axis=0, keepdims=True)
    else:
        model = _kmeans(fitted, k)
        centroids = model.cluster_centers_
        labels = model.predict(vectors).astype(np.int64)
    return Clustering(labels, centroids, label_words(texts, labels, k))


def _kmeans(vectors: np.ndarray, k: int) -> Any:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if len(vectors) > _MINIBATCH_ABOVE:
        return MiniBatchKMeans(k, random_state=SEED, n_init=3, batch_size=2048).fit(vectors)
    return KMeans(k, random_state=SEED, n_init=4).fit(vectors)


def label_words(texts: list[str], labels: np.ndarray, k: int) -> list[list[str]]:
    """Class-based TF-IDF: tf of a word in the cluster's text times log(1 + A / f), A the
    mean words per cluster and f the word's count over all clusters."""
    import Stemmer

    stemmer = Stemmer.Stemmer("porter")
    counts: list[Counter[str]] = [Counter() for _ in range(k)]
    spelling: dict[str, Counter[str]] = {}
    for text, label in zip(texts, labels.tolist(), strict=True):
        words = [
            w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and w not in _EXTRA_STOP
        ]
        for word, stem in zip(words, stemmer.stemWords(words), strict=True):
            counts[label][stem] += 1
            spelling.setdefault(stem, Counter())[word] += 1
    totals: Counter[str] = Counter()
    for c in counts:
        totals.update(c)
    mean_words = sum(totals.values()) / max(k, 1)
    result = []
    for c in counts:
        size = sum(c.values()) or 1
        scored = sorted(
            ((n / size) * np.log(1 + mean_words / totals[stem]), stem) for stem, n in c.items()
        )
        top = [stem for _, stem in reversed(scored[-_LABEL_WORDS:])]
        result.append([spelling[stem].most_common(1)[0][0] for stem in top])
    return result
