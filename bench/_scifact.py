"""What the benchmarks share: the SciFact dataset and its scratch collection.

The scratch collection is the one `searchapp eval` builds (same prefix for the
same corpus, model and chunking), so a benchmark after an eval embeds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.evaluate import BeirDataset, Evaluator

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


@contextmanager
def scifact_evaluator(**overrides: Any) -> Iterator[Evaluator]:
    """An evaluator whose scratch collection holds SciFact (built on first use)."""
    settings = Settings(**overrides)
    embedders = Embedders(settings)
    evaluator = Evaluator(settings, embedders, BeirDataset.load(SCIFACT))
    try:
        evaluator.prepare()
        yield evaluator
    finally:
        evaluator.close()
