"""One place that chooses and loads embedders: lazily, once, thread-safely."""

from __future__ import annotations

import threading

from searchapp.config import Settings
from searchapp.embed.base import ModelIdentity
from searchapp.embed.clip import Clip, ClipSource
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import ModelUnavailableError


class Embedders:
    """The process's models. Each loads on first use and is then shared.

    Loading is guarded by a lock per model family so that concurrent first
    requests (API threads, pipeline stages) load a model once, not once per
    thread.
    """

    def __init__(self, settings: Settings, *, clip_source: ClipSource | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._text: dict[str, SentenceTransformerEmbedder] = {}
        # A seam for benchmarks and tests: CLIP weights other than the settings'.
        self._clip_source = clip_source
        self._clip_lock = threading.Lock()
        self._configured_clip: ClipSource | None = None
        self._configured_clip_failure: str | None = None
        # CLIP models by model id: the configured one, and others that a re-index
        # builds with or that collections built by a re-index record.
        self._clips: dict[str, Clip] = {}
        self._clip_failures: dict[str, str] = {}

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
        """The configured CLIP model; ModelUnavailableError (with the reason) when it
        cannot load.

        A failure is remembered: every later call raises the same message at
        once instead of trying the hub or a bad checkpoint again. Restart the
        process after providing the weights.
        """
        return self.clip_model(self.configured_clip_source())

    def configured_clip_source(self) -> ClipSource:
        """Where the configured CLIP weights come from (a checkpoint is hashed once)."""
        with self._clip_lock:
            if self._configured_clip_failure is not None:
                raise ModelUnavailableError(self._configured_clip_failure)
            if self._configured_clip is None:
                try:
                    self._configured_clip = self._clip_source or ClipSource.from_settings(
                        self._settings
                    )
                except ModelUnavailableError as exc:
                    self._configured_clip_failure = str(exc)
                    raise
            return self._configured_clip

    def clip_model(self, source: ClipSource) -> Clip:
        """The CLIP model with the weights of ``source``, loaded once (failures remembered)."""
        with self._clip_lock:
            failure = self._clip_failures.get(source.model_id)
            if failure is not None:
                raise ModelUnavailableError(failure)
            clip = self._clips.get(source.model_id)
            if clip is None:
                try:
                    clip = Clip(
                        source,
                        device=self._settings.device,
                        batch_size=self._settings.clip_batch_size,
                    )
                except ModelUnavailableError as exc:
                    self._clip_failures[source.model_id] = str(exc)
                    raise
                self._clips[source.model_id] = clip
            return clip

    def recorded_clip(self, identity: ModelIdentity) -> Clip:
        """The CLIP model that made a collection's vectors, as the collection records it.

        The configured model when it is that one; else the weights are loaded
        from where the collection says they came from (after `searchapp reindex
        --clip-...`, a running process follows the collections it searches).
        """
        with self._clip_lock:
            loaded = self._clips.get(identity.model_id)
            failure = self._clip_failures.get(identity.model_id)
        if loaded is not None:
            return loaded
        if failure is not None:
            raise ModelUnavailableError(failure)
        try:
            configured: ClipSource | None = self.configured_clip_source()
        except ModelUnavailableError:
            configured = None
        if configured is not None and configured.model_id == identity.model_id:
            return self.clip_model(configured)
        try:
            source = ClipSource.recorded(identity)
        except ModelUnavailableError as exc:
            with self._clip_lock:
                self._clip_failures[identity.model_id] = str(exc)
            raise
        return self.clip_model(source)
