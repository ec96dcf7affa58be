"""`searchapp doctor`: check the set-up and explain what is wrong and what to do.

Each check is a small function returning :class:`Check` results; the CLI
prints them. A failed *essential* check (settings, state folder, store, text
model) makes the command exit non-zero; warnings explain but do not fail. CLIP
and the speech model are never essential: without them, everything about text
still works.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from searchapp.config import Settings, get_settings
from searchapp.embed import Embedders, ModelIdentity
from searchapp.embed.clip import ClipSource
from searchapp.embed.packaged_onnx import packaged_text_model
from searchapp.errors import SearchappError
from searchapp.private import private_folder
from searchapp.store import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC, Store
from searchapp.store.schema import ALL_SPECS, CollectionSpec
from searchapp.store.spaces import FAMILIES, ModelChoice, built_index_differences, family_of


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but something deserves attention
    FAIL = "fail"


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
    embedders = embedders or Embedders(settings)
    checks = [_settings_check(settings), _state_folder_check(settings.state_dir)]
    store_check, store = _store_check(settings)
    checks.append(store_check)
    configured = _configured_models(settings, embedders)
    recorded: dict[str, ModelIdentity] = {}  # space -> the model its collection records
    if store is not None:
        try:
            for spec in ALL_SPECS:
                checks.extend(_collection_checks(store, spec, configured, recorded))
        finally:
            store.close()
    checks.extend(_clip_spaces_check(recorded))
    text_models = {recorded[TEXT_SPEC.space].model_id} if TEXT_SPEC.space in recorded else set()
    checks.extend(_text_model_checks(embedders, settings, text_models))
    clip_models = [
        recorded[s.space] for s in (CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC) if s.space in recorded
    ]
    checks.extend(_clip_model_checks(embedders, clip_models))
    checks.append(speech_model_check(settings))
    return checks


def _configured_models(settings: Settings, embedders: Embedders) -> dict[str, ModelChoice]:
    """The model each space is configured with, by space."""
    configured = {TEXT_SPEC.space: ModelChoice.text(settings.text_model)}
    try:
        clip = ModelChoice.clip(embedders.configured_clip_source())
    except SearchappError:  # the CLIP model check below says why
        return configured
    configured.update({spec.space: clip for spec in FAMILIES["clip"]})
    return configured


def _settings_check(settings: Settings) -> Check:
    where = (
        f"embedded Milvus Lite at {settings.shown_milvus_uri}"
        if settings.uses_milvus_lite
        else f"Milvus server at {settings.shown_milvus_uri}"
        + (" (TLS)" if settings.uses_tls else "")
        + (" (authenticated)" if settings.milvus_token or settings.milvus_user else "")
    )
    detail = f"valid; store: {where}; collection prefix {settings.collection_prefix}"
    return Check("settings", Status.OK, detail)


def _state_folder_check(folder: Path) -> Check:
    try:
        private_folder(folder)
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
    store: Store,
    spec: CollectionSpec,
    configured: dict[str, ModelChoice],
    recorded: dict[str, ModelIdentity],
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
    recorded[spec.space] = handle.identity
    index = handle.index
    detail = (
        f"{handle.name} -> {handle.physical_name}: {rows} rows; model "
        f"{handle.identity.describe()}{_backend(handle.identity)}; "
        f"index {index.index_type} M={index.m} "
        f"efConstruction={index.ef_construction}"
    )
    problems = []
    differs = built_index_differences(handle.record, built)
    if differs:
        problems.append(f"the index Milvus built differs from the record: {', '.join(differs)}")
    wanted = configured.get(spec.space)
    if wanted is not None and handle.identity.model_id != wanted.model_id:
        problems.append(
            f"not the configured model {wanted.model_id} ({wanted.settings}): searches "
            "use the collection's model, ingest refuses. Set "
            f"{ModelChoice.recorded(family_of(spec), handle.identity).settings}, or "
            f"`searchapp reindex {wanted.reindex}`"
        )
    unused = [v for v in versions if v != handle.physical_name]
    if unused:
        problems.append(
            f"unused versions {', '.join(unused)} (kept by --keep-old or left by an "
            "interrupted re-index): `searchapp reindex --drop-unused` drops them"
        )
    status = Status.WARN if problems else Status.OK
    yield Check(name, status, "; ".join([detail, *problems]), essential=False)


def _backend(identity: ModelIdentity) -> str:
    return f", vectors by the {identity.backend} backend" if identity.backend else ""


def _clip_spaces_check(recorded: dict[str, ModelIdentity]) -> Iterator[Check]:
    """Both CLIP spaces must record one model: they are searched against each other."""
    texts, images = recorded.get(CLIP_TEXT_SPEC.space), recorded.get(CLIP_IMAGE_SPEC.space)
    if texts is None or images is None or texts == images:
        return
    yield Check(
        "CLIP spaces",
        Status.WARN,
        f"the CLIP text space records {texts.model_id} but the image space "
        f"{images.model_id}: a CLIP re-index stopped between its two switches. Searches "
        "still work (each embeds its query with its own space's model); ingest refuses one "
        "space. Finish it: `searchapp reindex` with the --clip-... options of the model "
        "you want",
        essential=False,
    )


def _text_model_checks(
    embedders: Embedders, settings: Settings, recorded_models: set[str]
) -> Iterator[Check]:
    for model in sorted({settings.text_model, *recorded_models}):
        yield text_model_check(embedders, settings, model)


def text_model_check(embedders: Embedders, settings: Settings, model: str) -> Check:
    """Where the text model ``model`` loads from, and that it loads (an endpoint is
    probed): its dimension, chunk size and prompts, or why it does not load."""
    from searchapp.embed.sources import locate_text_model

    name = f"text model {model}"
    source = locate_text_model(model, settings)
    if source.missing is not None:
        return Check(name, Status.FAIL, source.describe())
    try:
        embedder = embedders.text_model(model)
        embedders.query_text(model)  # the query backend must load as well
    except SearchappError as exc:
        return Check(name, Status.FAIL, str(exc))
    if source.kind == "endpoint":
        runs = "queries and documents are embedded remotely"
    elif packaged_text_model(model) is not None:
        runs = "one ONNX graph, whatever the backends"
    else:
        runs = (
            f"backends: {settings.ingest_backend} for ingest, {settings.query_backend} for queries"
        )
    sizes = f"{embedder.dim}-d, {embedder.max_tokens} word pieces per chunk"
    where = source.describe()
    detail = (
        f"{where}, {sizes}" if source.kind == "endpoint" else f"{where}; {sizes}"
    ) + f"; {embedder.prompts.describe()}; {runs}"
    return Check(name, Status.OK, detail)


def _clip_model_checks(embedders: Embedders, recorded: list[ModelIdentity]) -> Iterator[Check]:
    """The configured CLIP weights, and those the CLIP collections record if others."""
    try:
        configured: ClipSource | None = embedders.configured_clip_source()
    except SearchappError as exc:
        configured = None
        yield Check("CLIP model", Status.WARN, f"unavailable: {exc}", essential=False)
    if configured is not None:
        yield clip_model_check(embedders, configured, "")
    seen = {configured.model_id} if configured is not None else set()
    for identity in recorded:
        if identity.model_id in seen:
            continue
        seen.add(identity.model_id)
        role = "; the CLIP collections record it, so CLIP searches use it"
        try:
            source = ClipSource.recorded(identity)
        except SearchappError as exc:
            yield Check(
                f"CLIP model {identity.model_id}",
                Status.WARN,
                f"unavailable: {exc}{role}, and refuse until it loads",
                essential=False,
            )
            continue
        yield clip_model_check(embedders, source, role)


def clip_model_check(embedders: Embedders, source: ClipSource, role: str) -> Check:
    from searchapp.embed.clip_weights import locate, probe_hub

    name = f"CLIP model {source.model_id}"
    location = locate(source)
    if not location.local and not _hub_offline():
        # Loading would download hundreds of MB; ask the hub whether it has them.
        try:
            size = probe_hub(location)
        except SearchappError as exc:
            return Check(name, Status.WARN, f"unavailable: {exc}{role}", essential=False)
        return Check(
            name,
            Status.OK,
            f"not downloaded yet: loads online, from {location.where} ({size / 1e6:.0f} MB, "
            f"fetched on first use, then cached){role}",
            essential=False,
        )
    try:
        clip = embedders.clip_model(source)
    except SearchappError as exc:
        return Check(name, Status.WARN, f"unavailable: {exc}{role}", essential=False)
    detail = (
        f"loads offline, from {location.where}; {clip.identity.dim}-d, text context "
        f"{clip.text.context_length} tokens{role}"
    )
    if source.random_weights:
        detail += "; random weights: for tests only, never for real search"
        return Check(name, Status.WARN, detail, essential=False)
    return Check(name, Status.OK, detail, essential=False)


def speech_model_check(settings: Settings) -> Check:
    """Where the Whisper weights for audio and video load from, or why there are none.

    Not essential: without them documents and images are ingested as before.
    The weights are located, not loaded (ingest loads them when a media file comes).
    """
    from searchapp.media import SpeechSource

    try:
        source = SpeechSource.from_settings(settings)
    except SearchappError as exc:
        return Check("speech model", Status.WARN, f"unavailable: {exc}", essential=False)
    where = "loads offline" if source.local_only else "may download on first use"
    detail = (
        f"{source.model_id}: {where}, from {source.description}; int8 on CPU, "
        f"{settings.speech_threads or 'all'} threads, beam {settings.speech_beam_size}"
    )
    return Check("speech model", Status.OK, detail, essential=False)


def _hub_offline() -> bool:
    # What huggingface_hub itself obeys (HF_HUB_OFFLINE, read when it is imported).
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)
