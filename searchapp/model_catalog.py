"""`searchapp models`: the models that can be used here, and where each loads from.

The text models that load offline from installed packages (MiniLM-L6 and
paraphrase-MiniLM-L3-v2), the configured text model (a folder, a hub id or a
remote endpoint, which is probed), the configured CLIP weights and the speech
model. Each is judged by doctor's own check for its kind, so the two commands
cannot disagree on whether a model loads or where from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from searchapp.config import Settings
from searchapp.doctor import Check, Status, clip_model_check, speech_model_check, text_model_check
from searchapp.embed import Embedders
from searchapp.embed.sources import OFFLINE_TEXT_MODELS, locate_text_model
from searchapp.errors import SearchappError


@dataclass(frozen=True)
class AvailableModel:
    """One model and what doctor's check found about it."""

    family: str  # text, clip or speech
    model: str
    configured: bool  # the settings choose it
    check: Check
    offline: bool | None = None  # loads with no network; None: it does not load at all

    @property
    def usable(self) -> bool:
        # Doctor's convention: a model that cannot be used fails (text) or warns with
        # "unavailable: <why>" (CLIP, speech); other warnings (random test weights) can.
        return self.check.status is not Status.FAIL and not self.check.detail.startswith(
            "unavailable"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "model": self.model,
            "configured": self.configured,
            "usable": self.usable,
            "offline": self.offline if self.usable else None,
            "status": self.check.status.value,
            "detail": self.check.detail,
        }


def available_models(
    settings: Settings, embedders: Embedders | None = None
) -> list[AvailableModel]:
    """Every model worth listing, loaded (an endpoint probed) to say whether it works.

    ``embedders`` is a seam for tests (models already loaded).
    """
    embedders = embedders or Embedders(settings)
    return [*_text_models(settings, embedders), _clip_model(settings, embedders), _speech(settings)]


def _text_models(settings: Settings, embedders: Embedders) -> list[AvailableModel]:
    names = list(OFFLINE_TEXT_MODELS)
    if settings.text_model not in names:
        names.append(settings.text_model)
    return [
        AvailableModel(
            "text",
            name,
            name == settings.text_model,
            text_model_check(embedders, settings, name),
            offline=locate_text_model(name, settings).offline,
        )
        for name in names
    ]


def _clip_model(settings: Settings, embedders: Embedders) -> AvailableModel:
    from searchapp.embed.clip_weights import locate

    try:
        source = embedders.configured_clip_source()
    except SearchappError as exc:
        check = Check("CLIP model", Status.WARN, f"unavailable: {exc}", essential=False)
        return AvailableModel("clip", settings.clip_model, True, check)
    check = clip_model_check(embedders, source, "")
    return AvailableModel("clip", source.model_id, True, check, offline=locate(source).local)


def _speech(settings: Settings) -> AvailableModel:
    from searchapp.media import SpeechSource

    check = speech_model_check(settings)
    try:
        source = SpeechSource.from_settings(settings)
    except SearchappError:
        return AvailableModel("speech", settings.speech_model, True, check)
    return AvailableModel("speech", source.model_id, True, check, offline=source.local_only)
