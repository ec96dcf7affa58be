"""The connection to Milvus and the collections of each embedding space."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from searchapp.config import Settings
from searchapp.embed.base import ModelIdentity
from searchapp.errors import ModelMismatchError, StoreError
from searchapp.store.collection import IndexParams, KeywordIndex, VectorCollection
from searchapp.store.errors import translated
from searchapp.store.schema import SPARSE_FIELD, CollectionSpec
from searchapp.store.version import ServerInfo

if TYPE_CHECKING:
    from pymilvus import MilvusClient

# Collection properties that record what made a collection's vectors.
_PROP = "searchapp."
# 2: text chunks carry keyword_text (and, where the server has BM25, its index).
SCHEMA_VERSION = "2"


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
        self._collections: dict[str, VectorCollection] = {}

    @classmethod
    def connect(cls, settings: Settings) -> Store:
        from searchapp.store.connection import open_client

        client, uri = open_client(settings)
        return cls(client, uri, settings)

    def close(self) -> None:
        self._client.close()

    def alias_for(self, spec: CollectionSpec) -> str:
        return f"{self._settings.collection_prefix}_{spec.space}"

    # --- collections -------------------------------------------------------

    def collection(
        self, spec: CollectionSpec, identity: ModelIdentity, *, model_setting: str
    ) -> VectorCollection:
        """The space's collection, created on first use; refuses another model's vectors.

        ``model_setting`` names the setting that chooses this space's model, for
        the message that tells the user how to resolve a mismatch.
        """
        handle = self._open(spec, identity, model_setting=model_setting, create=True)
        assert handle is not None
        return handle

    def find_collection(
        self, spec: CollectionSpec, identity: ModelIdentity, *, model_setting: str
    ) -> VectorCollection | None:
        """Like :meth:`collection`, but None (nothing created) when it does not exist yet."""
        return self._open(spec, identity, model_setting=model_setting, create=False)

    def _open(
        self, spec: CollectionSpec, identity: ModelIdentity, *, model_setting: str, create: bool
    ) -> VectorCollection | None:
        alias = self.alias_for(spec)
        cached = self._collections.get(alias)
        if cached is not None and cached.identity == identity:
            if create:  # about to be written: rows must fit its fields
                _check_schema_current(alias, cached.schema_version)
            return cached
        with translated(f"open collection {alias}", self.uri):
            if self._client.has_collection(alias):
                description = self._client.describe_collection(alias)
                physical = description["collection_name"]
                properties = description.get("properties", {})
                _check_identity(alias, properties, identity, model_setting)
                schema_version = properties.get(f"{_PROP}schema", "?")
                if create:  # about to be written: rows must fit its fields
                    _check_schema_current(alias, schema_version)
                index = _recorded_index(properties)
                keywords = _recorded_keywords(properties)
            elif not create:
                return None
            else:
                physical = f"{alias}_v1"
                index = IndexParams(self._settings.hnsw_m, self._settings.hnsw_ef_construction)
                keywords = self.keyword_index_for(spec)
                schema_version = SCHEMA_VERSION
                self.create_physical(physical, spec, identity, index)
                self._client.create_alias(physical, alias)
            self._ensure_loaded(alias)
        handle = VectorCollection(
            self._client,
            uri=self.uri,
            alias=alias,
            physical_name=physical,
            spec=spec,
            identity=identity,
            index=index,
            consistency=self._settings.search_consistency,
            keywords=keywords,
            schema_version=schema_version,
        )
        self._collections[alias] = handle
        return handle

    def keyword_index_for(self, spec: CollectionSpec) -> KeywordIndex | None:
        """The BM25 index a new collection of ``spec`` gets here (None: the server has none)."""
        if spec.keyword_field is None or not self.info.supports_bm25:
            return None
        return KeywordIndex(k1=self._settings.bm25_k1, b=self._settings.bm25_b)

    def existing_collection(self, spec: CollectionSpec) -> VectorCollection | None:
        """The space's collection as recorded, without a model to check against."""
        alias = self.alias_for(spec)
        with translated(f"open collection {alias}", self.uri):
            if not self._client.has_collection(alias):
                return None
            description = self._client.describe_collection(alias)
            self._ensure_loaded(alias)
        properties = description.get("properties", {})
        return VectorCollection(
            self._client,
            uri=self.uri,
            alias=alias,
            physical_name=description["collection_name"],
            spec=spec,
            identity=recorded_identity(properties),
            index=_recorded_index(properties),
            consistency=self._settings.search_consistency,
            keywords=_recorded_keywords(properties),
            schema_version=properties.get(f"{_PROP}schema", "?"),
        )

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
                description = self._client.describe_collection(name)
                _check_identity(name, description.get("properties", {}), identity, "")
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
                index_params=index_params,
                consistency_level="Bounded",
                properties=_identity_properties(spec, identity, index, keywords),
            )

    def describe(self, specs: list[CollectionSpec]) -> list[CollectionInfo]:
        """Row count, model and index of each space's collection that exists."""
        infos = []
        for spec in specs:
            handle = self.existing_collection(spec)
            if handle is None:
                continue
            infos.append(
                CollectionInfo(
                    space=spec.space,
                    name=handle.name,
                    physical_name=handle.physical_name,
                    rows=handle.count(),
                    model=handle.identity.model_id,
                    dim=handle.identity.dim,
                    metric=handle.identity.metric,
                    normalized=handle.identity.normalized,
                    index={
                        "type": handle.index.index_type,
                        "M": handle.index.m,
                        "efConstruction": handle.index.ef_construction,
                        "search_ef": self._settings.search_ef,
                        "keywords": handle.keywords.describe() if handle.keywords else None,
                    },
                )
            )
        return infos

    def _ensure_loaded(self, name: str) -> None:
        state = self._client.get_load_state(name).get("state")
        if str(state).split(".")[-1] not in ("Loaded", "<LoadState: Loaded>"):
            self._client.load_collection(name)


