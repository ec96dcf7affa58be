"""How far a lightly edited copy of a document moves in MiniLM's space.

    PYTHONPATH=. .venv/bin/python bench/explore_edits.py

The plain, Markdown and reST sample documents (their first 180 words), each with
2-30% of its words replaced by random words of the corpus (seeded), against the
original: the similarity a near-duplicate threshold must reach to catch them.
"""

import random
from pathlib import Path

import numpy as np

from searchapp.config import Settings
from searchapp.embed import Embedders

texts = []
for p in sorted(Path("data/docs").rglob("*")):
    if p.suffix in (".md", ".txt", ".rst") and p.is_file():
        texts.append(" ".join(p.read_text(errors="replace").split()[:180]))
emb = Embedders(Settings(lite_shared=False)).text()
rng = random.Random(0)
vocab = [w for t in texts for w in t.split()]
base = emb.embed(texts)
for frac in (0.02, 0.05, 0.1, 0.2, 0.3):
    edited = []
    for t in texts:
        w = t.split()
        for i in rng.sample(range(len(w)), max(1, int(len(w) * frac))):
            w[i] = rng.choice(vocab)
        edited.append(" ".join(w))
    e = emb.embed(edited)
    sims = (base * e).sum(1)
    print(
        f"{frac:.0%} words replaced: similarity min {sims.min():.3f} p10 {np.percentile(sims, 10):.3f} median {np.median(sims):.3f}  share>=0.95 {(sims >= 0.95).mean():.2f}"
    )
print(len(texts), "docs")
