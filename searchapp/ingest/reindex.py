"""Re-index the text space into a new collection while searches go on.

The space's alias (``<prefix>_text``) keeps pointing at the collection in use
while the next version (``<alias>_v<N+1>``) is built beside it:

- **re-embed** when the model changes (or on request, e.g. after changing the
  chunk settings): every source file recorded in the old collection is read
  again through the normal ingest path with the new model, so a new tokenizer
  makes its own chunks. Files that no longer exist are reported, not carried
  over: there is nothing to re-read.
- **copy** when only the HNSW parameters change: rows are copied with their
  vectors; no model runs and no file is read.

The new collection is then sealed (flushed and fully indexed), the alias is
switched in one atomic step, and the old collection is dropped after a grace
period that lets searches already running on it finish (or kept).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchapp.app import App
from searchapp.embed.text import SentenceTransformerEmbedder
from searchapp.errors import SearchappError, StoreError
from searchapp.extract import ExtractOptions
from searchapp.ingest.discover import FoundFile, discover
from searchapp.ingest.pipeline import Progress
from searchapp.ingest.runner import ingest
from searchapp.ingest.summary import IngestSummary
from searchapp.store import TEXT_SPEC, IndexParams, VectorCollection
from searchapp.store.schema import ALL_SPECS


@dataclass(frozen=True)
class ReindexRequest:
    """What to change; None keeps what the current collection has."""

    text_model: str | None = None
    hnsw_m: int | None = None
    ef_construction: int | None = None
    re_embed: bool = False  # re-read and re-embed even when the model stays
    keep_old: bool = False
    grace_seconds: float = 5.0  # old collection kept this long after the switch


@dataclass
class ReindexPlan:
    """The collection in use, what the new one will be, and how it is filled."""

    request: ReindexRequest
    current: VectorCollection
    rows_before: int
    index: IndexParams
    embedder: SentenceTransformerEmbedder | None  # None: copy rows and vectors
    files: list[FoundFile] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)

    @property
    def model(self) -> str:
        return self.embedder.model_id if self.embedder else self.current.identity.model_id

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class ReindexReport:
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
    vanished: list[str]
    old_dropped: bool
    elapsed: float
    ingest: IngestSummary | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "old_collection": self.old_collection,
            "new_collection": self.new_collection,
            "old_model": self.old_model,
            "new_model": self.new_model,
            "old_index": _index_dict(self.old_index),
            "new_index": _index_dict(self.new_index),
            "method": self.method,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "vanished": self.vanished,
            "old_dropped": self.old_dropped,
            "elapsed_seconds": round(self.elapsed, 3),
            "ingest": self.ingest.as_dict() if self.ingest else None,
        }


def plan_reindex(app: App, request: ReindexRequest) -> ReindexPlan:
    """Decide what the new collection will be; loads the new model, changes nothing."""
    current = app.store.existing_collection(TEXT_SPEC)
    if current is None:
        raise SearchappError("nothing to re-index yet: run `searchapp ingest PATH` first")
    index = IndexParams(
        m=request.hnsw_m or current.index.m,
        ef_construction=request.ef_construction or current.index.ef_construction,
    )
    model = request.text_model or current.identity.model_id
    re_embed = request.re_embed or model != current.identity.model_id
    if not re_embed and index == current.index:
        raise SearchappError(
            f"nothing to change: {current.name} already uses {model} with HNSW M={index.m} "
            f"efConstruction={index.ef_construction}. Give --text-model, --hnsw-m or "
            "--ef-construction, or --re-embed to rebuild it anyway."
        )
    plan = ReindexPlan(
        request=request,
        current=current,
        rows_before=current.count(),
        index=index,
        embedder=app.embedders.text_model(model) if re_embed else None,
    )
    if re_embed:
        plan.files, plan.vanished = _recorded_sources(current)
    return plan


def run_reindex(
    app: App,
    plan: ReindexPlan,
    *,
    options: ExtractOptions | None = None,
    progress: Progress | None = None,
    on_rows_copied: Callable[[int], None] | None = None,
) -> ReindexReport:
    """Build the new collection, switch the alias to it, then drop (or keep) the old one."""
    store = app.store
    started = time.monotonic()
    identity = plan.embedder.identity if plan.embedder else plan.current.identity
    new_name = store.next_version_name(TEXT_SPEC)
    store.create_physical(new_name, TEXT_SPEC, identity, plan.index)
    target = store.physical_collection(TEXT_SPEC, new_name)
    summary: IngestSummary | None = None
    try:
        if plan.embedder is not None:
            summary = ingest(
                app,
                plan.files,
                options=options,
                force=True,
                progress=progress,
                target=target,
                embedder=plan.embedder,
            )
        else:
            copy_rows(plan.current, target, on_rows=on_rows_copied)
        rows_after = target.count()
        if plan.rows_before and not rows_after:
            raise SearchappError(
                f"the re-index wrote nothing (every source file is gone or failed), so "
                f"{plan.current.name} stays on {plan.current.physical_name}"
            )
        target.seal()
    except BaseException:
        # Searches never left the old collection: remove the half-built one.
        # A store that is gone cannot drop it; `searchapp doctor` lists it then.
        with contextlib.suppress(StoreError):
            store.drop_physical(TEXT_SPEC, new_name)
        raise
    store.switch_alias(TEXT_SPEC, new_name)
    if not plan.request.keep_old:
        time.sleep(plan.request.grace_seconds)
        store.drop_physical(TEXT_SPEC, plan.current.physical_name)
    return ReindexReport(
        alias=plan.current.name,
        old_collection=plan.current.physical_name,
        new_collection=new_name,
        old_model=plan.current.identity.model_id,
        new_model=identity.model_id,
        old_index=plan.current.index,
        new_index=plan.index,
        method="re-embedded" if plan.embedder else "copied",
        rows_before=plan.rows_before,
        rows_after=rows_after,
        vanished=plan.vanished,
        old_dropped=not plan.request.keep_old,
        elapsed=time.monotonic() - started,
        ingest=summary,
    )


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


def _recorded_sources(collection: VectorCollection) -> tuple[list[FoundFile], list[str]]:
    """The source files the collection's rows came from: those still there, and those gone."""
    sources = sorted({row["source"] for page in collection.pages("", ["source"]) for row in page})
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
