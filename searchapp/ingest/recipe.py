"""How a file's rows are made: its recipe, recorded with it in the manifest.

A recipe is everything beyond the models (each collection enforces its own
model) that changes a file's rows: the chunk sizes, titles, whether CLIP
windows are made, and the extract options the file is read with (which field
of a record file is its text, title or id). A file ingested by another recipe
is ingested again, so a changed ``--text-field`` re-reads the files it applies to.
An audio or video file's recipe adds the speech model's id and the key-frame
settings, so other Whisper weights re-transcribe the recordings (only them).

Extract options belong to the folders (roots) `searchapp ingest` was given: a
run that names its options records them for its roots; a run that names none
(the worker, a re-index) reads each file with the options recorded for the
deepest root holding it (none recorded: field detection).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.config import Settings
from searchapp.errors import ModelUnavailableError
from searchapp.extract import ExtractOptions
from searchapp.ingest.targets import Targets
from searchapp.media.formats import is_media_file

_FIELDS = ("text_field", "title_field", "id_field")


def fields_of(options: ExtractOptions) -> str:
    """The options that change rows, as recorded (JSON)."""
    return json.dumps({name: getattr(options, name) for name in _FIELDS}, sort_keys=True)


def options_from(fields: str) -> ExtractOptions:
    try:
        recorded = json.loads(fields)
        return ExtractOptions(**{name: recorded.get(name) for name in _FIELDS})
    except (ValueError, TypeError, AttributeError):
        return ExtractOptions()  # unreadable: field detection (the file is re-read)


@dataclass(frozen=True)
class Recipes:
    """The recipe and extract options of each file of a run."""

    base: str  # chunking, titles, CLIP: the same for every file of the run
    options: Mapping[Path, ExtractOptions] = field(default_factory=dict)
    default: ExtractOptions = field(default_factory=ExtractOptions)
    media: str = ""  # what else makes an audio or video file's rows (media_recipe)

    def options_for(self, path: Path) -> ExtractOptions:
        return self.options.get(path, self.default)

    def of(self, path: Path | str) -> str:
        path = Path(path)
        if is_media_file(path):
            return f"{self.base};{self.media}"
        return f"{self.base};fields={fields_of(self.options_for(path))}"


def recipes(
    settings: Settings,
    targets: Targets,
    paths: Iterable[Path],
    *,
    given: ExtractOptions | None,
    recorded: Mapping[str, str],
    media: str = "",
) -> Recipes:
    """The recipes of a run over ``paths``: with ``given`` options, those for every
    file; else each file's recorded ones (``recorded``: root -> fields); ``media``
    is the run's :func:`media_recipe` (when it has media)."""
    clip = targets.clip_text is not None or targets.clip_image is not None
    base = (
        f"chunks={settings.chunk_tokens}/{settings.chunk_overlap}"
        f";title={settings.chunk_title};clip={clip};windows={settings.clip_text_windows}"
    )

    def limited(options: ExtractOptions) -> ExtractOptions:
        return dataclasses.replace(
            options,
            max_record_bytes=settings.max_record_bytes,
            max_decompressed_bytes=settings.max_file_bytes,
        )

    if given is not None:
        return Recipes(base, default=limited(given), media=media)
    roots = sorted(recorded, key=len, reverse=True)  # deepest first
    chosen: dict[Path, ExtractOptions] = {}
    for path in paths:
        root = next((r for r in roots if _under(path, r)), None)
        if root is not None:
            chosen[path] = limited(options_from(recorded[root]))
    return Recipes(base, chosen, limited(ExtractOptions()), media)


def media_recipe(settings: Settings) -> str:
    """The speech weights (by id, without loading them) and the key-frame settings."""
    from searchapp.media.speech import SpeechSource

    try:
        speech = SpeechSource.from_settings(settings).model_id
    except ModelUnavailableError:
        speech = "none"
    return (
        f"speech={speech};window={settings.media_window_seconds}"
        f";keyframes={settings.keyframe_min_gap_seconds}/{settings.keyframe_max_per_video}"
        f"/{settings.keyframe_scene_change}"
    )


def _under(path: Path, root: str) -> bool:
    text = str(path)
    return text == root or text.startswith(root.rstrip(os.sep) + os.sep)
