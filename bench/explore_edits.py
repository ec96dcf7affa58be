"""How far a lightly edited copy of a document moves in MiniLM's space.

    PYTHONPATH=. .venv/bin/python bench/explore_edits.py

The plain, Markdown and reST sample documents (their first 180 words), each with
2-30% of its words replaced by random words of the corpus (seeded), against the
original: the similarity a near-duplicate threshold must reach to catch them.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from searchapp.config import Settings
from searchapp.embed import Embedders

DOCS = Path(__file__).resolve().parents[1] / "data" / "docs"


def main() -> None:
    texts = [
        " ".join(path.read_text(errors="replace").split()[:180])
        for path in sorted(DOCS.rglob("*"))
        if path.suffix in (".md", ".txt", ".rst") and path.is_file()
    ]
    model = Embedders(Settings(lite_shared=False)).text()
    rng = random.Random(0)
    vocabulary = [word for text in texts for word in text.split()]
    originals = model.embed(texts)
    print(f"{len(texts)} documents")
    print("| words replaced | min | p10 | median | copies at >= 0.95 |")
    print("| --- | --- | --- | --- | --- |")
    for share in (0.02, 0.05, 0.1, 0.2, 0.3):
        edited = []
        for text in texts:
            words = text.split()
            for i in rng.sample(range(len(words)), max(1, int(len(words) * share))):
                words[i] = rng.choice(vocabulary)
            edited.append(" ".join(words))
        sims = (originals * model.embed(edited)).sum(axis=1)
        print(
            f"| {share:.0%} | {sims.min():.3f} | {np.percentile(sims, 10):.3f} | "
            f"{np.median(sims):.3f} | {(sims >= 0.95).mean():.0%} |"
        )


if __name__ == "__main__":
    main()
