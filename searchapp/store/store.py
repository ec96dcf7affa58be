"""The connection to Milvus and the collections of each embedding space."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from searchapp.config import Settings
from searchapp.embed.base import ModelIdentity
from searchapp.errors import FeatureUnsupportedError, StoreError
from searchapp.store.collection import VectorCollection
from searchapp.store.errors import is_unreachable, translated
from searchapp.store.filters import any_of, starts_with
from searchapp.store.hybrid import KeywordIndex
from searchapp.store.schema import SPARSE_FIELD, CollectionSpec
from searchapp.store.spaces import SCHEMA_VERSION, IndexParams, SpaceRecord, check_identity
from searchapp.store.version import ServerInfo

if TYPE_CHECKING:
    from pymilvus import MilvusClient

# Seconds to wait for another process's alias when both created a space at once.
_CREATE_RACE_WAIT = 30.0
# Rows that `stats` counts as audio and video (their media type's family).
MEDIA_ROWS = any_of(starts_with("media_type", "audio/"), starts_with("media_type", "video/"))


@dataclass(frozen=True)
class CollectionInfo:
    """What `searchapp stats` and the API report about one collection."""

    space: str
    name: str
    physical_name: str
    rows: int
    model: str
    dim: int
    metric: str
    normalized: bool
    index: dict[str, Any]
    backend: str = ""  # the text backend (torch, onnx, onnx-int8) that made its vectors
    media_rows: int = 0  # rows of audio and video files (transcript chunks, key frames)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Store:
    """One Milvus connection (Lite or server) shared by everything in a process."""

    def __init__(self, client: MilvusClient, uri: str, settings: Settings) -> None:
        self._client = client
        self.uri = uri
        self._settings = settings
        with translated("read the server version", uri):
            self.info = ServerInfo.parse(str(client.get_server_version()))
        try:
            self.info.check_supported()
        except FeatureUnsupportedError:
            client.close()
            raise
        # Handles by physical collection name: a handle stays valid for the
        # collection it names.
        self._handles: dict[str, VectorCollection] = {}
        # What each alias meant when last asked (monotonic time, physical name):
        # searches may reuse it for a moment (see existing_collection).
        self._aliases: dict[str, tuple[float, str]] = {}
        self._aliases_lock = threading.Lock()

    @classmethod
    def connect(cls, settings: Settings) -> Store:
        from searchapp.store.client import ResilientClient
        from searchapp.store.connection import open_client

        uri = settings.resolved_milvus_uri
        client = ResilientClient(
            lambda: open_client(settings)[0],
            uri=uri,
            timeout=settings.store_timeout,
            slow_timeout=settings.store_slow_timeout,
        )
        store = cls(client, uri, settings)  # the resilient client stands in for a MilvusClient
        client.after_reconnect = store._reload
        return store

    def close(self) -> None:
        self._client.close()

    def alias_for(self, spec: CollectionSpec) -> str:
        return f"{self._settings.collection_prefix}_{spec.space}"

    # --- collections -------------------------------------------------------

    def collection(self, spec: CollectionSpec, identity: ModelIdentity) -> VectorCollection:
        """The space's collection, created on first use; refuses another model's vectors."""
        alias = self.alias_for(spec)
        handle = self.existing_collection(spec)
        if handle is not None:
            check_identity(alias, spec, handle.identity, identity)
            # About to be written: rows must fit its fields.
            _check_schema_current(alias, handle.schema_version)
            return handle
        physical = self.version_name(spec, 1)
        try:
            self.create_physical(
                physical,
                spec,
                identity,
                IndexParams(self._settings.hnsw_m, self._settings.hnsw_ef_construction),
            )
            with translated(f"create alias {alias}", self.uri):
                self._client.create_alias(physical, alias)
            self._remember_alias(alias, physical)
        except StoreError:
            # Another process (an ingest shard) is creating it at the same moment:
            # wait for its alias and use that.
            deadline = time.monotonic() + _CREATE_RACE_WAIT
            while (handle := self.existing_collection(spec)) is None:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
            check_identity(alias, spec, handle.identity, identity)
            return handle
        return self.physical_collection(spec, physical)

    def existing_collection(
        self, spec: CollectionSpec, *, max_age: float = 0.0
    ) -> VectorCollection | None:
        """The collection the space's alias points to, as recorded; None if none.

        By default Milvus is asked (two round trips), so a process notices a
        re-index at its next call. Searches pass ``max_age`` (seconds): what the
        alias meant that recently will do, so a busy server asks once per
        ``max_age`` instead of twice per request, and follows a re-index switch
        made by another process within ``max_age`` (well inside the grace period
        before the old collection is dropped). A switch made through this store
        is seen at once. A missing alias is never remembered: the first ingest
        is seen at the next call.
        """
        alias = self.alias_for(spec)
        if max_age > 0:
            with self._aliases_lock:
                known = self._aliases.get(alias)
            if known is not None and time.monotonic() - known[0] < max_age:
                return self.physical_collection(spec, known[1])
        with translated(f"open collection {alias}", self.uri):
            if not self._client.has_collection(alias):
                self._remember_alias(alias, None)
                return None
            physical = self._client.describe_collection(alias)["collection_name"]
        self._remember_alias(alias, physical)
        return self.physical_collection(spec, physical)

    def alias_moved(self, spec: CollectionSpec) -> bool:
        """Ask Milvus where the space's alias points now; True when that is not
        where it pointed when last asked (a search that failed on a collection a
        re-index dropped then runs again on the new one)."""
        with self._aliases_lock:
            known = self._aliases.get(self.alias_for(spec))
        before = known[1] if known is not None else None
        current = self.existing_collection(spec)
        return before != (current.physical_name if current is not None else None)

    def _remember_alias(self, alias: str, physical: str | None) -> None:
        with self._aliases_lock:
            if physical is None:
                self._aliases.pop(alias, None)
            else:
                self._aliases[alias] = (time.monotonic(), physical)

    def physical_collection(self, spec: CollectionSpec, physical: str) -> VectorCollection:
        """A handle on one physical collection (loaded for search), with its recorded model."""
        cached = self._handles.get(physical)
        if cached is not None:
            return cached
        with translated(f"open collection {physical}", self.uri):
            properties = self._client.describe_collection(physical).get("properties", {})
            self._ensure_loaded(physical)
        record = SpaceRecord.from_properties(properties)
        handle = VectorCollection(
            self._client,
            uri=self.uri,
            alias=self.alias_for(spec),
            physical_name=physical,
            spec=spec,
            record=record,
            consistency=self._settings.search_consistency,
        )
        self._handles[physical] = handle
        return handle

    def keyword_index_for(self, spec: CollectionSpec) -> KeywordIndex | None:
        """The BM25 index a new collection of ``spec`` gets here (None: the server has none)."""
        if spec.keyword_field is None or not self.info.supports_bm25:
            return None
        return KeywordIndex(k1=self._settings.bm25_k1, b=self._settings.bm25_b)

    # --- versions behind an alias (re-index) ----------------------------------

    def version_name(self, spec: CollectionSpec, version: int) -> str:
        return f"{self.alias_for(spec)}_v{version}"

    def versions(self, spec: CollectionSpec) -> list[str]:
        """The space's physical collections (``<alias>_v<N>``), oldest first."""
        pattern = re.compile(re.escape(self.alias_for(spec)) + r"_v(\d+)")
        with translated("list collections", self.uri):
            names = self._client.list_collections()
        found = [(int(m.group(1)), name) for name in names if (m := pattern.fullmatch(name))]
        return [name for _, name in sorted(found)]

    def next_version_name(self, spec: CollectionSpec) -> str:
        numbers = [int(name.rsplit("_v", 1)[1]) for name in self.versions(spec)]
        return self.version_name(spec, max(numbers, default=0) + 1)

    def switch_alias(self, spec: CollectionSpec, physical: str) -> None:
        """Point the space's alias at ``physical``: one atomic step for every reader."""
        alias = self.alias_for(spec)
        with translated(f"switch alias {alias} to {physical}", self.uri):
            self._client.alter_alias(physical, alias)
        self._remember_alias(alias, physical)

    def drop_physical(self, spec: CollectionSpec, physical: str) -> None:
        """Drop a physical collection the space's alias does not point to."""
        current = self.existing_collection(spec)
        if current is not None and current.physical_name == physical:
            raise StoreError(f"refusing to drop {physical}: the alias {current.name} uses it")
        with translated(f"drop collection {physical}", self.uri):
            self._client.drop_collection(physical)
        self._handles.pop(physical, None)
        with self._aliases_lock:
            for alias, (_, name) in list(self._aliases.items()):
                if name == physical:
                    del self._aliases[alias]

    def create_physical(
        self, name: str, spec: CollectionSpec, identity: ModelIdentity, index: IndexParams
    ) -> None:
        """Create a collection with its HNSW index and the model identity recorded.

        Where the server has BM25 (Milvus 2.5+, Lite), a spec with a keyword
        field also gets the BM25 function and its sparse index; the collection
        records whether it has them (an old server would silently ignore them).
        """
        keywords = self.keyword_index_for(spec)
        with translated(f"create collection {name}", self.uri):
            if self._client.has_collection(name):
                properties = self._client.describe_collection(name).get("properties", {})
                recorded = SpaceRecord.from_properties(properties).identity
                check_identity(name, spec, recorded, identity)
                return
            index_params = self._client.prepare_index_params()
            index_params.add_index(
                "vector",
                index_type=index.index_type,
                metric_type=identity.metric,
                params=index.as_milvus(),
            )
            if keywords is not None:
                index_params.add_index(
                    SPARSE_FIELD,
                    index_type="SPARSE_INVERTED_INDEX",
                    metric_type="BM25",
                    params=keywords.as_milvus(),
                )
            self._client.create_collection(
                name,
                schema=spec.build_schema(identity.dim, keywords=keywords is not None),
                consistency_level="Bounded",
                properties=SpaceRecord(spec.space, identity, index, keywords).properties(),
            )
            # The collection is empty, so its indexes are built at once; pymilvus's
            # wait for them would sleep 0.5 s per index (a first ingest makes four).
            self._client.create_index(name, index_params, sync=False)
            self._client.load_collection(name)

    def describe(self, specs: list[CollectionSpec]) -> list[CollectionInfo]:
        """Row count, model and index of each space's collection that exists."""
        infos = []
        for spec in specs:
            handle = self.existing_collection(spec)
            if handle is None:
                continue
            record = handle.record
            infos.append(
                CollectionInfo(
                    space=spec.space,
                    name=handle.name,
                    physical_name=handle.physical_name,
                    rows=handle.count(),
                    media_rows=handle.count(MEDIA_ROWS),
                    model=record.identity.model_id,
                    dim=record.identity.dim,
                    metric=record.identity.metric,
                    normalized=record.identity.normalized,
                    backend=record.identity.backend,
                    index={
                        **record.index_dict(),
                        "search_ef": self._settings.search_ef,
                        "keywords": record.keywords.describe() if record.keywords else None,
                    },
                )
            )
        return infos

    def _ensure_loaded(self, name: str) -> None:
        state = self._client.get_load_state(name).get("state")
        if str(state).split(".")[-1] not in ("Loaded", "<LoadState: Loaded>"):
            self._client.load_collection(name)

    def _reload(self, client: MilvusClient) -> None:
        """Load again, on a new connection, every collection this process had open.

        A restarted Lite store starts with its collections released; searches
        and queries on them would fail until loaded.
        """
        from pymilvus.exceptions import MilvusException

        with self._aliases_lock:  # a new store may hold other aliases: ask again
            self._aliases.clear()
        for physical in list(self._handles):
            try:
                state = client.get_load_state(physical, timeout=self._settings.store_timeout)
                if str(state.get("state")).split(".")[-1] != "Loaded":
                    client.load_collection(physical, timeout=self._settings.store_slow_timeout)
            except MilvusException as exc:
                if is_unreachable(str(getattr(exc, "message", "") or exc)):
                    raise
                # Dropped meanwhile (a re-index elsewhere): forget it, it is reopened on use.
                self._handles.pop(physical, None)


def _check_schema_current(name: str, recorded: str) -> None:
    if recorded != SCHEMA_VERSION:
        raise StoreError(
            f"collection {name!r} was created by an older searchapp (schema {recorded}, now "
            f"{SCHEMA_VERSION}: text chunks gained a keyword index). Its schema is too old "
            "to add to: run `searchapp reindex --re-embed` to rebuild it, or set "
            "SEARCHAPP_COLLECTION_PREFIX to build a new index."
        )
