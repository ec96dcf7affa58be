"""Reading a whole collection back a page at a time (VectorCollection.pages, which
explore reads items and fingerprints through): every row exactly once, on Milvus
Lite and on a server, across flushed segments, unflushed rows, updates and deletes."""

from __future__ import annotations

import hashlib

import pytest

import searchapp.store.collection as collection_module
from searchapp.embed.base import ModelIdentity
from searchapp.explore.items import fingerprint, read_items
from searchapp.store import TEXT_SPEC, Store
from tests.store.rows import text_row

PAGE = 7
ROWS = 60


def _row(i: int, title: str = "") -> dict:
    # Ids in an order unrelated to insertion, as row ids (hashes) are.
    source = f"/docs/{i:03}.txt"
    return text_row(
        i,
        id=hashlib.sha256(source.encode()).hexdigest()[:16],
        source=source,
        title=title or f"doc {i}",
        sha256=f"{i:064x}",
    )


@pytest.fixture
def collection(backend_settings):
    store = Store.connect(backend_settings)
    handle = store.collection(TEXT_SPEC, ModelIdentity("m", 4))
    handle.upsert([_row(i) for i in range(40)])
    handle.flush()  # a sealed segment, then rows still in memory (Lite's memtable)
    handle.upsert([_row(i) for i in range(40, ROWS)])
    handle.upsert([_row(i, title="updated") for i in range(0, ROWS, 5)])  # newer versions
    handle.delete(f'id in ["{_row(1)["id"]}", "{_row(41)["id"]}"]')
    yield handle
    store.close()


def _expected() -> set[str]:
    return {_row(i)["id"] for i in range(ROWS) if i not in (1, 41)}


def test_pages_return_every_row_exactly_once(collection) -> None:
    pages = list(collection.pages("", ["title", "vector"], page_size=PAGE))
    ids = [row["id"] for page in pages for row in page]
    assert len(ids) == len(set(ids)), "a row came back twice"
    assert set(ids) == _expected(), "a row was skipped"
    assert all(0 < len(page) <= PAGE for page in pages)
    assert len(pages) == -(-len(_expected()) // PAGE)
    assert ids == sorted(ids)  # id order: the cursor the next page starts after
    titles = {row["id"]: row["title"] for page in pages for row in page}
    assert titles[_row(5)["id"]] == "updated"  # the newest version, once


def test_pages_with_a_filter_and_the_default_page(collection) -> None:
    wanted = {_row(i)["id"] for i in range(20, ROWS) if i != 41}
    ids = [row["id"] for page in collection.pages("mtime >= 20", ["title"]) for row in page]
    assert sorted(ids) == sorted(wanted)


def test_explore_reads_every_row_once_across_pages(collection, monkeypatch) -> None:
    # The store's own page sizes, shrunk so that explore's reads span several pages.
    monkeypatch.setattr(collection_module, "_VECTOR_PAGE", PAGE)
    monkeypatch.setattr(collection_module, "_QUERY_PAGE", PAGE)
    items = read_items(collection, "text")
    assert items.rows == len(_expected())
    assert set(items.row_item) == _expected()
    assert sorted(items.ids) == sorted(_expected())  # one chunk per document here
    paged = fingerprint(collection)
    monkeypatch.setattr(collection_module, "_QUERY_PAGE", 10_000)
    assert fingerprint(collection) == paged  # one page or many: the same stamp
