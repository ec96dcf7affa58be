"""What a re-index will do: the spaces it rebuilds, how (re-embed or copy), with
which model, and the source files it re-reads. Deciding changes nothing; see
reindex.py for the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.app import App
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.embed.clip import Clip, ClipSource
from searchapp.errors import SearchappError
from searchapp.ingest.discover import FoundFile, discover
from searchapp.store import (
    CollectionSpec,
    IndexParams,
    VectorCollection,
)
from searchapp.store.spaces import FAMILIES

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
        unknown = sorted(set(self.spaces) - set(FAMILIES))
        if unknown:
            raise SearchappError(f"unknown space {unknown[0]!r}: choose text or clip")
        return tuple(group for group in FAMILIES if self.asks_for(group)) or tuple(FAMILIES)

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


def plan_reindex(app: App, request: ReindexRequest) -> ReindexPlan:
    """Decide what the new collections will be; loads the new models, changes nothing."""
    groups = request.groups()
    found: list[VectorCollection] = []
    spaces: list[SpacePlan] = []
    for group in groups:
        currents = [
            (spec, current)
            for spec in FAMILIES[group]
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
