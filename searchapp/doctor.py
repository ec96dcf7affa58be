"""`searchapp doctor`: check the set-up and explain what is wrong and what to do.

Each check is a small function returning :class:`Check` results; the CLI
prints them. A failed *essential* check (settings, state folder, store, text
model) makes the command exit non-zero; warnings explain but do not fail.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from searchapp.config import Settings, get_settings
from searchapp.embed import Embedders
from searchapp.errors import SearchappError
from searchapp.store import Store
from searchapp.store.schema import ALL_SPECS, CollectionSpec


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but something deserves attention
    FAIL = "fail"
    SKIP = "skip"  # not applicable here


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    essential: bool = True

    @property
    def failed(self) -> bool:
        return self.essential and self.status is Status.FAIL

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "essential": self.essential,
        }


def run_checks(settings: Settings | None = None, embedders: Embedders | None = None) -> list[Check]:
    """Every check, in order; later checks are skipped when what they need failed.

    ``embedders`` is a seam for tests (models already loaded); by default each
    model is loaded afresh, as a user's next command would.
    """
    if settings is None:
        try:
            settings = get_settings()
        except SearchappError as exc:
            return [Check("settings", Status.FAIL, str(exc))]
    checks = [_settings_check(settings), _state_folder_check(settings.state_dir)]
    store_check, store = _store_check(settings)
    checks.append(store_check)
    recorded_models: set[str] = set()
    if store is not None:
        try:
            for spec in ALL_SPECS:
                checks.extend(_collection_checks(store, spec, settings, recorded_models))
        finally:
            store.close()
    checks.extend(_text_model_checks(embedders or Embedders(settings), settings, recorded_models))
    checks.append(_image_model_check())
    return checks


def _settings_check(settings: Settings) -> Check:
    where = (
        f"embedded Milvus Lite at {settings.resolved_milvus_uri}"
        if settings.uses_milvus_lite
        else f"Milvus server at {settings.resolved_milvus_uri}"
        + (" (TLS)" if settings.uses_tls else "")
        + (" (authenticated)" if settings.milvus_token or settings.milvus_user else "")
    )
    detail = f"valid; store: {where}; collection prefix {settings.collection_prefix}"
    return Check("settings", Status.OK, detail)


def _state_folder_check(folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return Check(
            "state folder",
            Status.FAIL,
            f"{folder} is not writable ({exc.strerror or exc}); set SEARCHAPP_STATE_DIR "
            "to a folder you can write",
        )
    return Check("state folder", Status.OK, f"{folder} is writable")


def _store_check(settings: Settings) -> tuple[Check, Store | None]:
    try:
        store = Store.connect(settings)
    except SearchappError as exc:
        return Check("store", Status.FAIL, str(exc)), None
    features = ", ".join(
        f"{name}: {'yes' if present else 'no'}" for name, present in store.info.features().items()
    )
    return Check("store", Status.OK, f"{store.info.describe()} at {store.uri}; {features}"), store


def _collection_checks(
    store: Store, spec: CollectionSpec, settings: Settings, recorded_models: set[str]
) -> Iterator[Check]:
    name = f"collection {spec.space}"
    try:
        handle = store.existing_collection(spec)
        versions = store.versions(spec)
        if handle is None:
            yield Check(
                name,
                Status.OK,
                f"{store.alias_for(spec)} does not exist yet (run `searchapp ingest PATH`)",
                essential=False,
            )
            return
        rows = handle.count()
        built = handle.built_index()
    except SearchappError as exc:
        yield Check(name, Status.FAIL, str(exc), essential=False)
        return
    recorded_models.add(handle.identity.model_id)
    index = handle.index
    detail = (
        f"{handle.name} -> {handle.physical_name}: {rows} rows; model "
        f"{handle.identity.describe()}; index {index.index_type} M={index.m} "
        f"efConstruction={index.ef_construction}"
    )
    problems = []
    recorded = {
        "index_type": index.index_type,
        "M": index.m,
        "efConstruction": index.ef_construction,
    }
    differs = [
        f"{key}={built[key]}"
        for key, value in recorded.items()
        if key in built and str(built[key]) != str(value)
    ]
    if differs:
        problems.append(f"the index Milvus built differs from the record: {', '.join(differs)}")
    if spec.space == "text" and handle.identity.model_id != settings.text_model:
        problems.append(
            f"built by {handle.identity.model_id} but SEARCHAPP_TEXT_MODEL is "
            f"{settings.text_model}: searches use {handle.identity.model_id}, ingest refuses. "
            f"Set SEARCHAPP_TEXT_MODEL={handle.identity.model_id}, or `searchapp reindex "
            f"--text-model {settings.text_model}`"
        )
    unused = [v for v in versions if v != handle.physical_name]
    if unused:
        problems.append(
            f"unused versions {', '.join(unused)} (kept by --keep-old or left by an "
            "interrupted re-index): `searchapp reindex --drop-unused` drops them"
        )
    status = Status.WARN if problems else Status.OK
    yield Check(name, status, "; ".join([detail, *problems]), essential=False)


def _text_model_checks(
    embedders: Embedders, settings: Settings, recorded_models: set[str]
) -> Iterator[Check]:
    from searchapp.embed.text import resolve_text_model

    for model in sorted({settings.text_model, *recorded_models}):
        location = resolve_text_model(model)
        if location != model:
            source = f"offline, from the installed package at {location}"
        elif Path(model).is_dir():
            source = "offline, from a local folder"
        elif os.environ.get("HF_HUB_OFFLINE") == "1":
            source = "offline, from the Hugging Face cache"
        else:
            source = "from the Hugging Face cache or the hub (needs the network once)"
        try:
            embedder = embedders.text_model(model)
        except SearchappError as exc:
            yield Check(f"text model {model}", Status.FAIL, str(exc))
            continue
        yield Check(
            f"text model {model}",
            Status.OK,
            f"loads {source}; {embedder.dim}-d, {embedder.max_tokens} word pieces per chunk",
        )


def _image_model_check() -> Check:
    if importlib.util.find_spec("open_clip") is None:
        return Check(
            "image model", Status.SKIP, "open_clip is not installed: no image search", False
        )
    version = importlib.metadata.version("open-clip-torch")
    return Check(
        "image model",
        Status.SKIP,
        f"open_clip {version} is installed; this build has no image collections yet",
        essential=False,
    )
