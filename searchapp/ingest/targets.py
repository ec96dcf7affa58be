"""Which collection each embedding space is written to in a run, and by which model.

A normal ingest writes every space into the collection its alias points to,
with the configured models. A re-index builds new collections for some spaces
only: its run writes those, with the models it builds them with, and leaves
the other spaces alone (their collections and models do not change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from searchapp.embed.base import TextEmbedder
from searchapp.embed.clip import Clip
from searchapp.errors import ModelUnavailableError
from searchapp.ingest.kinds import SortedFiles
from searchapp.store import (
    CLIP_IMAGE_SPEC,
    CLIP_TEXT_SPEC,
    TEXT_SPEC,
    CollectionSpec,
    VectorCollection,
)
from searchapp.store.retry import RetryPolicy
from searchapp.store.spaces import check_identity

if TYPE_CHECKING:
    from searchapp.app import App

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
        for target in self.each():
            target.check()

    def each(self) -> list[Target[TextEmbedder] | Target[Clip]]:
        """The spaces written, in the order text, CLIP text, CLIP image."""
        return [t for t in (self.text, self.clip_text, self.clip_image) if t is not None]

    @property
    def any(self) -> bool:
        return bool(self.each())


def current_targets(app: App, files: SortedFiles) -> tuple[Targets, str | None]:
    """Every space's current collection (created on first use) and configured model.

    The CLIP spaces are opened only when the run has something for them (key
    frames of videos are pictures), and
    only when CLIP loads; otherwise the second value says why it did not.
    """
    windows = bool(files.documents or files.media) and app.settings.clip_text_windows > 0
    videos = any(item.may_have_pictures for item in files.media)
    clip, problem = _load_clip(app) if files.images or windows or videos else (None, None)
    text_model = app.embedders.text()
    text = Target(app.store.collection(TEXT_SPEC, text_model.identity), text_model)
    if clip is None:
        return Targets(text=text), problem

    def clip_target(spec: CollectionSpec) -> Target[Clip]:
        return Target(app.store.collection(spec, clip.identity), clip)

    return (
        Targets(
            text=text,
            clip_text=clip_target(CLIP_TEXT_SPEC),
            clip_image=clip_target(CLIP_IMAGE_SPEC) if files.images or videos else None,
        ),
        None,
    )


def _load_clip(app: App) -> tuple[Clip | None, str | None]:
    try:
        return app.embedders.clip(), None
    except ModelUnavailableError as exc:
        return None, str(exc)


def retrying(targets: Targets, policy: RetryPolicy) -> Targets:
    """``targets`` whose writes are retried while Milvus is unreachable."""

    def wrapped(target: Target[Model] | None) -> Target[Model] | None:
        if target is None:
            return None
        return Target(target.collection.with_retries(policy), target.model)

    return Targets(
        text=wrapped(targets.text),
        clip_text=wrapped(targets.clip_text),
        clip_image=wrapped(targets.clip_image),
    )
