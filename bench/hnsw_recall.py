"""Recall@10 of the HNSW index against exact search, for several search-time ef values.

    PYTHONPATH=. .venv/bin/python bench/hnsw_recall.py

On SciFact's chunks (the scratch collection of `searchapp eval`), with SciFact's
test queries: exact neighbours by brute force over the stored vectors (numpy),
approximate ones from Milvus at each ef. Prints recall@10 and mean latency.
"""

from __future__ import annotations

import time

import numpy as np
from _scifact import scifact_evaluator

from searchapp.store import TEXT_SPEC

EFS = (10, 16, 32, 64, 128, 256)
K = 10


def main() -> None:
    with scifact_evaluator() as evaluator:
        collection = evaluator.app.store.existing_collection(TEXT_SPEC)
        rows = collection.query("", ["id", "vector"])
        ids = np.array([row["id"] for row in rows])
        stored = np.array([row["vector"] for row in rows], dtype=np.float32)
        queries = evaluator.app.embedders.text().embed(list(evaluator.dataset.queries.values()))
        exact = np.argsort(-(queries @ stored.T), axis=1)[:, :K]
        print(f"{len(ids)} chunks, {len(queries)} queries, {evaluator.app.store.info.describe()}")
        print("| search ef | recall@10 | ms per query |")
        print("| --- | --- | --- |")
        for ef in EFS:
            started = time.perf_counter()
            found = [
                collection.search(query[np.newaxis], limit=K, fields=[], ef=ef)[0]
                for query in queries
            ]
            ms = (time.perf_counter() - started) * 1000 / len(queries)
            recall = np.mean(
                [
                    len({row["id"] for row in hits} & set(ids[truth])) / K
                    for hits, truth in zip(found, exact, strict=True)
                ]
            )
            print(f"| {ef} | {recall:.4f} | {ms:.1f} |", flush=True)


if __name__ == "__main__":
    main()
