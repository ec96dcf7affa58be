"""Collections record their model; another model is refused; aliases hide versions."""

from __future__ import annotations

import pytest

from searchapp.embed import ModelIdentity
from searchapp.errors import ModelMismatchError, StoreUnavailableError
from searchapp.store import TEXT_SPEC, Store
from searchapp.store.version import ServerInfo


def test_collection_records_model_and_index(settings) -> None:
    store = Store.connect(settings)
    handle = store.collection(TEXT_SPEC, ModelIdentity("model-a", 8), model_setting="X")
    assert handle.name == "searchapp_text"
    assert handle.physical_name == "searchapp_text_v1"
    [info] = store.describe([TEXT_SPEC])
    assert (info.model, info.dim, info.metric, info.normalized) == ("model-a", 8, "COSINE", True)
    assert info.index["type"] == "HNSW"
    assert info.index["M"] == settings.hnsw_m
    assert info.index["efConstruction"] == settings.hnsw_ef_construction
    assert info.rows == 0
    store.close()


def test_reopening_with_another_model_is_refused(settings) -> None:
    store = Store.connect(settings)
    store.collection(TEXT_SPEC, ModelIdentity("model-a", 8), model_setting="SEARCHAPP_TEXT_MODEL")
    store.close()
    store = Store.connect(settings)
    with pytest.raises(ModelMismatchError) as caught:
        store.collection(
            TEXT_SPEC, ModelIdentity("model-b", 8), model_setting="SEARCHAPP_TEXT_MODEL"
        )
    message = str(caught.value)
    assert "model-a" in message and "model-b" in message
    assert "SEARCHAPP_TEXT_MODEL=model-a" in message
    with pytest.raises(ModelMismatchError):  # same name, other dimension
        store.collection(TEXT_SPEC, ModelIdentity("model-a", 16), model_setting="X")
    # The right model opens it, and nothing was created by the refused attempts.
    assert store.collection(TEXT_SPEC, ModelIdentity("model-a", 8), model_setting="X")
    assert [i.physical_name for i in store.describe([TEXT_SPEC])] == ["searchapp_text_v1"]
    store.close()


def test_prefixes_separate_indexes(settings) -> None:
    store = Store.connect(settings)
    store.collection(TEXT_SPEC, ModelIdentity("model-a", 8), model_setting="X")
    other = Store.connect(settings.model_copy(update={"collection_prefix": "other"}))
    handle = other.collection(TEXT_SPEC, ModelIdentity("model-b", 4), model_setting="X")
    assert handle.name == "other_text"
    store.close()


def test_find_collection_creates_nothing(settings) -> None:
    store = Store.connect(settings)
    assert store.find_collection(TEXT_SPEC, ModelIdentity("m", 4), model_setting="X") is None
    assert store.describe([TEXT_SPEC]) == []
    store.close()


def test_unreachable_server_is_a_clear_error(settings) -> None:
    remote = settings.model_copy(update={"milvus_uri": "http://127.0.0.1:9"})
    with pytest.raises(StoreUnavailableError, match=r"cannot reach Milvus at http://127.0.0.1:9"):
        Store.connect(remote)


@pytest.mark.parametrize(
    ("version", "lite", "release", "bm25", "multi"),
    [
        ("milvus_lite-3.2.2", True, (3, 2, 2), True, True),
        ("v2.3.5", False, (2, 3, 5), False, False),
        ("v2.3.5-lite", True, (2, 3, 5), False, False),  # the PyPI package `milvus`
        ("v2.4.13", False, (2, 4, 13), False, True),
        ("v2.6.0", False, (2, 6, 0), True, True),
    ],
)
def test_server_features_follow_the_version(version, lite, release, bm25, multi) -> None:
    info = ServerInfo.parse(version)
    assert (info.is_lite, info.release) == (lite, release)
    assert info.supports_bm25 is bm25
    assert info.supports_multiple_vector_fields is multi
