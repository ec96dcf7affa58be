"""The composition root: settings, store, models and services for one process.

The CLI and the web app build one ``App`` and take what they need from it;
each part is created on first use, so `searchapp stats` never loads a model
and `searchapp --help` never touches Milvus.
"""

from __future__ import annotations

import threading
from functools import cached_property

from searchapp.config import Settings, get_settings
from searchapp.embed import Embedders
from searchapp.errors import ConfigError
from searchapp.faults import FaultPoints
from searchapp.private import private_folder
from searchapp.search import SearchService
from searchapp.store import Store


class App:
    def __init__(
        self,
        settings: Settings | None = None,
        embedders: Embedders | None = None,
        *,
        store: Store | None = None,
    ) -> None:
        """``embedders`` and ``store`` are seams: tests share loaded models between
        apps, and hand in a store on another client (tests/fakes.py's in-memory
        one); by default each is made from ``settings`` on first use."""
        self.settings = settings or get_settings()
        try:
            private_folder(self.settings.state_dir)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the state folder {self.settings.state_dir} "
                f"({exc.strerror or exc}); set SEARCHAPP_STATE_DIR to a folder you can write"
            ) from exc
        self._lock = threading.Lock()
        self._store: Store | None = store
        if embedders is not None:
            self.embedders = embedders

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.connect(self.settings)
            return self._store

    @cached_property
    def embedders(self) -> Embedders:
        return Embedders(self.settings)

    @cached_property
    def faults(self) -> FaultPoints:
        """Where this process pauses for a crash test (SEARCHAPP_FAULT_PAUSE; none by default)."""
        return FaultPoints.parse(self.settings.fault_pause)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(self.settings, self.store, self.embedders)

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the search workers and close the store (a no-op for parts never made)."""
        if "search" in self.__dict__:
            self.search.close()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
