"""Milvus storage: connection, per-space collections, model identity and filters."""

from searchapp.store.collection import VectorCollection
from searchapp.store.schema import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC, CollectionSpec
from searchapp.store.spaces import IndexParams
from searchapp.store.store import CollectionInfo, Store
from searchapp.store.version import ServerInfo

__all__ = [
    "CLIP_IMAGE_SPEC",
    "CLIP_TEXT_SPEC",
    "TEXT_SPEC",
    "CollectionInfo",
    "CollectionSpec",
    "IndexParams",
    "ServerInfo",
    "Store",
    "VectorCollection",
]
