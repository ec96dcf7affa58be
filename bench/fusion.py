"""How hybrid search should fuse: RRF's k and weighted fusion's BM25 weight, on SciFact.

    PYTHONPATH=. .venv/bin/python bench/fusion.py

Prints nDCG@10, Recall@10, Recall@100 and MRR@10 for dense, keyword and each
fusion setting (the scratch collection of `searchapp eval` is reused).
"""

from __future__ import annotations

import sys
import time

from _scifact import scifact_evaluator

from searchapp.evaluate.evaluator import mean_metrics
from searchapp.search import Retrieval, SearchService

RRF_KS = (10, 20, 40, 60, 100)
KEYWORD_WEIGHTS = (0.01, 0.02, 0.05, 0.1)


def main() -> None:
    with scifact_evaluator() as evaluator:
        app = evaluator.app
        qrels = evaluator.dataset.qrels
        variants: list[tuple[str, Retrieval, dict[str, object]]] = [
            ("dense", Retrieval.DENSE, {}),
            ("keyword", Retrieval.KEYWORD, {}),
        ]
        variants += [(f"rrf k={k}", Retrieval.HYBRID, {"hybrid_rrf_k": k}) for k in RRF_KS]
        variants += [
            (
                f"weighted 1:{w}",
                Retrieval.HYBRID,
                {"hybrid_fusion": "weighted", "hybrid_keyword_weight": w},
            )
            for w in KEYWORD_WEIGHTS
        ]
        print("| fusion | nDCG@10 | Recall@10 | Recall@100 | MRR@10 | s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, retrieval, update in variants:
            service = SearchService(
                app.settings.model_copy(update=update), app.store, app.embedders
            )
            started = time.perf_counter()
            metrics = mean_metrics(evaluator.rankings(retrieval, service), qrels, 10)
            seconds = time.perf_counter() - started
            values = " | ".join(f"{v:.4f}" for v in metrics.values())
            print(f"| {name} | {values} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
