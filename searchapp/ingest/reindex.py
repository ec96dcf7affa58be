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
from pathlib import Path
from typing import Any

from searchapp.app import App
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.embed.clip import Clip, ClipSource
from searchapp.errors import SearchappError, StoreError
from searchapp.extract import ExtractOptions
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.runner import ingest
from searchapp.ingest.summary import IngestSummary, Progress
from searchapp.ingest.targets import Target, Targets
from searchapp.store import (
    CLIP_IMAGE_SPEC,
    CLIP_TEXT_SPEC,
    TEXT_SPEC,
    CollectionSpec,
    IndexParams,
    VectorCollection,
)
from searchapp.store.schema import ALL_SPECS

#: The spaces of each model, in the order their aliases switch.
GROUPS: dict[str, tuple[CollectionSpec, ...]] = {
    "text": (TEXT_SPEC,),
    "clip": (CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC),
}
_CHANGES = (
    "Give --text-model or --clip-model/--clip-pretrained/--clip-checkpoint, --hnsw-m or "
    "--ef-construction, or --re-embed to rebuild anyway."
)

Model = TextEmbedder | Clip


@dataclass(frozen=True)
class ReindexRequest:
    """What to change; None keeps what the current collections have."""

    text_model: str | None = None
    clip_model: str | None = None  # open_clip architecture
    clip_pretrained: str | None = None  # its pretrained tag ...
    clip_checkpoint: Path | None = None  # ... or a local checkpoint file or folder
    spaces: tuple[str, ...] = ()  # "text", "clip"; () chooses (see :meth:`groups`)
    hnsw_m: int | None = None
    ef_construction: int | None = None
    re_embed: bool = False  # re-read and re-embed even when the model stays
    keep_old: bool = False
    grace_seconds: float = 5.0  # old collections kept this long after the switch

    @property
    def changes_clip(self) -> bool:
        return any(
            v is not None for v in (self.clip_model, self.clip_pretrained, self.clip_checkpoint)
        )

    def asks_for(self, group: str) -> bool:
        """Whether ``group`` was named, by --space or by a new model for it."""
        changes = self.text_model is not None if group == "text" else self.changes_clip
        return group in self.spaces or changes

    def groups(self) -> tuple[str, ...]:
        """The models whose spaces are rebuilt: those named, else those whose model
        changes, else all of them (an index-only change or --re-embed)."""
        unknown = sorted(set(self.spaces) - set(GROUPS))
        if unknown:
            raise SearchappError(f"unknown space {unknown[0]!r}: choose text or clip")
        return tuple(group for group in GROUPS if self.asks_for(group)) or tuple(GROUPS)

    def clip_source(self, app: App) -> ClipSource | None:
        """The new CLIP weights: the settings with the options given (None: none given)."""
        if not self.changes_clip:
            return None
        if self.clip_pretrained is not None and self.clip_checkpoint is not None:
            raise SearchappError("give --clip-pretrained or --clip-checkpoint, not both")
        settings = app.settings
        # A checkpoint replaces the pretrained tag: a new tag drops the configured one.
        checkpoint = None if self.clip_pretrained is not None else settings.clip_checkpoint
        if self.clip_checkpoint is not None:
            checkpoint = self.clip_checkpoint.expanduser().resolve()
        chosen = settings.model_copy(
            update={
                "clip_model": self.clip_model or settings.clip_model,
                "clip_pretrained": self.clip_pretrained or settings.clip_pretrained,
                "clip_checkpoint": checkpoint,
                "test_random_clip": False,  # explicit weights were asked for
            }
        )
        return ClipSource.from_settings(chosen)


@dataclass
class SpacePlan:
    """One space: the collection in use, and what its next version will be."""

    spec: CollectionSpec
    current: VectorCollection
    rows_before: int
    index: IndexParams
    model: Model | None  # None: copy rows and vectors

    @property
    def identity(self) -> ModelIdentity:
        return self.model.identity if self.model is not None else self.current.identity

    @property
    def method(self) -> str:
        return "re-embedded" if self.model is not None else "copied"


@dataclass
class ReindexPlan:
    """The spaces to rebuild (in the order their aliases switch) and the files to re-read."""

    request: ReindexRequest
    spaces: list[SpacePlan]
    files: list[FoundFile] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def re_embeds(self) -> bool:
        return any(space.model is not None for space in self.spaces)

    @property
    def rows_to_copy(self) -> int:
        return sum(space.rows_before for space in self.spaces if space.model is None)


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


