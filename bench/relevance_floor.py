"""Calibrate relevance and choose the relevance floor per text retrieval, on SciFact.

    PYTHONPATH=. .venv/bin/python bench/relevance_floor.py

1. Fits relevance = logistic(slope * cosine + intercept) to SciFact's judgements
   of the top-10 dense hits of every test query (Platt scaling).
2. For several floors, per retrieval: how many judged-relevant hits in the top
   10 survive (the cost), and how many off-topic queries (COCO photo captions,
   which no SciFact abstract answers) correctly come back empty (the gain).
"""

from __future__ import annotations

import csv

import numpy as np
from _scifact import SCIFACT, scifact_evaluator
from sklearn.linear_model import LogisticRegression

from searchapp.search import Hit, Retrieval, SearchService
from searchapp.search.floor import Calibration, Direction, RelevanceFloor

CAPTIONS = SCIFACT.parent / "coco_mini" / "captions.tsv"
FLOORS = (0.003, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)


def off_topic_queries() -> list[str]:
    """The first caption of each COCO photo: everyday scenes, nothing biomedical."""
    seen: dict[str, str] = {}
    with CAPTIONS.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            seen.setdefault(row["image_path"], row["caption"].strip())
    return list(seen.values())


def main() -> None:
    with scifact_evaluator() as evaluator:
        dataset, app = evaluator.dataset, evaluator.app
        negatives = off_topic_queries()
        # One batch per list: embedding queries one at a time is many times slower.
        embed = app.embedders.text().embed
        texts = list(dataset.queries.values())
        vectors = dict(zip(texts, embed(texts), strict=True))
        vectors |= dict(zip(negatives, embed(negatives), strict=True))

        def hits(service: SearchService, query: str, retrieval: Retrieval) -> list[Hit]:
            return service.search_text(
                query, k=10, retrieval=retrieval, min_relevance=0, vector=vectors[query]
            ).hits

        def relevant(query_id: str, hit: Hit) -> bool:
            return dataset.qrels[query_id].get(hit.record_id or "", 0) > 0

        pairs = [
            (hit.score, relevant(query_id, hit))
            for query_id, text in dataset.queries.items()
            for hit in hits(app.search, text, Retrieval.DENSE)
        ]
        cosines, labels = np.array([[c] for c, _ in pairs]), [int(r) for _, r in pairs]
        model = LogisticRegression(C=1e6).fit(cosines, labels)
        slope, intercept = float(model.coef_[0][0]), float(model.intercept_[0])
        print(f"calibration on {len(labels)} judged dense hits ({sum(labels)} relevant):")
        print(f"  relevance = 1 / (1 + exp(-({slope:.2f} * cosine + {intercept:.2f})))\n")

        # Rate hits with the fitted curve (not the one the code ships) from here on.
        fitted = Calibration(slope, intercept)
        service = SearchService(app.settings, app.store, app.embedders)
        service.floor = RelevanceFloor(
            {}, {f"text-{r.value}": Direction(fitted, default_floor=0.0) for r in Retrieval}
        )
        print(
            f"floors: SciFact relevant hits kept (top 10) / {len(negatives)} off-topic "
            "queries (COCO captions) answered with no result"
        )
        print("| retrieval | floor | relevant hits kept | off-topic queries empty |")
        print("| --- | --- | --- | --- |")
        for retrieval in Retrieval:
            kept_relevance = [
                hit.relevance or 0.0
                for query_id, text in dataset.queries.items()
                for hit in hits(service, text, retrieval)
                if relevant(query_id, hit)
            ]
            best_off_topic = [
                max((hit.relevance or 0.0 for hit in hits(service, q, retrieval)), default=0.0)
                for q in negatives
            ]
            for floor in FLOORS:
                kept = np.mean([r >= floor for r in kept_relevance])
                empty = np.mean([r < floor for r in best_off_topic])
                print(f"| {retrieval.value} | {floor} | {kept:.3f} | {empty:.3f} |", flush=True)


if __name__ == "__main__":
    main()
