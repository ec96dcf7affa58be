"""Re-index embedding spaces into new collections while searches go on.

Each space's alias (``<prefix>_text``, ``<prefix>_clip_text``,
``<prefix>_clip_image``) keeps pointing at the collection in use while the
next version (``<alias>_v<N+1>``) is built beside it. Spaces are rebuilt by
model: the text space (sentence-transformers), and the two CLIP spaces, which
record the same CLIP model and so change model together.

- **re-embed** when the model changes (or on request, e.g. after changing the
  chunk settings): every source file recorded in the rebuilt spaces is read
  again through the normal ingest path, which writes those spaces only, with
  the new model, so a new tokenizer makes its own chunks. Files that no longer
  exist are reported, not carried over: there is nothing to re-read.
- **copy** when only the HNSW parameters change: rows are copied with their
  vectors; no model runs and no file is read.

The new collections are then sealed (flushed and fully indexed) and each alias
is switched in one atomic step, in the order text, CLIP text, CLIP image.
Between the two CLIP switches the CLIP spaces record different models; every
search embeds its query with the model of the collection it searches, so
searches go on (see ``search/cross_modal.py``). The old collections are
dropped after a grace period that lets searches already running on them
finish (or kept).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from searchapp.app import App
from searchapp.embed.clip import Clip
from searchapp.errors import SearchappError, StoreError
from searchapp.extract import ExtractOptions
from searchapp.ingest.reindex_plan import (
    ReindexPlan,
    ReindexRequest,
    SpacePlan,
    plan_reindex,
)
from searchapp.ingest.runner import ingest
from searchapp.ingest.summary import IngestSummary, Progress
from searchapp.ingest.targets import Target, Targets
from searchapp.store import IndexParams, VectorCollection
from searchapp.store.schema import ALL_SPECS
from searchapp.store.spaces import ModelChoice

__all__ = [
    "ReindexPlan",
    "ReindexReport",
    "ReindexRequest",
    "SpaceReport",
    "copy_rows",
    "drop_unused",
    "plan_reindex",
    "run_reindex",
]


@dataclass(frozen=True)
class SpaceReport:
    space: str
    alias: str
    old_collection: str
    new_collection: str
    old_model: str
    new_model: str
    old_index: IndexParams
    new_index: IndexParams
    method: str  # "re-embedded" or "copied"
    rows_before: int
    rows_after: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "old_index": _index_dict(self.old_index),
            "new_index": _index_dict(self.new_index),
        }


@dataclass
class ReindexReport:
    spaces: list[SpaceReport]
    vanished: list[str]
    old_dropped: bool
    elapsed: float
    ingest: IngestSummary | None = None
    # Settings that make ingest use the new models (searches already follow them).
    settings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "spaces": [space.as_dict() for space in self.spaces],
            "vanished": self.vanished,
            "old_dropped": self.old_dropped,
            "elapsed_seconds": round(self.elapsed, 3),
            "ingest": self.ingest.as_dict() if self.ingest else None,
            "settings": self.settings,
        }


def run_reindex(
    app: App,
    plan: ReindexPlan,
    *,
    options: ExtractOptions | None = None,
    progress: Progress | None = None,
    on_rows_copied: Callable[[int], None] | None = None,
) -> ReindexReport:
    """Build the new collections, switch the aliases to them, then drop (or keep) the old."""
    store = app.store
    started = time.monotonic()
    built: list[tuple[SpacePlan, VectorCollection]] = []
    summary: IngestSummary | None = None
    rows_after: list[int] = []
    try:
        for space in plan.spaces:
            name = store.next_version_name(space.spec)
            store.create_physical(name, space.spec, space.identity, space.index)
            built.append((space, store.physical_collection(space.spec, name)))
        targets = _targets(built)
        if targets.any:
            summary = ingest(
                app, plan.files, options=options, force=True, progress=progress, targets=targets
            )
        for space, target in built:
            if space.model is None:
                copy_rows(space.current, target, on_rows=on_rows_copied)
        for space, target in built:
            rows_after.append(target.count())
            if space.rows_before and not rows_after[-1]:
                raise SearchappError(
                    f"the re-index wrote nothing into {target.physical_name} (every source "
                    f"file is gone or failed), so {space.current.name} stays on "
                    f"{space.current.physical_name}"
                )
        for _, target in built:
            target.seal()
    except BaseException:
        # Searches never left the old collections: remove the half-built ones.
        # A store that is gone cannot drop them; `searchapp doctor` lists them then.
        for space, target in built:
            with contextlib.suppress(StoreError):
                store.drop_physical(space.spec, target.physical_name)
        raise
    for space, target in built:  # text, then CLIP text, then CLIP image
        store.switch_alias(space.spec, target.physical_name)
    if not plan.request.keep_old:
        time.sleep(plan.request.grace_seconds)
        for space, _ in built:
            store.drop_physical(space.spec, space.current.physical_name)
    return ReindexReport(
        spaces=[
            SpaceReport(
                space=space.spec.space,
                alias=space.current.name,
                old_collection=space.current.physical_name,
                new_collection=target.physical_name,
                old_model=space.current.identity.model_id,
                new_model=space.identity.model_id,
                old_index=space.current.index,
                new_index=space.index,
                method=space.method,
                rows_before=space.rows_before,
                rows_after=rows,
            )
            for (space, target), rows in zip(built, rows_after, strict=True)
        ],
        vanished=plan.vanished,
        old_dropped=not plan.request.keep_old,
        elapsed=time.monotonic() - started,
        ingest=summary,
        settings=_new_model_settings(plan.spaces),
    )


def _targets(built: Sequence[tuple[SpacePlan, VectorCollection]]) -> Targets:
    """What the ingest run of a re-index writes: the re-embedded spaces only."""
    chosen: dict[str, Any] = {}
    for space, collection in built:
        if space.model is not None:
            chosen[space.spec.space] = Target(collection, space.model)
    return Targets(**chosen)


def _new_model_settings(spaces: Sequence[SpacePlan]) -> list[str]:
    settings: list[str] = []
    for space in spaces:
        model = space.model
        if model is None or model.identity.model_id == space.current.identity.model_id:
            continue
        choice = (
            ModelChoice.clip(model.source)
            if isinstance(model, Clip)
            else ModelChoice.text(model.model_id)
        )
        setting = choice.settings
        if setting not in settings:
            settings.append(setting)
    return settings


def copy_rows(
    source: VectorCollection,
    target: VectorCollection,
    *,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Copy every row, vector included, from ``source`` into ``target``."""
    fields = ["id", *source.stored_fields, "vector"]
    copied = 0
    for page in source.pages("", fields):
        target.upsert(page)
        copied += len(page)
        if on_rows is not None:
            on_rows(len(page))
    return copied


def drop_unused(app: App) -> list[str]:
    """Drop every version of each space that its alias does not point to."""
    dropped = []
    for spec in ALL_SPECS:
        current = app.store.existing_collection(spec)
        for name in app.store.versions(spec):
            if current is None or name != current.physical_name:
                app.store.drop_physical(spec, name)
                dropped.append(name)
    return dropped


def _index_dict(index: IndexParams) -> dict[str, Any]:
    return {"type": index.index_type, "M": index.m, "efConstruction": index.ef_construction}
