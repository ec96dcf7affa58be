"""One place that chooses and loads embedders: lazily, once, thread-safely."""

from __future__ import annotations

import threading

from searchapp.config import Settings
from searchapp.embed.clip import Clip, ClipSource
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import ModelUnavailableError


class Embedders:
    """The process's models. Each loads on first use and is then shared.

    Loading is guarded by a lock per model so that concurrent first requests
    (API threads, pipeline stages) load a model once, not once per thread.
    """

    def __init__(self, settings: Settings, *, clip_source: ClipSource | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._text: dict[str, SentenceTransformerEmbedder] = {}
        # A seam for benchmarks: CLIP weights other than the settings' (random ViT-B-32).
        self._clip_source = clip_source
        self._clip_lock = threading.Lock()
        self._clip: Clip | None = None
        self._clip_failure: str | None = None

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

    def clip(self) -> Clip:
        """The CLIP model; ModelUnavailableError (with the reason) when it cannot load.

        A failure is remembered: every later call raises the same message at
        once instead of trying the hub or a bad checkpoint again. Restart the
        process after providing the weights.
        """
        with self._clip_lock:
            if self._clip_failure is not None:
                raise ModelUnavailableError(self._clip_failure)
            if self._clip is None:
                try:
                    source = self._clip_source or ClipSource.from_settings(self._settings)
                    self._clip = Clip(
                        source,
                        device=self._settings.device,
                        batch_size=self._settings.clip_batch_size,
                    )
                except ModelUnavailableError as exc:
                    self._clip_failure = str(exc)
                    raise
            return self._clip