def _identity_properties(
    spec: CollectionSpec,
    identity: ModelIdentity,
    index: IndexParams,
    keywords: KeywordIndex | None,
) -> dict[str, str]:
    return {
        f"{_PROP}schema": SCHEMA_VERSION,
        f"{_PROP}space": spec.space,
        f"{_PROP}model": identity.model_id,
        f"{_PROP}dim": str(identity.dim),
        f"{_PROP}metric": identity.metric,
        f"{_PROP}normalized": "true" if identity.normalized else "false",
        f"{_PROP}index": json.dumps(
            {"type": index.index_type, "M": index.m, "efConstruction": index.ef_construction}
        ),
        f"{_PROP}keywords": json.dumps(keywords.as_record() if keywords else None),
    }


def recorded_identity(properties: dict[str, str]) -> ModelIdentity:
    """The model identity a collection recorded at creation."""
    try:
        return ModelIdentity(
            model_id=properties[f"{_PROP}model"],
            dim=int(properties[f"{_PROP}dim"]),
            metric=properties[f"{_PROP}metric"],
            normalized=properties[f"{_PROP}normalized"] == "true",
        )
    except (KeyError, ValueError) as exc:
        raise StoreError(
            "a collection has no searchapp model record; it was not created by searchapp "
            "(or by an incompatible version). Use another SEARCHAPP_COLLECTION_PREFIX."
        ) from exc


def _recorded_index(properties: dict[str, str]) -> IndexParams:
    try:
        recorded = json.loads(properties[f"{_PROP}index"])
        return IndexParams(
            m=int(recorded["M"]),
            ef_construction=int(recorded["efConstruction"]),
            index_type=str(recorded["type"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise StoreError("a collection has no readable index record") from exc


def _recorded_keywords(properties: dict[str, str]) -> KeywordIndex | None:
    """The collection's BM25 index, None when it has none (old server or old schema)."""
    recorded = json.loads(properties.get(f"{_PROP}keywords", "null"))
    return KeywordIndex.from_record(recorded) if recorded else None


def _check_schema_current(name: str, recorded: str) -> None:
    if recorded != SCHEMA_VERSION:
        raise StoreError(
            f"collection {name!r} was created by an older searchapp (schema {recorded}, now "
            f"{SCHEMA_VERSION}: text chunks gained a keyword index). Its schema is too old "
            "to add to: run `searchapp reindex` to rebuild it, or set "
            "SEARCHAPP_COLLECTION_PREFIX to build a new index."
        )


def _check_identity(
    name: str, properties: dict[str, str], wanted: ModelIdentity, model_setting: str
) -> None:
    recorded = recorded_identity(properties)
    if recorded == wanted:
        return
    hint = f"set {model_setting}={recorded.model_id} to use it, or " if model_setting else ""
    raise ModelMismatchError(
        f"collection {name!r} holds vectors from {recorded.describe()}, but the configured "
        f"model is {wanted.describe()}. Vectors of different models cannot be searched "
        f"together: {hint}set SEARCHAPP_COLLECTION_PREFIX to build a separate index with "
        "the new model."
    )