def plan_reindex(app: App, request: ReindexRequest) -> ReindexPlan:
    """Decide what the new collections will be; loads the new models, changes nothing."""
    groups = request.groups()
    found: list[VectorCollection] = []
    spaces: list[SpacePlan] = []
    for group in groups:
        currents = [
            (spec, current)
            for spec in GROUPS[group]
            if (current := app.store.existing_collection(spec)) is not None
        ]
        if not currents:
            if request.asks_for(group):
                raise SearchappError(
                    f"the {group} spaces hold nothing yet, so there is nothing to re-index "
                    "there: run `searchapp ingest PATH` first"
                )
            continue
        found.extend(current for _, current in currents)
        spaces.extend(_plan_group(app, group, request, currents))
    if not found:
        raise SearchappError("nothing to re-index yet: run `searchapp ingest PATH` first")
    if not spaces:
        state = "; ".join(
            f"{c.name} uses {c.identity.model_id} with HNSW M={c.index.m} "
            f"efConstruction={c.index.ef_construction}"
            for c in found
        )
        raise SearchappError(f"nothing to change: {state}. {_CHANGES}")
    plan = ReindexPlan(request=request, spaces=spaces)
    re_embedded = [space.current for space in spaces if space.model is not None]
    if re_embedded:
        plan.files, plan.vanished = _recorded_sources(re_embedded)
    return plan


def _plan_group(
    app: App,
    group: str,
    request: ReindexRequest,
    currents: list[tuple[CollectionSpec, VectorCollection]],
) -> list[SpacePlan]:
    """The spaces of one model that change, and the model that re-embeds them."""
    source = request.clip_source(app) if group == "clip" else None
    wanted = (
        source.model_id if source is not None else request.text_model if group == "text" else None
    )
    recorded = {current.identity.model_id for _, current in currents}
    if wanted is None and len(recorded) == 1:
        wanted = next(iter(recorded))
    planned: list[SpacePlan] = []
    model: Model | None = None
    for spec, current in currents:
        index = IndexParams(
            m=request.hnsw_m or current.index.m,
            ef_construction=request.ef_construction or current.index.ef_construction,
        )
        re_embed = request.re_embed or (wanted is not None and wanted != current.identity.model_id)
        if not re_embed and index == current.index:
            continue
        if re_embed and model is None:
            model = _load_model(app, group, source, wanted, currents)
        planned.append(
            SpacePlan(spec, current, current.count(), index, model if re_embed else None)
        )
    return planned


def _load_model(
    app: App,
    group: str,
    source: ClipSource | None,
    wanted: str | None,
    currents: list[tuple[CollectionSpec, VectorCollection]],
) -> Model:
    if wanted is None:
        models = ", ".join(f"{c.name} records {c.identity.model_id}" for _, c in currents)
        raise SearchappError(
            f"the CLIP spaces record different models ({models}): a CLIP re-index did not "
            "finish. Choose the model with --clip-model/--clip-pretrained/--clip-checkpoint."
        )
    if group == "text":
        return app.embedders.text_model(wanted)
    if source is not None:
        return app.embedders.clip_model(source)
    # The same weights again (--re-embed, e.g. after a chunking change): as recorded.
    identity = next(c.identity for _, c in currents if c.identity.model_id == wanted)
    return app.embedders.recorded_clip(identity)


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
        setting = (
            model.source.settings_hint()
            if isinstance(model, Clip)
            else f"SEARCHAPP_TEXT_MODEL={model.model_id}"
        )
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


def _recorded_sources(
    collections: Sequence[VectorCollection],
) -> tuple[list[FoundFile], list[str]]:
    """The source files the collections' rows came from: those still there, and those gone."""
    sources = sorted(
        {
            row["source"]
            for collection in collections
            for page in collection.pages("", ["source"])
            for row in page
        }
    )
    files: list[FoundFile] = []
    vanished: list[str] = []
    for source in sources:
        path = Path(source)
        if path.is_file():
            files.extend(discover([path], include_hidden=True))
        else:
            vanished.append(source)
    return files, vanished


def _index_dict(index: IndexParams) -> dict[str, Any]:
    return {"type": index.index_type, "M": index.m, "efConstruction": index.ef_construction}
