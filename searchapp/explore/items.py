"""A space's items read back from Milvus: one vector, title and words per item.

An item is what a user sees as one thing: an image in the CLIP image space; a
document (a file, or one record of a .jsonl/.csv/.json file) in the text space,
whose chunks are rolled up into their normalised mean vector. Rows are read
a page at a time (the store's pages, sized by the store), so memory holds the
items and one page, never a second copy of every row. Items come out sorted by
source and record, each document's words from its first chunks: the order
Milvus returns rows in (which follows the order concurrent ingest stages wrote
them) changes nothing, so the same library always gets the same clusters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from searchapp.errors import InvalidQueryError
from searchapp.store import CLIP_IMAGE_SPEC, TEXT_SPEC, CollectionSpec, VectorCollection

# What the CLI, API and page call the spaces, and the collections behind them.
SPACES: dict[str, CollectionSpec] = {"text": TEXT_SPEC, "image": CLIP_IMAGE_SPEC}
# Characters of an item's text kept for its cluster's label (bounds memory).
_WORDS_PER_ITEM = 4000

Progress = Callable[[str, int, int], None]  # (step, done, total)


def space_spec(space: str) -> CollectionSpec:
    try:
        return SPACES[space]
    except KeyError:
        raise InvalidQueryError(
            f"unknown space {space!r}: choose one of {', '.join(SPACES)}"
        ) from None


@dataclass
class SpaceItems:
    """Items of one space, index-aligned: ``vectors[i]`` is item ``i``'s unit vector."""

    space: str
    ids: list[str]  # the item's row id (a document's first chunk), as in search hits
    titles: list[str]
    sources: list[str]
    record_ids: list[str]
    sha256: list[str]
    texts: list[str]  # words for labels: chunk text, or an image's caption and file name
    vectors: np.ndarray  # float32, (n, dim), each row of unit length
    row_item: dict[str, int] = field(default_factory=dict)  # every row id -> item index
    rows: int = 0  # rows read (chunks for text)

    def __len__(self) -> int:
        return len(self.ids)

    def describe(self, index: int) -> dict[str, Any]:
        return {
            "id": self.ids[index],
            "title": self.titles[index],
            "source": self.sources[index],
            "record_id": self.record_ids[index] or None,
        }


def read_items(
    collection: VectorCollection, space: str, progress: Progress | None = None
) -> SpaceItems:
    """Every item of ``collection`` (``space`` is "text" or "image")."""
    total = collection.count()
    if space == "image":
        fields = ["source", "record_id", "title", "sha256", "caption", "vector"]
    else:
        fields = ["source", "record_id", "title", "sha256", "chunk_index", "text", "vector"]
    builder = _Builder(space)
    done = 0
    for page in collection.pages("", fields):
        for row in page:
            builder.add(row)
        done += len(page)
        if progress is not None:
            progress("read vectors", done, total)
    return builder.build()


class _Builder:
    def __init__(self, space: str) -> None:
        self.space = space
        self.keys: dict[tuple[str, str], int] = {}
        self.first_chunk: list[int] = []
        self.items = SpaceItems(space, [], [], [], [], [], [], np.zeros((0, 0), np.float32))
        self.sums: list[np.ndarray] = []
        # Per document, the texts of its lowest-numbered chunks that fill _WORDS_PER_ITEM.
        self.chunk_texts: list[list[tuple[int, str]]] = []

    def add(self, row: dict[str, Any]) -> None:
        items = self.items
        items.rows += 1
        key = (row["source"], row.get("record_id") or "")
        vector = np.asarray(row["vector"], dtype=np.float32)
        chunk = int(row.get("chunk_index") or 0)
        index = self.keys.get(key)
        if index is None:
            index = self.keys[key] = len(items.ids)
            items.ids.append(row["id"])
            items.titles.append(row.get("title") or "")
            items.sources.append(row["source"])
            items.record_ids.append(key[1])
            items.sha256.append(row.get("sha256") or "")
            items.texts.append(_image_words(row) if self.space == "image" else "")
            self.first_chunk.append(chunk)
            self.sums.append(vector.copy())
            self.chunk_texts.append([])
        else:
            self.sums[index] += vector
            if chunk < self.first_chunk[index]:  # the document's id is its first chunk's
                self.first_chunk[index] = chunk
                items.ids[index] = row["id"]
        if self.space != "image":
            self._keep_text(index, chunk, (row.get("text") or "")[:_WORDS_PER_ITEM])
        items.row_item[row["id"]] = index

    def _keep_text(self, index: int, chunk: int, text: str) -> None:
        kept = self.chunk_texts[index]
        kept.append((chunk, text))
        kept.sort(key=lambda pair: pair[0])
        # Drop the last chunk while the ones before it fill the budget on their own.
        while len(kept) > 1 and sum(len(t) for _, t in kept[:-1]) >= _WORDS_PER_ITEM:
            kept.pop()

    def build(self) -> SpaceItems:
        items = self.items
        if self.space != "image":
            items.texts = [" ".join(t for _, t in kept) for kept in self.chunk_texts]
        if self.sums:
            vectors = np.vstack(self.sums)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            items.vectors = vectors / np.maximum(norms, 1e-12)
        self.sums, self.chunk_texts = [], []
        return _sorted(items)


def _sorted(items: SpaceItems) -> SpaceItems:
    """``items`` in (source, record id) order."""
    order = sorted(range(len(items)), key=lambda i: (items.sources[i], items.record_ids[i]))
    position = {old: new for new, old in enumerate(order)}

    def pick(values: list) -> list:
        return [values[i] for i in order]

    return SpaceItems(
        items.space,
        pick(items.ids),
        pick(items.titles),
        pick(items.sources),
        pick(items.record_ids),
        pick(items.sha256),
        pick(items.texts),
        items.vectors[order] if len(order) else items.vectors,
        {row: position[index] for row, index in items.row_item.items()},
        items.rows,
    )


_NAME_SPLIT = re.compile(r"[-_.\s]+")


def _image_words(row: dict[str, Any]) -> str:
    """An image's words for labels: its caption, else its file name's parts."""
    caption = row.get("caption") or ""
    stem = str(row["source"]).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return caption or " ".join(_NAME_SPLIT.split(stem))


def fingerprint(collection: VectorCollection) -> str:
    """What the collection holds, cheaply: its physical name and every row's id and
    file hash (no vectors). Any ingest, update or delete changes it."""
    digest = hashlib.sha256(collection.physical_name.encode())
    ids = sorted(
        f"{row['id']}:{row.get('sha256', '')}"
        for page in collection.pages("", ["sha256"])
        for row in page
    )
    digest.update(str(len(ids)).encode())
    for value in ids:
        digest.update(value.encode())
    return digest.hexdigest()[:32]
