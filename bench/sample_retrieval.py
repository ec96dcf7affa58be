"""Retrieval on the sample corpus (data/): where each paraphrase query's target ranks.

Ingests data/ into a scratch state folder with the code on PYTHONPATH, then runs
tests/fixtures/paraphrase_queries.json (plus the two queries of issue 21) through
the search service for each retrieval and prints MRR@10 and the share of targets
at rank 1 and in the top 3. Run it with two checkouts on PYTHONPATH to compare
extraction changes (the figures are deterministic; only the time varies):

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/sample_retrieval.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTRA = [
    {"query": "how do bees make honey", "target": "data/docs/web/harvesting-honey.html"},
    {"query": "cinder cones and calderas", "target": "data/docs/articles/volcano-types.rst"},
]


def main() -> int:
    from searchapp.app import App
    from searchapp.config import Settings
    from searchapp.ingest import ingest, scan
    from searchapp.search.request import Retrieval, SearchRequest

    cases = json.loads((REPO / "tests/fixtures/paraphrase_queries.json").read_text()) + EXTRA
    with tempfile.TemporaryDirectory(prefix="sample-retrieval-") as state:
        app = App(Settings(state_dir=Path(state), lite_shared=False))
        try:
            ingest(app, scan([REPO / "data" / "docs"]).files)
            for retrieval in Retrieval:
                ranks = []
                for case in cases:
                    request = SearchRequest(
                        text=case["query"], k=10, retrieval=retrieval, min_relevance=0.0
                    )
                    hits = app.search.search(request).hits
                    sources = [str(Path(hit.source).relative_to(REPO)) for hit in hits]
                    ranks.append(
                        sources.index(case["target"]) + 1 if case["target"] in sources else None
                    )
                mrr = sum(1 / r for r in ranks if r) / len(ranks)
                first = sum(1 for r in ranks if r == 1) / len(ranks)
                top3 = sum(1 for r in ranks if r and r <= 3) / len(ranks)
                print(
                    f"{retrieval.value:8s} MRR@10 {mrr:.4f}  rank 1 {first:.2f}  "
                    f"top 3 {top3:.2f}  ranks {ranks}"
                )
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
