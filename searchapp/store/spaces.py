"""The registry of embedding spaces: the one owner of model identity.

A *space* is the vectors of one model from one modality, kept in one collection
(see ``schema.py``). Spaces belong to a model *family*: ``text`` (a
sentence-transformers model, chosen by SEARCHAPP_TEXT_MODEL) and ``clip`` (an
open_clip model, chosen by SEARCHAPP_CLIP_*), whose two spaces record the same
model and change model together.

This module answers, for everything that asks (store, search, cross-modal
search, re-index, doctor, stats):

- **what a collection records** (:class:`SpaceRecord`): model identity, HNSW
  index, BM25 index and schema version, written as collection properties when
  the collection is made and read back from them: one codec, one shape;
- **which settings choose a model** (:class:`ModelChoice`): the environment
  variables and the `searchapp reindex` options, for messages that tell a user
  how to resolve a mismatch;
- **whether a loaded model still is the recorded one** (:func:`check_identity`,
  :func:`check_loaded`).

docs/spaces.md says how to add a model family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from searchapp.embed.base import ModelIdentity
from searchapp.embed.clip import ClipSource
from searchapp.errors import ModelMismatchError, ModelUnavailableError, StoreError
from searchapp.store.hybrid import KeywordIndex
from searchapp.store.schema import CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC, TEXT_SPEC, CollectionSpec

#: The spaces of each model family, in the order a re-index switches their aliases.
FAMILIES: dict[str, tuple[CollectionSpec, ...]] = {
    "text": (TEXT_SPEC,),
    "clip": (CLIP_TEXT_SPEC, CLIP_IMAGE_SPEC),
}

# 2: text chunks carry keyword_text (and, where the server has BM25, its index).
SCHEMA_VERSION = "2"
# Collection properties that record what made a collection's vectors.
_PROP = "searchapp."


def family_of(spec: CollectionSpec) -> str:
    """The model family whose model makes ``spec``'s vectors."""
    for family, specs in FAMILIES.items():
        if spec.space in (s.space for s in specs):
            return family
    raise KeyError(f"no model family has the space {spec.space!r}")


# --- the record ---------------------------------------------------------------


@dataclass(frozen=True)
class IndexParams:
    """HNSW build parameters, recorded with the collection."""

    m: int
    ef_construction: int
    index_type: str = "HNSW"

    def as_milvus(self) -> dict[str, int]:
        return {"M": self.m, "efConstruction": self.ef_construction}


@dataclass(frozen=True)
class SpaceRecord:
    """What a collection records at creation about what made its vectors."""

    space: str
    identity: ModelIdentity
    index: IndexParams
    keywords: KeywordIndex | None = None  # its BM25 index; None: none (old server or schema)
    schema: str = SCHEMA_VERSION

    def index_dict(self) -> dict[str, Any]:
        """The HNSW index in the one shape records, stats and the API use."""
        return {
            "type": self.index.index_type,
            "M": self.index.m,
            "efConstruction": self.index.ef_construction,
        }

    def properties(self) -> dict[str, str]:
        """The record as Milvus collection properties (strings only)."""
        identity = self.identity
        # Where the weights came from, when the model id alone cannot say (a checkpoint
        # is named by its sha256): other processes load the same model from there.
        load_from = {f"{_PROP}load_from": identity.load_from} if identity.load_from else {}
        backend = {f"{_PROP}backend": identity.backend} if identity.backend else {}
        return {
            f"{_PROP}schema": self.schema,
            f"{_PROP}space": self.space,
            f"{_PROP}model": identity.model_id,
            f"{_PROP}dim": str(identity.dim),
            f"{_PROP}metric": identity.metric,
            f"{_PROP}normalized": "true" if identity.normalized else "false",
            f"{_PROP}index": json.dumps(self.index_dict()),
            f"{_PROP}keywords": json.dumps(self.keywords.as_record() if self.keywords else None),
            **load_from,
            **backend,
        }

    @classmethod
    def from_properties(cls, properties: dict[str, str]) -> SpaceRecord:
        """The record a collection's properties hold; StoreError when they hold none."""
        space = properties.get(f"{_PROP}space", "")
        keywords = json.loads(properties.get(f"{_PROP}keywords", "null"))
        return cls(
            space=space,
            identity=_identity(properties, space),
            index=_index(properties),
            keywords=KeywordIndex.from_record(keywords) if keywords else None,
            schema=properties.get(f"{_PROP}schema", "?"),
        )


def _identity(properties: dict[str, str], space: str) -> ModelIdentity:
    try:
        return ModelIdentity(
            model_id=properties[f"{_PROP}model"],
            dim=int(properties[f"{_PROP}dim"]),
            metric=properties[f"{_PROP}metric"],
            normalized=properties[f"{_PROP}normalized"] == "true",
            load_from=properties.get(f"{_PROP}load_from", ""),
            # Text collections made before the ONNX backends were all made by torch.
            backend=properties.get(f"{_PROP}backend", "torch" if space == "text" else ""),
        )
    except (KeyError, ValueError) as exc:
        raise StoreError(
            "a collection has no searchapp model record; it was not created by searchapp "
            "(or by an incompatible version). Use another SEARCHAPP_COLLECTION_PREFIX."
        ) from exc


