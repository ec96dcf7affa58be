"""Collections record their model; another model is refused; aliases hide versions.

Everything that touches a store runs on Milvus Lite and on a real Milvus server.
"""

from __future__ import annotations

import numpy as np
import pytest

from searchapp.embed import ModelIdentity
from searchapp.errors import (
    FeatureUnsupportedError,
    ModelMismatchError,
    StoreError,
    StoreUnavailableError,
)
from searchapp.store import TEXT_SPEC, IndexParams, Store
from searchapp.store.version import ServerInfo
from tests.store.rows import text_row


def _row(i: int) -> dict:
    return text_row(i, metadata={"n": i})


@pytest.fixture
def store(backend_settings):
    handle = Store.connect(backend_settings)
    yield handle
    handle.close()


def test_collection_records_model_and_index(store, backend_settings) -> None:
    prefix = backend_settings.collection_prefix
    handle = store.collection(TEXT_SPEC, ModelIdentity("model-a", 8))
    assert handle.name == f"{prefix}_text"
    assert handle.physical_name == f"{prefix}_text_v1"
    [info] = store.describe([TEXT_SPEC])
    assert (info.model, info.dim, info.metric, info.normalized) == ("model-a", 8, "COSINE", True)
    assert info.index["type"] == "HNSW"
    assert info.index["M"] == backend_settings.hnsw_m
    assert info.index["efConstruction"] == backend_settings.hnsw_ef_construction
    assert info.rows == 0


def test_reopening_with_another_model_is_refused(store, backend_settings) -> None:
    prefix = backend_settings.collection_prefix
    store.collection(TEXT_SPEC, ModelIdentity("model-a", 8))
    reopened = Store.connect(backend_settings)
    with pytest.raises(ModelMismatchError) as caught:
        reopened.collection(TEXT_SPEC, ModelIdentity("model-b", 8))
    message = str(caught.value)
    assert "model-a" in message and "model-b" in message
    assert "SEARCHAPP_TEXT_MODEL=model-a" in message
    with pytest.raises(ModelMismatchError):  # same name, other dimension
        reopened.collection(TEXT_SPEC, ModelIdentity("model-a", 16))
    # The right model opens it, and nothing was created by the refused attempts.
    assert reopened.collection(TEXT_SPEC, ModelIdentity("model-a", 8))
    assert [i.physical_name for i in reopened.describe([TEXT_SPEC])] == [f"{prefix}_text_v1"]
    reopened.close()


def test_prefixes_separate_indexes(store, backend_settings) -> None:
    store.collection(TEXT_SPEC, ModelIdentity("model-a", 8))
    # A longer prefix stays under this test's prefix, so the fixture cleans it up.
    other_prefix = backend_settings.collection_prefix + "_other"
    other = Store.connect(backend_settings.model_copy(update={"collection_prefix": other_prefix}))
    handle = other.collection(TEXT_SPEC, ModelIdentity("model-b", 4))
    assert handle.name == f"{other_prefix}_text"
    assert other.describe([TEXT_SPEC])[0].model == "model-b"
    assert store.describe([TEXT_SPEC])[0].model == "model-a"
    other.close()


def test_looking_for_a_collection_creates_nothing(store) -> None:
    assert store.existing_collection(TEXT_SPEC) is None
    assert store.describe([TEXT_SPEC]) == []
    assert store.versions(TEXT_SPEC) == []


