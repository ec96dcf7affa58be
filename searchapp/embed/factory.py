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
        self._text: dict[str, SentenceTransformerEmbedder] = {}

    def text(self) -> SentenceTransformerEmbedder:
        """The configured text model (``SEARCHAPP_TEXT_MODEL``)."""
        return self.text_model(self._settings.text_model)

    def text_model(self, name: str) -> SentenceTransformerEmbedder:
        """The text model called ``name``, loaded once.

        Usually the configured one; another when a re-index builds a
        collection with a new model, or when a search meets a collection that
        a re-index built with another model while this process was running.
        """
        with self._lock:
            if name not in self._text:
                self._text[name] = SentenceTransformerEmbedder(
                    name, device=self._settings.device, batch_size=self._settings.embed_batch_size
                )
            return self._text[name]