def _index(properties: dict[str, str]) -> IndexParams:
    try:
        recorded = json.loads(properties[f"{_PROP}index"])
        return IndexParams(
            m=int(recorded["M"]),
            ef_construction=int(recorded["efConstruction"]),
            index_type=str(recorded["type"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise StoreError("a collection has no readable index record") from exc


def built_index_differences(record: SpaceRecord, built: dict[str, Any]) -> list[str]:
    """Where the index Milvus reports (``describe_index``) differs from the record,
    as ``key=value`` in Milvus's spelling."""
    as_milvus = {"index_type": record.index.index_type, **record.index.as_milvus()}
    return [
        f"{key}={built[key]}"
        for key, value in as_milvus.items()
        if key in built and str(built[key]) != str(value)
    ]


# --- which settings choose a model ----------------------------------------------


@dataclass(frozen=True)
class ModelChoice:
    """A model of a family, and how a user chooses it."""

    family: str
    model_id: str
    settings: str  # the environment settings that choose it
    reindex: str  # the `searchapp reindex` options that move an index to it

    @classmethod
    def text(cls, model_id: str) -> ModelChoice:
        return cls("text", model_id, f"SEARCHAPP_TEXT_MODEL={model_id}", f"--text-model {model_id}")

    @classmethod
    def clip(cls, source: ClipSource) -> ModelChoice:
        return cls("clip", source.model_id, _clip_settings(source), _clip_options(source))

    @classmethod
    def recorded(cls, family: str, identity: ModelIdentity) -> ModelChoice:
        """The choice of the model a collection records (best effort for CLIP: a record
        whose weights cannot be found again names no settings)."""
        if family == "text":
            return cls.text(identity.model_id)
        if ":random-weights-" in identity.model_id:
            return cls("clip", identity.model_id, "SEARCHAPP_TEST_RANDOM_CLIP=1", "")
        try:
            return cls.clip(ClipSource.recorded(identity))
        except ModelUnavailableError:
            return cls("clip", identity.model_id, "the CLIP settings it was built with", "")


def _clip_settings(source: ClipSource) -> str:
    if source.random_weights:
        return "SEARCHAPP_TEST_RANDOM_CLIP=1"
    if source.architecture.startswith("local-dir:"):
        return f"SEARCHAPP_CLIP_CHECKPOINT={source.load_from}"
    if source.load_from:
        return (
            f"SEARCHAPP_CLIP_MODEL={source.architecture} "
            f"SEARCHAPP_CLIP_CHECKPOINT={source.load_from}"
        )
    return (
        f"SEARCHAPP_CLIP_MODEL={source.architecture} SEARCHAPP_CLIP_PRETRAINED={source.pretrained}"
    )


def _clip_options(source: ClipSource) -> str:
    if source.load_from:
        return f"--clip-model {source.architecture} --clip-checkpoint {source.load_from}"
    return f"--clip-model {source.architecture} --clip-pretrained {source.pretrained}"


# --- is it the recorded model? ------------------------------------------------------


def check_identity(
    name: str, spec: CollectionSpec, recorded: ModelIdentity, wanted: ModelIdentity
) -> None:
    """Refuse to use collection ``name`` (recording ``recorded``) with the model ``wanted``."""
    if recorded == wanted:
        return
    choice = ModelChoice.recorded(family_of(spec), recorded)
    raise ModelMismatchError(
        f"collection {name!r} holds vectors from {recorded.describe()}, but the configured "
        f"model is {wanted.describe()}. Vectors of different models cannot be searched "
        f"together: set {choice.settings} to use it, or set SEARCHAPP_COLLECTION_PREFIX to "
        "build a separate index with the new model."
    )


def unloadable(
    name: str, recorded: ModelIdentity, exc: ModelUnavailableError
) -> ModelUnavailableError:
    """The error of a search whose collection's model cannot be loaded."""
    return ModelUnavailableError(
        f"the index {name!r} was built by {recorded.model_id}, which cannot be loaded here: {exc}"
    )


def check_loaded(
    name: str, spec: CollectionSpec, recorded: ModelIdentity, loaded: ModelIdentity
) -> None:
    """Refuse a model that loads under the recorded model id but makes other vectors
    (another dimension, say): the collection must be re-indexed."""
    if loaded == recorded:
        return
    how = "--text-model ..." if family_of(spec) == "text" else "--space clip --re-embed"
    raise ModelMismatchError(
        f"the index {name!r} holds vectors from {recorded.describe()}, but that model now "
        f"loads as {loaded.describe()}; re-index it (`searchapp reindex {how}`)"
    )


def query_notice(recorded: ModelChoice, configured: str) -> str | None:
    """What a search says when it embeds queries with the recorded model, not the
    configured one (``configured`` is its model id, or why it is unknown); None
    when they are one."""
    if configured == recorded.model_id:
        return None
    if recorded.family == "text":
        return (
            f"note: the index was built by {recorded.model_id} (not SEARCHAPP_TEXT_MODEL="
            f"{configured}); queries use it. Set {recorded.settings} so ingest uses it too."
        )
    return (
        f"note: the CLIP index was built by {recorded.model_id} (not the configured "
        f"{configured}); queries use it. Set {recorded.settings} so that ingest uses it too."
    )
