"""Searches reuse what an alias meant for a moment (no two round trips per search),
see a switch made through the same store at once, and notice one made elsewhere."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from searchapp.embed import ModelIdentity
from searchapp.store import TEXT_SPEC, IndexParams, Store

LOOK_UPS = ("has_collection", "describe_collection")


class CountingClient:
    """The real client; counts the alias look-ups made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        if name in LOOK_UPS:
            self.calls[name] += 1
        return getattr(self._client, name)


@pytest.fixture
def store(settings):
    handle = Store.connect(settings)
    handle._client = CountingClient(handle._client)
    yield handle
    handle.close()


def look_ups(store: Store) -> int:
    return sum(store._client.calls[name] for name in LOOK_UPS)


def test_a_search_reuses_the_alias_and_follows_a_switch(store, settings) -> None:
    identity = ModelIdentity("model-a", 4)
    first = store.collection(TEXT_SPEC, identity)
    prefix = settings.collection_prefix

    before = look_ups(store)
    for _ in range(5):
        assert store.existing_collection(TEXT_SPEC, max_age=3600).physical_name == (
            f"{prefix}_text_v1"
        )
    assert look_ups(store) == before  # remembered when the collection was created

    assert store.existing_collection(TEXT_SPEC) is first  # the default asks Milvus ...
    assert look_ups(store) > before  # ... every time

    # A switch through this store is seen at once.
    store.create_physical(f"{prefix}_text_v2", TEXT_SPEC, identity, IndexParams(8, 64))
    store.switch_alias(TEXT_SPEC, f"{prefix}_text_v2")
    assert store.existing_collection(TEXT_SPEC, max_age=3600).physical_name == f"{prefix}_text_v2"

    # One made elsewhere (another process) is seen when the search asks again.
    store._client._client.alter_alias(f"{prefix}_text_v1", f"{prefix}_text")
    assert store.existing_collection(TEXT_SPEC, max_age=3600).physical_name == f"{prefix}_text_v2"
    assert store.alias_moved(TEXT_SPEC)
    assert store.existing_collection(TEXT_SPEC, max_age=3600).physical_name == f"{prefix}_text_v1"
    assert not store.alias_moved(TEXT_SPEC)


def test_a_missing_collection_is_never_remembered(store) -> None:
    assert store.existing_collection(TEXT_SPEC, max_age=3600) is None
    before = look_ups(store)
    assert store.existing_collection(TEXT_SPEC, max_age=3600) is None
    assert look_ups(store) > before
