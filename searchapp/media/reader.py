"""One media file -> what each space needs from it, read once: the reader stage's call.

:class:`MediaReader` probes the file, checks the duration cap, transcribes its
sound (chunked for the text space, each chunk with its time span) and takes its
key frames (for the image space), then reports what it could not do. A file
that gives nothing to any space raises FileSkipped (or ExtractError when it
cannot be read) with the reason, so the run reports it and goes on; a video
whose sound fails still gives key frames, and audio still works without CLIP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.chunking import Tokenizer
from searchapp.config import Settings
from searchapp.errors import FileSkipped
from searchapp.media.audio import MediaInfo, audio_windows, check_duration, probe
from searchapp.media.formats import media_type
from searchapp.media.keyframes import KeyFrame, key_frames
from searchapp.media.speech import SpeechModel, Transcript
from searchapp.media.transcript import TimedChunk, transcript_chunks


@dataclass(frozen=True)
class ChunkBudget:
    """The text space's chunking: its tokenizer and the budget documents get too."""

    tokenizer: Tokenizer
    max_tokens: int
    overlap: int


@dataclass
class MediaFile:
    path: Path
    info: MediaInfo
    media_type: str
    transcript: Transcript | None = None  # None: no sound, or no speech model
    chunks: list[TimedChunk] = field(default_factory=list)  # for the text space
    frames: list[KeyFrame] = field(default_factory=list)  # for the image space
    notes: list[str] = field(default_factory=list)  # what was left out, and why


class MediaReader:
    """Reads media files with one speech model and one chunk budget.

    ``speech`` is None when the speech model is unavailable; ``speech_problem``
    then says why (ModelUnavailableError's message). ``budget`` (the text
    space's chunking) may be None only without ``speech``. ``frames`` False leaves key
    frames out (no CLIP), ``frames_problem`` saying why.
    """

    def __init__(
        self,
        settings: Settings,
        budget: ChunkBudget | None,
        speech: SpeechModel | None,
        *,
        speech_problem: str = "",
        frames: bool = True,
        frames_problem: str = "",
    ) -> None:
        if speech is not None and budget is None:
            raise ValueError("a transcript needs the text space's chunk budget")
        self._settings = settings
        self._budget = budget
        self._speech = speech
        self._speech_problem = speech_problem or "no speech model"
        self._frames = frames
        self._frames_problem = frames_problem or "key frames are off"

    @property
    def speech_model_id(self) -> str:
        """The id of the weights that transcribe (recorded with the rows), "" for none."""
        return self._speech.source.model_id if self._speech is not None else ""

    def read(self, path: Path, on_progress: Callable[[float], None] | None = None) -> MediaFile:
        """What ``path`` gives each space; FileSkipped/ExtractError when it gives none.

        ``on_progress`` gets the audio seconds transcribed so far.
        """
        settings = self._settings
        info = probe(path)
        check_duration(info, settings.media_max_seconds)
        result = MediaFile(path, info, media_type(path, has_video=info.has_video))
        if not info.has_audio:
            result.notes.append("no audio track")
        elif self._speech is None:
            result.notes.append(f"not transcribed: {self._speech_problem}")
        else:
            windows = audio_windows(
                path,
                window_seconds=settings.media_window_seconds,
                max_seconds=settings.media_max_seconds,
            )
            result.transcript = self._speech.transcribe(windows, on_progress)
            budget = self._budget
            assert budget is not None
            result.chunks = transcript_chunks(
                result.transcript.segments, budget.tokenizer, budget.max_tokens, budget.overlap
            )
            if not result.chunks:
                result.notes.append("no speech found")
        if info.has_video:
            if self._frames:
                result.frames = key_frames(
                    path,
                    min_gap=settings.keyframe_min_gap_seconds,
                    max_frames=settings.keyframe_max_per_video,
                    scene_change=settings.keyframe_scene_change,
                    max_seconds=settings.media_max_seconds,
                )
            else:
                result.notes.append(f"no key frames: {self._frames_problem}")
        if not result.chunks and not result.frames:
            raise FileSkipped("; ".join(result.notes) or "nothing to search in it")
        return result
