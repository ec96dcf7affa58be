"""Items read back from rows: the same rows in any order make the same items (the
order Milvus returns rows follows the order concurrent ingest stages wrote them,
and clustering must not depend on it)."""

from __future__ import annotations

import random

import numpy as np

from searchapp.explore.items import _WORDS_PER_ITEM, SpaceItems, _Builder


def _rows() -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for doc in range(12):
        for chunk in range(1 + doc % 4):
            rows.append(
                {
                    "id": f"d{doc}c{chunk}",
                    "source": f"/library/doc{doc:02}.md",
                    "record_id": "",
                    "title": f"Doc {doc}",
                    "sha256": f"h{doc}",
                    "chunk_index": chunk,
                    "text": f"doc {doc} chunk {chunk} " + "word " * (chunk * 600),
                    "vector": rng.normal(size=8).tolist(),
                }
            )
    return rows


def _items(rows: list[dict]) -> SpaceItems:
    builder = _Builder("text")
    for row in rows:
        builder.add(row)
    return builder.build()


def test_row_order_changes_nothing() -> None:
    rows = _rows()
    first = _items(rows)
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        again = _items(shuffled)
        assert again.ids == first.ids
        assert again.sources == sorted(first.sources)
        assert again.texts == first.texts
        assert again.row_item == first.row_item
        np.testing.assert_allclose(again.vectors, first.vectors, atol=1e-6)


def test_a_document_is_labelled_by_its_first_chunks() -> None:
    items = _items(list(reversed(_rows())))
    index = items.sources.index("/library/doc03.md")  # four chunks, 0-3
    assert items.ids[index] == "d3c0"
    text = items.texts[index]
    assert text.startswith("doc 3 chunk 0 ") and "doc 3 chunk 1 " in text
    assert "doc 3 chunk 3 " not in text  # chunks 0-2 already fill the budget
    assert len(text) < 2 * _WORDS_PER_ITEM
