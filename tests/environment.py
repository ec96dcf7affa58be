"""The environment of a `searchapp` process started by a test."""

from __future__ import annotations

import os
from pathlib import Path


def searchapp_environment(state_dir: Path, **extra: str) -> dict[str, str]:
    """A `searchapp` process on ``state_dir``: the tiny random CLIP (no real weights
    here), models offline, and none of the developer's own SEARCHAPP_* variables;
    ``extra`` adds or overrides variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHAPP_")}
    env.update(
        SEARCHAPP_STATE_DIR=str(state_dir),
        SEARCHAPP_TEST_RANDOM_CLIP="1",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    env.update(extra)
    return env
