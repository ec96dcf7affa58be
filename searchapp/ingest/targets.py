"""Which collection each embedding space is written to in a run, and by which model.

A normal ingest writes every space into the collection its alias points to,
with the configured models. A re-index builds new collections for some spaces
only: its run writes those, with the models it builds them with, and leaves
the other spaces alone (their collections and models do not change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from searchapp.embed.base import TextEmbedder
from searchapp.embed.clip import Clip
from searchapp.store import VectorCollection
from searchapp.store.spaces import check_identity

Model = TypeVar("Model", TextEmbedder, Clip)


@dataclass(frozen=True)
class Target(Generic[Model]):
    """One space's collection and the model whose vectors go into it."""

    collection: VectorCollection
    model: Model

    def check(self) -> None:
        """Refuse to write one model's vectors into a collection built by another."""
        collection = self.collection
        check_identity(
            collection.physical_name, collection.spec, collection.identity, self.model.identity
        )


@dataclass(frozen=True)
class Targets:
    """The spaces a run writes; None leaves a space untouched."""

    text: Target[TextEmbedder] | None = None  # MiniLM: documents, captions
    clip_text: Target[Clip] | None = None  # CLIP: document windows, captions
    clip_image: Target[Clip] | None = None  # CLIP: pictures

    def check(self) -> None:
        for target in (self.text, self.clip_text, self.clip_image):
            if target is not None:
                target.check()

    @property
    def any(self) -> bool:
        return any(t is not None for t in (self.text, self.clip_text, self.clip_image))