def test_rows_round_trip_with_updates_and_deletes(store) -> None:
    handle = store.collection(TEXT_SPEC, ModelIdentity("m", 4))
    handle.upsert([_row(i) for i in range(30)])
    assert handle.count() == 30
    changed = {**_row(3), "title": "new title", "vector": [0.0, 0.0, 0.0, 1.0]}
    handle.upsert([changed])
    assert handle.count() == 30
    [row] = handle.get(["id3"], ["title", "metadata"])
    assert (row["title"], row["metadata"]) == ("new title", {"n": 3})
    hits = handle.search(np.array([[0.0, 0.0, 0.0, 1.0]]), limit=1, fields=["title"])[0]
    assert hits[0]["id"] == "id3" and hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
    handle.delete('source like "/docs/1%"')  # 1 and 10..19
    assert handle.count() == 19
    assert handle.count("mtime >= 20") == 10
    # Pages carry every field, vectors included, so a re-index can copy rows.
    pages = list(handle.pages("", ["id", "vector"], page_size=7))
    assert [len(p) for p in pages] == [7, 7, 5]
    vectors = {row["id"]: row["vector"] for page in pages for row in page}
    assert vectors["id3"] == pytest.approx([0.0, 0.0, 0.0, 1.0])


def test_versions_switch_atomically_behind_the_alias(store, backend_settings) -> None:
    prefix = backend_settings.collection_prefix
    identity = ModelIdentity("m", 4)
    first = store.collection(TEXT_SPEC, identity)
    first.upsert([_row(i) for i in range(5)])
    assert store.next_version_name(TEXT_SPEC) == f"{prefix}_text_v2"
    store.create_physical(f"{prefix}_text_v2", TEXT_SPEC, identity, IndexParams(8, 64))
    second = store.physical_collection(TEXT_SPEC, f"{prefix}_text_v2")
    second.upsert([_row(i) for i in range(3)])
    second.seal()
    assert second.built_index()["indexed_rows"] == 3
    assert store.versions(TEXT_SPEC) == [f"{prefix}_text_v1", f"{prefix}_text_v2"]

    # Until the switch, the alias means v1; a handle keeps the collection it named.
    assert store.existing_collection(TEXT_SPEC).count() == 5
    store.switch_alias(TEXT_SPEC, f"{prefix}_text_v2")
    current = store.existing_collection(TEXT_SPEC)
    assert (current.physical_name, current.count(), current.index.m) == (
        f"{prefix}_text_v2",
        3,
        8,
    )
    assert first.count() == 5
    with pytest.raises(StoreError, match="refusing to drop"):
        store.drop_physical(TEXT_SPEC, f"{prefix}_text_v2")
    store.drop_physical(TEXT_SPEC, f"{prefix}_text_v1")
    assert store.versions(TEXT_SPEC) == [f"{prefix}_text_v2"]
    assert store.next_version_name(TEXT_SPEC) == f"{prefix}_text_v3"


def test_server_version_and_kind_are_detected(store, backend) -> None:
    assert store.info.is_lite is (backend == "lite")
    assert store.info.kind == ("Milvus Lite" if backend == "lite" else "Milvus server")


def test_unreachable_server_is_a_clear_error(settings) -> None:
    remote = settings.model_copy(update={"milvus_uri": "http://127.0.0.1:9"})
    with pytest.raises(StoreUnavailableError, match=r"cannot reach Milvus at http://127.0.0.1:9"):
        Store.connect(remote)


@pytest.mark.parametrize(
    ("version", "lite", "release", "bm25", "multi"),
    [
        ("milvus_lite-3.2.2", True, (3, 2, 2), True, True),
        ("v2.3.5", False, (2, 3, 5), False, False),
        ("v2.3.5-lite", False, (2, 3, 5), False, False),  # the PyPI `milvus` server
        ("v2.4.13", False, (2, 4, 13), False, True),
        ("v2.6.0", False, (2, 6, 0), True, True),
    ],
)
def test_server_features_follow_the_version(version, lite, release, bm25, multi) -> None:
    info = ServerInfo.parse(version)
    assert (info.is_lite, info.release) == (lite, release)
    assert info.supports_bm25 is bm25
    assert info.supports_multiple_vector_fields is multi
    assert info.features() == {
        "BM25 keyword search": bm25,
        "several vector fields per collection": multi,
    }
    info.check_supported()


def test_too_old_a_server_is_refused_with_advice() -> None:
    with pytest.raises(FeatureUnsupportedError, match=r"v2\.2\.16 is too old.*2\.3\.0 or newer"):
        ServerInfo.parse("v2.2.16").check_supported()
