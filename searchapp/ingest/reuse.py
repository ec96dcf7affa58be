"""Embed each distinct input once: identical inputs reuse one vector.

The key of an input is the sha256 of exactly what the model reads (a chunk
with its title in front; an image's bytes), per space, so two inputs with one
key have one vector. Vectors are reused, in this order, from:

1. the same batch (a duplicate is embedded once),
2. this run (a bounded in-memory table of recent keys),
3. the store: the manifest names a row of a *done* file made from the same
   key, and its vector is read back from Milvus (never from a pending file,
   whose rows may be half-overwritten).

Only what none of these has goes to the model. So the same content at two
paths is embedded once, and rows stay keyed by their own path (see rows.py).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from searchapp.store import VectorCollection

if TYPE_CHECKING:
    from searchapp.ingest.targets import Targets

# Recent vectors kept per space (384-512 floats each: ~30 MB at most).
_REMEMBERED = 16_384
# Vectors read back per store call.
_FETCH_GROUP = 512

Donors = Callable[[str, Sequence[str]], dict[str, str]]


def input_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ReusingEmbedder:
    """One space's model behind the reuse rules above; counts what it embeds."""

    def __init__(
        self,
        space: str,
        embed: Callable[[Sequence[Any]], np.ndarray],
        collection: VectorCollection,
        donors: Donors | None,
    ) -> None:
        self.space = space
        self._embed = embed
        self._collection = collection
        self._donors = donors
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.embedded = 0  # inputs the model embedded
        self.reused = 0  # inputs that took an existing vector

    def embed(self, keys: Sequence[str], inputs: Sequence[Any]) -> np.ndarray:
        """A vector for every input, in order."""
        found: dict[str, np.ndarray] = {}
        for key in keys:
            vector = self._recent.get(key)
            if vector is not None:
                found[key] = vector
        missing = [key for key in dict.fromkeys(keys) if key not in found]
        if missing and self._donors is not None:
            found.update(self._from_store(missing))
        todo: dict[str, Any] = {}
        for key, value in zip(keys, inputs, strict=True):
            if key not in found and key not in todo:
                todo[key] = value
        if todo:
            vectors = self._embed(list(todo.values()))
            found.update(zip(todo, vectors, strict=True))
            self.embedded += len(todo)
        self.reused += len(keys) - len(todo)
        for key in keys:
            self._remember(key, found[key])
        if not keys:
            return np.zeros((0, self._collection.identity.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys])

    def _from_store(self, keys: list[str]) -> dict[str, np.ndarray]:
        assert self._donors is not None
        donors = self._donors(self.space, keys)
        if not donors:
            return {}
        by_id = {row_id: key for key, row_id in donors.items()}
        found: dict[str, np.ndarray] = {}
        ids = list(by_id)
        for start in range(0, len(ids), _FETCH_GROUP):
            for row in self._collection.get(ids[start : start + _FETCH_GROUP], ["vector"]):
                found[by_id[row["id"]]] = np.asarray(row["vector"], dtype=np.float32)
        return found

    def _remember(self, key: str, vector: np.ndarray) -> None:
        self._recent[key] = vector
        self._recent.move_to_end(key)
        while len(self._recent) > _REMEMBERED:
            self._recent.popitem(last=False)


def reusing_embedders(targets: Targets, donors: Donors | None) -> dict[str, ReusingEmbedder]:
    """Each written space's model behind the reuse rules (``donors``: the manifest's
    rows of done files; None, as in a re-index, reuses within the run only)."""
    models: dict[str, Callable[[Sequence[Any]], np.ndarray]] = {}
    if targets.text is not None:
        models["text"] = targets.text.model.embed
    if targets.clip_text is not None:
        models["clip_text"] = targets.clip_text.model.text.embed
    if targets.clip_image is not None:
        models["clip_image"] = targets.clip_image.model.image.embed
    collections = {t: getattr(targets, t).collection for t in models}
    return {
        space: ReusingEmbedder(space, embed, collections[space], donors)
        for space, embed in models.items()
    }
