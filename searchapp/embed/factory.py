"""One place that chooses and loads embedders: lazily, once, thread-safely."""

from __future__ import annotations

import threading

from searchapp.config import Settings
from searchapp.embed.text import SentenceTransformerEmbedder


class Embedders:
    """The process's models. Each loads on first use and is then shared.

    Loading is guarded by a lock so that concurrent first requests (API
    threads, pipeline stages) load a model once, not once per thread.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._text: SentenceTransformerEmbedder | None = None

    def text(self) -> SentenceTransformerEmbedder:
        with self._lock:
            if self._text is None:
                self._text = SentenceTransformerEmbedder(
                    self._settings.text_model,
                    device=self._settings.device,
                    batch_size=self._settings.embed_batch_size,
                )
            return self._text
